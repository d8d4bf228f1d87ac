"""Array operations of convolution and pooling over a batch (axis 0 the m examples, axis 1 the
channels, then the spatial axes): the candidate forms the recogniser
(:mod:`symbp.derive.recognise`) tries against a conv or pool layer's derived equations. As in
:mod:`symbp.derive.arrayops`, which registers them, each is plain NumPy that runs on floats and
on the proof's polynomials; the compiled trainer copies the accepted ones' source.

**Layout.** What these operations return has the shape (m, C, *positions) but is stored batch
last, (C, *positions, m) in memory (:func:`_batch_last`): then every window shift of an axis
(im2col's copies, the full convolution's additions, a pooling window's offsets) is one run of
contiguous rows of all the examples, and the matrix products read and write their operands
without a copy. Elementwise NumPy keeps that order, so the layers in between keep it too.

**Buffers.** With a ``key`` (the name a trainer gives the value, ``"Z1"``), the columns, padded
input and results are arrays kept between calls, one per batch size (:func:`_scratch`); without
one (the proof, a probe) every array is new. An operation writes every entry of a kept array it
reads, or only ever writes the same entries of it (the zeros it was made with stay zeros).

>>> import numpy as np
>>> D = np.array([[[1.0, 2.0]]]); W = np.array([[[1.0, 10.0]]])
>>> full_convolution(D, W, np.zeros((1, 1, 3)), k=2, stride=1, padding=0)
array([[[ 1., 12., 20.]]])
>>> X = np.arange(8.0).reshape(1, 1, 8)
>>> np.shares_memory(max_pool(X, 2, key="A1"), max_pool(X, 2, key="A1"))  # one kept array
True
>>> max_pool(X, 2)
array([[[1., 3., 5., 7.]]])
"""

from __future__ import annotations

import numpy as np


def _scratch(key, part, shape, like, _kept={}):  # noqa: B006 - the kept arrays
    """Zeros of ``shape`` in ``like``'s dtype; with a ``key``, the array kept for (key, part)
    at this shape and dtype, not zeroed again: preallocated once per batch size and reused by
    every later pass (torch and jax define ``_scratch`` as plain zeros)."""
    if key is None:
        return np.zeros(shape, like.dtype)
    index = (key, part, tuple(shape), like.dtype)
    found = _kept.get(index)
    if found is None:
        if len(_kept) >= 256:  # many batch sizes: start again
            _kept.clear()
        found = _kept[index] = np.zeros(shape, like.dtype)
    return found


def _product(A, B, key, part):
    """A @ B of two matrices, written into the array kept for (key, part)."""
    return np.matmul(A, B, out=_scratch(key, part, (A.shape[0], B.shape[1]), A))


def _batch_last(key, part, shape, like):
    """A (kept) array of shape (m, C, *positions), stored batch last: (C, *positions, m)."""
    d = len(shape) - 2
    stored = _scratch(key, part, (*shape[1:], shape[0]), like)
    return stored.transpose((d + 1, 0, *range(1, d + 1)))


def _reach(tap, shape, stride):
    """The input positions a kernel tap meets over the output positions ``shape``."""
    return tuple(
        slice(q, q + stride * (n - 1) + 1, stride) for q, n in zip(tap, shape, strict=True)
    )


_MEMO = []
"""Recent (input, key, result) of pure functions of one array: the kernel gradient reuses the
forward pass's im2col columns, max-pooling's backward its windows and mask. An entry is used
only for the very same (never modified) array; a trainer clears the memo at every pass."""


def _recall(X, key):
    for seen, known, result in _MEMO:
        if seen is X and known == key:
            return result
    return None


def _keep(X, key, result):
    if len(_MEMO) >= 16:
        _MEMO.clear()
    _MEMO.append((X, key, result))
    return result


def _padded(X, padding, key=None):
    """X with every spatial axis zero-padded, stored batch last (a kept array with a key)."""
    shape = X.shape[:2] + tuple(n + 2 * padding for n in X.shape[2:])
    padded = _batch_last(key, "padded", shape, X)
    inside = tuple(slice(padding, padding + n) for n in X.shape[2:])
    padded[(slice(None), slice(None)) + inside] = X  # the border keeps its zeros
    return padded


