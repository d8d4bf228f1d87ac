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

from symbp.derive import arrayops_attention
from symbp.derive.arrayops_attention import (
    _inverse_root,
    _score_grad,
    attention_input_grad,
    attention_key_weight_grad,
    attention_mix,
    attention_query_weight_grad,
    attention_scores,
    attention_value_weight_grad,
    project,
    row_softmax,
)  # fmt: skip


def _spatial(X):
    return tuple(range(2, X.ndim))


def _pad(X, before, after):
    """Zero padding of every spatial axis (axes 2, 3, ...)."""
    if before == 0 and after == 0:
        return X
    padded = np.zeros(X.shape[:2] + tuple(n + before + after for n in X.shape[2:]), X.dtype)
    padded[(slice(None), slice(None)) + tuple(slice(before, before + n) for n in X.shape[2:])] = X
    return padded


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
    if D.ndim == 2:
        return D.T @ X
    if D.ndim == 3:  # per time step (a batched product, no copy of a time-first D), summed
        return (D.transpose(1, 2, 0) @ X.transpose(1, 0, 2)).sum(axis=0)
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
    DT, HT = D.transpose(1, 0, 2)[1:], H.transpose(1, 0, 2)[:-1]  # time first: (T-1, m, n)
    return DT.reshape(-1, DT.shape[-1]).T @ HT.reshape(-1, HT.shape[-1])


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


def _columns(X, k, stride, padding):
    """im2col: (C * k**d, m * P), one column per example and output position holding its
    k-window of the zero-padded input, and the positions' shape."""
    found = _recall(X, ("columns", k, stride, padding))
    if found is not None:
        return found
    d = X.ndim - 2
    windows = _windows(_pad(X, padding, padding), k, stride)
    order = (1, *range(2 + d, 2 + 2 * d), 0, *range(2, 2 + d))  # (C, *kernel, m, *positions)
    shape = windows.shape[2 : 2 + d]
    columns = windows.transpose(order).reshape(X.shape[1] * k**d, -1)
    return _keep(X, ("columns", k, stride, padding), (columns, shape))


def correlate(X, W, b, k, stride, padding):
    """Cross-correlation of the zero-padded input with the kernel, plus one bias per channel."""
    columns, shape = _columns(X, k, stride, padding)
    Z = W.reshape(W.shape[0], -1) @ columns  # one product over the batch: (O, m * P)
    Z += b.reshape(-1, 1)
    Z = Z.reshape((W.shape[0], X.shape[0]) + shape)
    return Z.transpose((1, 0, *range(2, 2 + len(shape))))


def full_convolution(D, W, X, k, stride, padding):
    """Full convolution of delta (dilated by the stride) with the flipped kernel, cropped by the
    padding: the gradient of a correlation with respect to its input. Computed transposed: the
    columns W^T delta of every output position, each kernel tap's added back where it read."""
    d = W.ndim - 2
    shape = D.shape[2:]
    spatial = tuple(range(2, 2 + d))
    rows = D.transpose((1, *spatial, 0)).reshape(D.shape[1], -1)  # (O, P * m): batch last
    taps = W.transpose((0, *spatial, 1)).reshape(W.shape[0], -1)  # (O, k**d * C)
    columns = (taps.T @ rows).reshape((k,) * d + (W.shape[1],) + shape + (D.shape[0],))
    padded = tuple(n + 2 * padding for n in X.shape[2:])
    full = np.zeros((W.shape[1],) + padded + (D.shape[0],), columns.dtype)  # (C, *padded, m)
    for tap in np.ndindex(*(k,) * d):  # k**d shifted additions, each over the whole batch
        ends = zip(tap, shape, strict=True)
        reach = tuple(slice(q, q + stride * (n - 1) + 1, stride) for q, n in ends)
        full[(slice(None),) + reach] += columns[tap]
    crop = tuple(slice(padding, padding + n) for n in X.shape[2:])
    return full[(slice(None),) + crop].transpose((d + 1, 0, *range(1, d + 1)))


def correlate_input_delta(X, D, k, stride, padding):
    """Correlation of the zero-padded input with delta: the gradient of the kernel."""
    d = D.ndim - 2
    columns, shape = _columns(X, k, stride, padding)
    if D.shape[2:] != shape:  # only the positions delta has
        crop = tuple(slice(0, n) for n in D.shape[2:])
        columns = columns.reshape(columns.shape[:1] + (X.shape[0],) + shape)
        columns = columns[(slice(None), slice(None)) + crop].reshape(columns.shape[0], -1)
    rows = D.transpose((1, 0, *range(2, 2 + d))).reshape(D.shape[1], -1)  # (O, m * P)
    return (columns @ rows.T).T.reshape((D.shape[1], X.shape[1]) + (k,) * d)


