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
from symbp.derive.arrayops_conv import (
    _MEMO,
    _batch_last,
    _blocks,
    _columns,
    _keep,
    _padded,
    _product,
    _reach,
    _recall,
    _scratch,
    _stacked,
    _unblock,
    _unstacked,
    _window_mask,
    avg_pool,
    correlate,
    correlate_input_delta,
    first_max_mask,
    full_convolution,
    max_pool,
    scatter_to_argmax,
    spread_mean,
)  # fmt: skip


def affine(X, W, b):
    """z = x W^T + b for every row (and time step) of X: a matrix product."""
    out = X @ W.T
    out += b  # in place: the product is this call's own array
    return out


def matmul(D, W):
    """W^T delta for every row: the matrix product D W."""
    return D @ W


def outer_sum(D, X, key=None):
    """sum over the rows (and time steps) of the outer products delta x^T: D^T X; of a
    batch of rows with a ``key``, written into the array kept for it (a weight gradient is
    megabytes: fresh pages at every step cost a fifth of a wide dense layer's)."""
    if D.ndim == 2:
        return D.T @ X if key is None else _product(D.T, X, key, "outer_sum")
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
    C *= C  # in place: C is this call's own array
    return C.sum(axis=0, keepdims=True) / X.shape[0]


def batch_normalised_input_grad(D, gamma, XHAT, SIGMA):
    """dx = (gamma / (m sigma)) (m delta - sum delta - x_hat sum(delta x_hat)), sums over the batch.

    The compact input gradient of a normalisation over the m examples (batch norm's)."""
    m = D.shape[0]
    total = D.sum(axis=0, keepdims=True)
    along = (D * XHAT).sum(axis=0, keepdims=True)
    out = m * D  # the same operations in the same order, in place in this call's own array
    out -= total
    out -= XHAT * along
    out *= gamma
    out /= m * SIGMA
    return out


def skip_add(X, F):
    """a = x + f(x): the skip connection around an inner layer's output f."""
    return X + F


def feature_mean(X):
    """The mean over the features (the last axis) of every row and position (axis kept)."""
    return X.sum(axis=-1, keepdims=True) / X.shape[-1]


def feature_variance(X, MU):
    """The biased variance over the features: the mean of (x - mu)**2 (axis kept)."""
    C = X - MU
    C *= C  # in place: C is this call's own array
    return C.sum(axis=-1, keepdims=True) / X.shape[-1]


def normalise(X, MU, SIGMA):
    """x_hat = (x - mu) / sigma over the features."""
    out = X - MU
    out /= SIGMA  # in place: the difference is this call's own array
    return out


def scale_shift(XHAT, gamma, beta):
    """a = gamma x_hat + beta, one gamma and one beta per feature."""
    out = XHAT * gamma
    out += beta  # in place: the product is this call's own array
    return out


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
    out = n * G  # the same operations in the same order, in place in this call's own array
    out -= total
    out -= XHAT * along
    out /= n * SIGMA
    return out


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

__all__ = [  # the attention and conv operations, registered here with the others
    "_MEMO", "_batch_last", "_blocks", "_columns", "_keep", "_padded", "_product", "_reach",
    "_recall", "_scratch", "_stacked", "_unblock", "_unstacked", "_window_mask", "avg_pool",
    "correlate", "correlate_input_delta", "first_max_mask", "full_convolution", "max_pool",
    "scatter_to_argmax", "spread_mean",
    "_inverse_root", "_score_grad", "attention_input_grad", "attention_key_weight_grad",
    "attention_mix", "attention_query_weight_grad", "attention_scores",
    "attention_value_weight_grad", "project", "row_softmax",
]  # fmt: skip
