"""Array operations over a batch (axis 0 holds the m examples): the forms the recogniser
(:mod:`symbp.derive.recognise`) tries against each layer's derived index form.

Every function here is plain NumPy that runs on float arrays *and* on object arrays of SymPy
expressions: the recogniser evaluates a candidate on the symbols of a concrete instance and
proves it equal, entry by entry, to what the chain rule derived; the compiled trainer then runs
the very same function source on floats (:mod:`symbp.compile.layered` copies it). None of them
belongs to a layer: a layer's backward pass is whichever of them the proof accepts.

>>> import numpy as np
>>> D = np.array([[[1.0, 2.0]]]); W = np.array([[[1.0, 10.0]]])
>>> full_convolution(D, W, np.zeros((1, 1, 3)), k=2, stride=1, padding=0)
array([[[ 1., 12., 20.]]])
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _spatial(X):
    return tuple(range(2, X.ndim))


def _pad(X, before, after):
    """Zero padding of every spatial axis (axes 2, 3, ...)."""
    if before == 0 and after == 0:
        return X
    return np.pad(X, [(0, 0), (0, 0)] + [(before, after)] * (X.ndim - 2))


def _windows(X, k, stride):
    """(m, C, *positions, *kernel): every k-window of the spatial axes, every stride-th one."""
    spatial = _spatial(X)
    view = sliding_window_view(X, (k,) * len(spatial), axis=spatial)
    return view[(slice(None), slice(None)) + (slice(None, None, stride),) * len(spatial)]


def affine(X, W, b):
    """z = x W^T + b for every row (and time step) of X: a matrix product."""
    return X @ W.T + b


def matmul(D, W):
    """W^T delta for every row: the matrix product D W."""
    return D @ W


def outer_sum(D, X):
    """sum over the rows (and time steps) of the outer products delta x^T: D^T X."""
    axes = list(range(D.ndim - 1))
    return np.tensordot(D, X, axes=(axes, axes))


def row_sum(D):
    """sum of delta over the rows (and time steps)."""
    return D.sum(axis=tuple(range(D.ndim - 1)))


def channel_sum(D):
    """sum of delta over the rows and every position of a channel (axis 1 kept)."""
    return D.sum(axis=(0, *range(2, D.ndim)))


def identity(D):
    """the gradient passed on unchanged (a skip connection)."""
    return D


def recurrent_affine(X, H, Wx, Wh, b):
    """z_t = x_t Wx^T + h_{t-1} Wh^T + b with h_{-1} = 0 (time on axis 1)."""
    previous = np.zeros_like(H)
    previous[:, 1:] = H[:, :-1]
    return X @ Wx.T + previous @ Wh.T + b


def shifted_matmul(D, W):
    """Wh^T delta_{t+1} for every step t (0 at the last step): the recurrence through time."""
    out = np.zeros_like(D @ W)
    out[:, :-1] = D[:, 1:] @ W
    return out


def shifted_outer_sum(D, H):
    """sum over time of delta_t h_{t-1}^T (h_{-1} = 0)."""
    return np.tensordot(D[:, 1:], H[:, :-1], axes=([0, 1], [0, 1]))


def correlate(X, W, b, k, stride, padding):
    """Cross-correlation of the zero-padded input with the kernel, plus one bias per channel."""
    d = W.ndim - 2
    windows = _windows(_pad(X, padding, padding), k, stride)
    kernel = list(range(2 + d, 2 + 2 * d))
    Z = np.tensordot(windows, W, axes=([1, *kernel], [1, *range(2, 2 + d)]))
    return np.moveaxis(Z, -1, 1) + b.reshape((-1,) + (1,) * d)


def full_convolution(D, W, X, k, stride, padding):
    """Full convolution of delta (dilated by the stride) with the flipped kernel, cropped by the
    padding: the gradient of a correlation with respect to its input."""
    d = W.ndim - 2
    m, channels = D.shape[0], W.shape[1]
    dilated = np.zeros(D.shape[:2] + tuple((n - 1) * stride + 1 for n in D.shape[2:]), D.dtype)
    dilated[(slice(None), slice(None)) + (slice(None, None, stride),) * d] = D
    windows = _windows(_pad(dilated, k - 1, k - 1), k, 1)
    flipped = W[(slice(None), slice(None)) + (slice(None, None, -1),) * d]
    kernel = list(range(2 + d, 2 + 2 * d))
    G = np.moveaxis(
        np.tensordot(windows, flipped, axes=([1, *kernel], [0, *range(2, 2 + d)])), -1, 1
    )
    full = np.zeros((m, channels) + tuple(n + 2 * padding for n in X.shape[2:]), G.dtype)
    full[(slice(None), slice(None)) + tuple(slice(0, n) for n in G.shape[2:])] = G
    return full[
        (slice(None), slice(None)) + tuple(slice(padding, padding + n) for n in X.shape[2:])
    ]


def correlate_input_delta(X, D, k, stride, padding):
    """Correlation of the zero-padded input with delta: the gradient of the kernel."""
    d = D.ndim - 2
    windows = _windows(_pad(X, padding, padding), k, stride)
    windows = windows[(slice(None), slice(None)) + tuple(slice(0, n) for n in D.shape[2:])]
    return np.tensordot(D, windows, axes=([0, *range(2, 2 + d)], [0, *range(2, 2 + d)]))


def _blocks(X, k):
    """(m, C, *positions, k**d): the non-overlapping k-windows (trailing rows dropped)."""
    d = X.ndim - 2
    out = [n // k for n in X.shape[2:]]
    crop = X[(slice(None), slice(None)) + tuple(slice(0, o * k) for o in out)]
    split = crop.reshape(X.shape[:2] + sum(((o, k) for o in out), ()))
    order = (0, 1) + tuple(2 + 2 * i for i in range(d)) + tuple(3 + 2 * i for i in range(d))
    return split.transpose(order).reshape(X.shape[:2] + tuple(out) + (k**d,))


def _unblock(values, X, k):
    """Inverse of _blocks into an array shaped like X (zeros where no window reaches)."""
    d = X.ndim - 2
    out = values.shape[2 : 2 + d]
    split = values.reshape(values.shape[: 2 + d] + (k,) * d)
    order = (0, 1) + sum(((2 + i, 2 + d + i) for i in range(d)), ())
    full = np.zeros(X.shape, values.dtype)
    region = (slice(None), slice(None)) + tuple(slice(0, o * k) for o in out)
    full[region] = split.transpose(order).reshape(X.shape[:2] + tuple(o * k for o in out))
    return full


def first_max_mask(blocks):
    """1 at the first maximum of each window in row-major order (PyTorch's tie rule), else 0."""
    first = blocks.argmax(axis=-1)[..., None]
    return (np.arange(blocks.shape[-1]) == first).astype(blocks.dtype)


def max_pool(X, k, mask=first_max_mask):
    """The maximum of each k-window: the sum of the window weighted by its first-max mask."""
    blocks = _blocks(X, k)
    return (mask(blocks) * blocks).sum(axis=-1)


def scatter_to_argmax(X, D, k, mask=first_max_mask):
    """Each window's delta sent to its first maximum only (0 to every other input)."""
    blocks = _blocks(X, k)
    return _unblock(mask(blocks) * D[..., None], X, k)


def avg_pool(X, k):
    """The mean of each k-window."""
    blocks = _blocks(X, k)
    return blocks.sum(axis=-1) / blocks.shape[-1]


def spread_mean(X, D, k):
    """Each window's delta shared equally by its k**d inputs."""
    blocks = _blocks(X, k)
    return _unblock(np.repeat(D[..., None], blocks.shape[-1], axis=-1) / blocks.shape[-1], X, k)


BACKWARD = (
    matmul, outer_sum, row_sum, channel_sum, identity, shifted_matmul, shifted_outer_sum,
    full_convolution, correlate_input_delta, scatter_to_argmax, spread_mean,
)  # fmt: skip
"""The array forms tried against a derived gradient (of a layer's input or a parameter)."""

FORWARD = (affine, recurrent_affine, correlate, max_pool, avg_pool)
"""The array forms tried against a layer's forward equations."""