def _blocks(X, k):
    """(k**d, m, C, *positions): the non-overlapping k-windows (trailing rows dropped), the
    offset in the window (row-major) first; a new array (never a view of X)."""
    d = X.ndim - 2
    out = tuple(n // k for n in X.shape[2:])
    blocks = np.empty((k**d,) + X.shape[:2] + out, X.dtype)
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


def max_pool(X, k, mask=first_max_mask):
    """The maximum of each k-window: the sum of the window weighted by its first-max mask."""
    blocks = _blocks(X, k)
    blocks *= _window_mask(X, k, mask, blocks)  # a new array: weighted in place
    return blocks.sum(axis=0)


def scatter_to_argmax(X, D, k, mask=first_max_mask):
    """Each window's delta sent to its first maximum only (0 to every other input)."""
    weights = _window_mask(X, k, mask)
    full = np.zeros(X.shape, D.dtype)  # as _unblock, each offset's weighted delta in place
    for i, tap in enumerate(np.ndindex(*(k,) * (X.ndim - 2))):
        reach = tuple(slice(q, q + o * k, k) for q, o in zip(tap, D.shape[2:], strict=True))
        full[(slice(None), slice(None)) + reach] = weights[i] * D
    return full


def avg_pool(X, k):
    """The mean of each k-window."""
    blocks = _blocks(X, k)
    return blocks.sum(axis=0) / blocks.shape[0]


def spread_mean(X, D, k):
    """Each window's delta shared equally by its k**d inputs."""
    blocks = _blocks(X, k)
    return _unblock(np.repeat(D[None], blocks.shape[0], axis=0) / blocks.shape[0], X, k)


def time_mean(X):
    """The mean over the time (sequence) axis of every row: (m, T, n) -> (m, n)."""
    return X.sum(axis=1) / X.shape[1]


def spread_over_time(X, D):
    """Each feature's delta shared equally by the T time steps it averaged."""
    return np.repeat(D[:, None], X.shape[1], axis=1) / X.shape[1]


def batch_mean(X):
    """The mean of every feature over the m examples of the batch (axis 0 kept)."""
    return X.sum(axis=0, keepdims=True) / X.shape[0]


def batch_variance(X, MU):
    """The biased variance of every feature over the batch: the mean of (x - mu)**2."""
    C = X - MU
    return (C * C).sum(axis=0, keepdims=True) / X.shape[0]


def batch_normalised_input_grad(D, gamma, XHAT, SIGMA):
    """dx = (gamma / (m sigma)) (m delta - sum delta - x_hat sum(delta x_hat)), sums over the batch.

    The compact input gradient of a normalisation over the m examples (batch norm's)."""
    m = D.shape[0]
    total = D.sum(axis=0, keepdims=True)
    along = (D * XHAT).sum(axis=0, keepdims=True)
    return gamma * (m * D - total - XHAT * along) / (m * SIGMA)


def skip_add(X, F):
    """a = x + f(x): the skip connection around an inner layer's output f."""
    return X + F


def feature_mean(X):
    """The mean over the features (the last axis) of every row and position (axis kept)."""
    return X.sum(axis=-1, keepdims=True) / X.shape[-1]


def feature_variance(X, MU):
    """The biased variance over the features: the mean of (x - mu)**2 (axis kept)."""
    C = X - MU
    return (C * C).sum(axis=-1, keepdims=True) / X.shape[-1]


def normalise(X, MU, SIGMA):
    """x_hat = (x - mu) / sigma over the features."""
    return (X - MU) / SIGMA


def scale_shift(XHAT, gamma, beta):
    """a = gamma x_hat + beta, one gamma and one beta per feature."""
    return XHAT * gamma + beta


def weighted_row_sum(D, XHAT):
    """sum of delta * x_hat over the rows (and positions): the gradient of a per-feature scale."""
    return (D * XHAT).sum(axis=tuple(range(D.ndim - 1)))


def normalised_input_grad(D, gamma, XHAT, SIGMA):
    """dx = (n g - sum g - x_hat sum(g x_hat)) / (n sigma), g = gamma delta, sums over features.

    The compact input gradient of a normalisation over the n features (layer norm's)."""
    G = D * gamma
    n = G.shape[-1]
    total = G.sum(axis=-1, keepdims=True)
    along = (G * XHAT).sum(axis=-1, keepdims=True)
    return (n * G - total - XHAT * along) / (n * SIGMA)


BACKWARD = (
    matmul, outer_sum, row_sum, channel_sum, identity, shifted_matmul, shifted_outer_sum,
    full_convolution, correlate_input_delta, scatter_to_argmax, spread_mean, spread_over_time,
    weighted_row_sum, normalised_input_grad, batch_normalised_input_grad,
    *arrayops_attention.BACKWARD,
)  # fmt: skip
"""The array forms tried against a derived gradient (of a layer's input or a parameter)."""

FORWARD = (
    affine, recurrent_affine, correlate, max_pool, avg_pool, time_mean,
    feature_mean, feature_variance, normalise, scale_shift, skip_add, batch_mean, batch_variance,
    *arrayops_attention.FORWARD,
)  # fmt: skip
"""The array forms tried against a layer's forward equations."""

__all__ = [  # the attention operations, registered here with the others
    "_inverse_root", "_score_grad", "attention_input_grad", "attention_key_weight_grad",
    "attention_mix", "attention_query_weight_grad", "attention_scores",
    "attention_value_weight_grad", "project", "row_softmax",
]  # fmt: skip