def _columns(X, k, stride, padding, key=None):
    """im2col: (C * k**d, P * m), one column per output position and example (batch last)
    holding its k-window of the zero-padded input, and the positions' shape."""
    found = _recall(X, ("columns", k, stride, padding))
    if found is not None:
        return found
    d, (m, C) = X.ndim - 2, X.shape[:2]
    padded = _padded(X, padding, key).transpose((1, *range(2, 2 + d), 0))  # (C, *padded, m)
    shape = tuple((n - k) // stride + 1 for n in padded.shape[1 : 1 + d])
    columns = _scratch(key, "columns", (C,) + (k,) * d + shape + (m,), X)
    for tap in np.ndindex(*(k,) * d):  # one copy of a shifted window per kernel tap
        reach = _reach(tap, shape, stride)
        columns[(slice(None), *tap)] = padded[(slice(None), *reach, slice(None))]
    result = (columns.reshape(C * k**d, -1), shape)
    return _keep(X, ("columns", k, stride, padding), result)


def _unstacked(rows, shape, m):
    """(O, P * m) rows, batch last, as the (m, O, *positions) array they store."""
    d = len(shape)
    return rows.reshape((rows.shape[0],) + shape + (m,)).transpose((d + 1, 0, *range(1, d + 1)))


def _stacked(D):
    """(O, P * m): the rows of D (m, O, *positions), batch last (no copy if D is so stored)."""
    return D.transpose((1, *range(2, D.ndim), 0)).reshape(D.shape[1], -1)


def correlate(X, W, b, k, stride, padding, key=None):
    """Cross-correlation of the zero-padded input with the kernel, plus one bias per channel."""
    columns, shape = _columns(X, k, stride, padding, key)
    Z = _product(W.reshape(W.shape[0], -1), columns, key, "z")  # one product over the batch
    Z += b.reshape(-1, 1)
    return _unstacked(Z, shape, X.shape[0])


def full_convolution(D, W, X, k, stride, padding, key=None):
    """Full convolution of delta (dilated by the stride) with the flipped kernel, cropped by the
    padding: the gradient of a correlation with respect to its input. Computed transposed: the
    columns W^T delta of every output position, each kernel tap's added back where it read
    (one product per row of the kernel, whose columns stay in the cache)."""
    d, shape, m = W.ndim - 2, D.shape[2:], D.shape[0]
    rows = _stacked(D)
    padded = tuple(n + 2 * padding for n in X.shape[2:])
    full = _scratch(key, "full", (W.shape[1],) + padded + (m,), D)  # (C, *padded, m)
    full[...] = 0
    for first in range(k):
        taps = W[:, :, first].reshape(W.shape[0], -1).T  # (C * k**(d - 1), O)
        columns = _product(taps, rows, key, "columns")
        columns = columns.reshape((W.shape[1],) + (k,) * (d - 1) + shape + (m,))
        for rest in np.ndindex(*(k,) * (d - 1)):  # each tap's shifted addition, whole batch
            reach = _reach((first, *rest), shape, stride)
            full[(slice(None), *reach, slice(None))] += columns[(slice(None), *rest)]
    crop = tuple(slice(padding, padding + n) for n in X.shape[2:])
    return full[(slice(None), *crop, slice(None))].transpose((d + 1, 0, *range(1, d + 1)))


def correlate_input_delta(X, D, k, stride, padding, key=None):
    """Correlation of the zero-padded input with delta: the gradient of the kernel."""
    columns, shape = _columns(X, k, stride, padding, key)
    if D.shape[2:] != shape:  # only the positions delta has
        crop = tuple(slice(0, n) for n in D.shape[2:])
        columns = columns.reshape(columns.shape[:1] + shape + (X.shape[0],))
        columns = columns[(slice(None), *crop, slice(None))].reshape(columns.shape[0], -1)
    grad = (columns @ _stacked(D).T).T  # (O, C * k**d): one product over the batch
    return grad.reshape((D.shape[1], X.shape[1]) + (k,) * (D.ndim - 2))


def _blocks(X, k, key=None):
    """(k**d, m, C, *positions): the non-overlapping k-windows (trailing rows dropped), the
    offset in the window (row-major) first; a new array (never a view of X), batch last."""
    d = X.ndim - 2
    out = tuple(n // k for n in X.shape[2:])
    stored = _scratch(key, "blocks", (k**d, X.shape[1]) + out + (X.shape[0],), X)
    blocks = stored.transpose((0, d + 2, 1, *range(2, 2 + d)))
    for i, tap in enumerate(np.ndindex(*(k,) * d)):  # each offset in the window, strided
        reach = tuple(slice(q, q + o * k, k) for q, o in zip(tap, out, strict=True))
        blocks[i] = X[(slice(None), slice(None)) + reach]
    return blocks


def _unblock(values, X, k):
    """Inverse of _blocks into an array shaped like X (zeros where no window reaches)."""
    d = X.ndim - 2
    out = values.shape[3:]
    full = np.zeros(X.shape, values.dtype)
    for i, tap in enumerate(np.ndindex(*(k,) * d)):  # each offset in the window, strided
        reach = tuple(slice(q, q + o * k, k) for q, o in zip(tap, out, strict=True))
        full[(slice(None), slice(None)) + reach] = values[i]
    return full


def first_max_mask(blocks):
    """1 at the first maximum of each window in row-major order (PyTorch's tie rule), else 0."""
    mask = np.equal(blocks, blocks.max(axis=0))  # every maximum (True is 1)
    taken = mask[0]
    for i in range(1, blocks.shape[0]):  # the later offsets of a window: a tie is dropped
        mask[i] = mask[i] & ~taken
        taken = taken | mask[i]
    return mask


def _window_mask(X, k, mask, blocks=None):
    """The mask of the k-windows of X (computed once per array: see _MEMO)."""
    found = _recall(X, ("mask", k, mask))
    if found is None:
        found = _keep(X, ("mask", k, mask), mask(_blocks(X, k) if blocks is None else blocks))
    return found


def max_pool(X, k, mask=first_max_mask, key=None):
    """The maximum of each k-window: the sum of the window weighted by its first-max mask."""
    blocks = _blocks(X, k, key)
    blocks *= _window_mask(X, k, mask, blocks)  # weighted in place
    total = _batch_last(key, "out", blocks.shape[1:], X)
    total[...] = blocks[0]
    for i in range(1, blocks.shape[0]):
        total += blocks[i]
    return total


def scatter_to_argmax(X, D, k, mask=first_max_mask, key=None):
    """Each window's delta sent to its first maximum only (0 to every other input)."""
    weights = _window_mask(X, k, mask)
    stored = _batch_last(key, "delta", D.shape, D)  # D as the mask is stored: one fast copy
    stored[...] = D
    full = _batch_last(key, "full", X.shape, D)
    for i, tap in enumerate(np.ndindex(*(k,) * (X.ndim - 2))):
        reach = tuple(slice(q, q + o * k, k) for q, o in zip(tap, D.shape[2:], strict=True))
        full[(slice(None), slice(None)) + reach] = weights[i] * stored
    for axis, (n, o) in enumerate(zip(X.shape[2:], D.shape[2:], strict=True)):
        if n > o * k:  # the trailing rows no window reaches
            full[(slice(None),) * (2 + axis) + (slice(o * k, None),)] = 0
    return full


def avg_pool(X, k, key=None):
    """The mean of each k-window."""
    blocks = _blocks(X, k, key)
    return blocks.sum(axis=0) / blocks.shape[0]


def spread_mean(X, D, k):
    """Each window's delta shared equally by its k**d inputs."""
    blocks = _blocks(X, k)
    return _unblock(np.repeat(D[None], blocks.shape[0], axis=0) / blocks.shape[0], X, k)
