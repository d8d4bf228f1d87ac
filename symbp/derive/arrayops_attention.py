"""Array operations of self-attention over a batch (axis 0 the m examples, axis 1 the T
positions): the candidate forms the recogniser (:mod:`symbp.derive.recognise`) tries against
an attention layer's derived backward pass. As in :mod:`symbp.derive.arrayops`, each is plain
NumPy that runs on floats and on the proof's polynomials; none is used before the proof
accepts it, and the compiled trainer copies the accepted ones' source.

The backward pass through the weights' softmax is the softmax Jacobian applied to a row,
dS = P * (dP - sum_u dP P) (:func:`_score_grad`), with dP = dA V^T; the scale
1/sqrt(d_k) is :func:`_inverse_root`: on the proof's polynomials an exact algebraic number
(sqrt(2)/2, SymPy's own form), on the trainer's arrays a float of their dtype.

>>> import numpy as np
>>> Q = np.ones((1, 2, 4)); K = np.ones((1, 2, 4))
>>> attention_scores(Q, K)
array([[[2., 2.],
        [2., 2.]]])
>>> row_softmax(attention_scores(Q, K))
array([[[0.5, 0.5],
        [0.5, 0.5]]])
"""

from __future__ import annotations

import numpy as np

from symbp.derive.arrayops_conv import _scratch


def _batched_product(A, B, key, part):
    """A @ B (batched over the leading axes); with a ``key``, written into the array kept for
    (key, part) at this shape (the trainer's forward values: fresh pages at every pass cost a
    quarter of a small attention layer's step; torch and jax define it as A @ B)."""
    if key is None:
        return A @ B
    return np.matmul(A, B, out=_scratch(key, part, (*A.shape[:-1], B.shape[-1]), A))


def _inverse_root(Q):
    """1/sqrt(d_k), d_k the width of Q, written sqrt(d_k)/d_k (rationalised, as SymPy writes it).

    NOTE: computed from one entry of Q (times 0) so that it has Q's own number type: np.sqrt of
    a proof polynomial is its exact root, of a float array a float of that dtype."""
    d = Q.shape[-1]
    return np.sqrt(Q[..., :1, :1] * 0 + d) / d


def project(X, M, key=None):
    """q = x M^T at every position (a query, key or value projection; no bias)."""
    return _batched_product(X, M.T, key, "project")


def attention_scores(Q, K, key=None):
    """s_{t,u} = q_t . k_u / sqrt(d_k) for every query t and key u: Q K^T / sqrt(d_k)."""
    S = _batched_product(Q, K.transpose(0, 2, 1), key, "scores")
    S *= _inverse_root(Q)  # in place: the product is this call's own array
    return S


def row_softmax(S):
    """softmax over the keys (the last axis) of every query's scores, shifted by the row's
    maximum so that no exponential overflows (the shift cancels in the ratio)."""
    E = S - S.max(axis=-1, keepdims=True)
    E = np.exp(E, out=E)  # in place: the difference is this call's own array
    E /= E.sum(axis=-1, keepdims=True)
    return E


def attention_mix(P, V, key=None):
    """a_t = sum_u p_{t,u} v_u: the weights times the values, P V."""
    return _batched_product(P, V, key, "mix")


def _score_grad(D, P, V):
    """dS = P * (dP - rowsum(dP * P)), dP = D V^T: the delta of the scores through the softmax
    Jacobian p_u (delta_uw - p_w) of each query's row."""
    G = D @ V.transpose(0, 2, 1)
    return P * (G - (G * P).sum(axis=-1, keepdims=True))


def attention_input_grad(D, P, Q, K, V, Wq, Wk, Wv):
    """dx = dQ Wq + dK Wk + dV Wv with dQ = dS K / sqrt(d_k), dK = dS^T Q / sqrt(d_k),
    dV = P^T D: the input's three paths through the queries, keys and values."""
    G = _score_grad(D, P, V) * _inverse_root(Q)
    DQ = G @ K
    DK = G.transpose(0, 2, 1) @ Q
    DV = P.transpose(0, 2, 1) @ D
    return DQ @ Wq + DK @ Wk + DV @ Wv


def attention_query_weight_grad(D, X, P, Q, K, V):
    """dWq = sum over the examples of dQ^T X, dQ = dS K / sqrt(d_k)."""
    DQ = (_score_grad(D, P, V) * _inverse_root(Q)) @ K
    return np.tensordot(DQ, X, axes=([0, 1], [0, 1]))


def attention_key_weight_grad(D, X, P, Q, V):
    """dWk = sum over the examples of dK^T X, dK = dS^T Q / sqrt(d_k)."""
    DK = (_score_grad(D, P, V) * _inverse_root(Q)).transpose(0, 2, 1) @ Q
    return np.tensordot(DK, X, axes=([0, 1], [0, 1]))


def attention_value_weight_grad(D, X, P):
    """dWv = sum over the examples of dV^T X, dV = P^T D."""
    DV = P.transpose(0, 2, 1) @ D
    return np.tensordot(DV, X, axes=([0, 1], [0, 1]))


HELPERS = ("_inverse_root", "_score_grad")
"""What the operations below call: copied into a trainer that uses any of them."""

FORWARD = (project, attention_scores, attention_mix)
"""Forward forms tried against an attention layer's equations (the weights' softmax is the
registry's own activation: see :func:`symbp.derive.recognise._softmax_step`)."""

BACKWARD = (
    attention_input_grad, attention_query_weight_grad, attention_key_weight_grad,
    attention_value_weight_grad,
)  # fmt: skip
"""Backward forms tried against the derived gradients of an attention layer."""
