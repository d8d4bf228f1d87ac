"""PyTorch's own kernels for the proved conv and pool operations of a layered trainer.

The torch trainer prints every proved operation of :mod:`symbp.derive.arrayops` translated
(:mod:`symbp.compile.array_dialect`), except the ones below: each is the call of PyTorch's
kernel that computes that very operation, with the operation's name and signature, so the
printed statements stay as proved.

- ``correlate``: cross-correlation of the zero-padded input with the kernel plus a bias per
  channel is what ``torch.nn.functional.conv{d}d`` computes (PyTorch's "convolution" is a
  correlation);
- ``correlate_input_delta``: the correlation of the padded input with delta, the kernel's
  gradient, is ``torch.nn.grad.conv{d}d_weight``;
- ``full_convolution``: the full convolution of the stride-dilated delta with the flipped
  kernel, cropped by the padding, is ``torch.nn.grad.conv{d}d_input`` (a transposed
  convolution);
- ``max_pool`` and ``scatter_to_argmax``: the first-max-weighted sum of each window is
  ``max_pool{d}d`` (its tie rule keeps the first maximum in row-major order, as
  ``first_max_mask``), and sending each window's delta to that maximum is ``max_unpool{d}d``
  with its indices (zeros where no window reaches).

tests/test_torch_conv_ops.py checks each against the NumPy operation on drawn shapes, strides
and paddings.

>>> sorted(NATIVE)
['correlate', 'correlate_input_delta', 'full_convolution', 'max_pool', 'scatter_to_argmax']
"""

from __future__ import annotations

_TABLES = """
_CONV = (None, torch.nn.functional.conv1d, torch.nn.functional.conv2d, torch.nn.functional.conv3d)
_WEIGHT = (None, torch.nn.grad.conv1d_weight, torch.nn.grad.conv2d_weight,
           torch.nn.grad.conv3d_weight)
_INPUT = (None, torch.nn.grad.conv1d_input, torch.nn.grad.conv2d_input,
          torch.nn.grad.conv3d_input)
_POOL = (None, torch.nn.functional.max_pool1d, torch.nn.functional.max_pool2d,
         torch.nn.functional.max_pool3d)
_UNPOOL = (None, torch.nn.functional.max_unpool1d, torch.nn.functional.max_unpool2d,
           torch.nn.functional.max_unpool3d)
_POOLED = (None, torch.contiguous_format, torch.channels_last, torch.channels_last_3d)
"""
"""PyTorch's kernels by the number of spatial axes (the trainer defines them once)."""

NATIVE = {
    "correlate": '''
def correlate(X, W, b, k, stride, padding, key=None):
    """Cross-correlation of the zero-padded input with the kernel, plus one bias per channel
    (torch.nn.functional.conv<d>d)."""
    return _CONV[X.ndim - 2](X, W, b, stride, padding)
''',
    "correlate_input_delta": '''
def correlate_input_delta(X, D, k, stride, padding, key=None):
    """Correlation of the zero-padded input with delta: the gradient of the kernel
    (torch.nn.grad.conv<d>d_weight)."""
    shape = (D.shape[1], X.shape[1]) + (k,) * (X.ndim - 2)
    return _WEIGHT[X.ndim - 2](X, shape, D, stride, padding)
''',
    "full_convolution": '''
def full_convolution(D, W, X, k, stride, padding, key=None):
    """Full convolution of delta (dilated by the stride) with the flipped kernel, cropped by the
    padding (torch.nn.grad.conv<d>d_input)."""
    return _INPUT[X.ndim - 2](X.shape, W, D, stride, padding)
''',
    "max_pool": '''
def max_pool(X, k, mask=first_max_mask, key=None):
    """The maximum of each k-window: the sum of the window weighted by its first-max mask
    (max_pool<d>d, whose indices are the first maxima: kept for scatter_to_argmax)."""
    found = _recall(X, ("argmax", k))
    if found is None:
        pooled = X.contiguous(memory_format=_POOLED[X.ndim - 2])  # channels last: 8x faster
        found = _keep(X, ("argmax", k), _POOL[X.ndim - 2](pooled, k, return_indices=True))
    return found[0]
''',
    "scatter_to_argmax": '''
def scatter_to_argmax(X, D, k, mask=first_max_mask, key=None):
    """Each window's delta sent to its first maximum only (0 to every other input)
    (max_unpool<d>d at the indices of max_pool<d>d)."""
    found = _recall(X, ("argmax", k))
    if found is None:
        pooled = X.contiguous(memory_format=_POOLED[X.ndim - 2])
        found = _keep(X, ("argmax", k), _POOL[X.ndim - 2](pooled, k, return_indices=True))
    return _UNPOOL[X.ndim - 2](D, found[1], k, output_size=X.shape[2:])
''',
}
"""Each overridden operation's torch source, by name."""


def native_source(name: str) -> str | None:
    """The torch source of operation ``name`` if PyTorch has its kernel, else None."""
    return NATIVE.get(name)


def tables() -> str:
    """The kernel tables the overriding operations index by the number of spatial axes."""
    return _TABLES
