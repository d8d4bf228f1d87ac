"""Hints for a refuted attention step: the truth with one usual mistake applied.

Each mistake is the chain rule of :class:`symbp.check.attention_graph.Graph` with one local rule
changed (:meth:`Graph.mistaken`), for the quantity the step's left side is the gradient of; a
hint is given only when that mistaken gradient equals the step's right side at every value of
the free indices on the size where the step was refuted, so a hint never names a mistake the
step does not make.

>>> sorted(MISTAKES)
['K', 'Q', 'S', 'V', 'X']
"""

from __future__ import annotations

import itertools

from symbp.check.attention_graph import Graph

_DIAGONAL = ("the softmax Jacobian is not diagonal: P_il depends on every score S_ij of row i, "
             "so dC/dS_ij = P_ij (dC/dP_ij - sum_l P_il dC/dP_il), not P_ij dC/dP_ij")  # fmt: skip
_UNSCALED = ("the scale 1/sqrt(d_k) is missing: S = Q K^T / sqrt(d_k), so dS/dQ and dS/dK "
             "carry it")  # fmt: skip
_TWICE = "the scale is 1/sqrt(d_k), not 1/d_k: S = Q K^T / sqrt(d_k)"
MISTAKES: dict[str, list[tuple[str, str]]] = {
    "S": [("diagonal", _DIAGONAL), ("diagonal_of", _DIAGONAL)],
    "Q": [("unscaled", _UNSCALED), ("scaled_twice", _TWICE),
          ("transposed", "dS is transposed: query i's scores are row i of S, so dQ = dS K / "
           "sqrt(d_k) (dC/dQ_ik = sum_j dC/dS_ij K_jk / sqrt(d_k))")],
    "K": [("unscaled", _UNSCALED), ("scaled_twice", _TWICE),
          ("transposed", "dK needs dS^T, not dS: key j's scores are column j of S, so dK = "
           "dS^T Q / sqrt(d_k) (dC/dK_jk = sum_i dC/dS_ij Q_ik / sqrt(d_k))")],
    "V": [("transposed_local", "P is transposed: value j is read by every query i with weight "
           "P_ij, so dV = P^T dA (dC/dV_jk = sum_i P_ij dC/dA_ik)")],
    "X": [],  # the paths through Q, K and V: see _paths
}  # fmt: skip
_SIGN = "sign error"
_IDENTITY = ("the identity path is missing: a residual's output is A = X + attention(X), so "
             "dC/dX gets dC/dA itself besides the paths through Q, K and V")  # fmt: skip


def _paths() -> list[tuple[tuple[str, ...], str]]:
    """Every proper subset of the three paths from X, with the hint naming those left out."""
    out = []
    for n in (1, 2):
        for missing in itertools.combinations("QKV", n):
            kept = tuple(r for r in "QKV" if r not in missing)
            names = " and ".join(missing)
            what = f"the path through {names} is" if n == 1 else f"the paths through {names} are"
            out.append((kept, f"{what} missing: X feeds Q, K and V, so dC/dX sums the three "
                              "paths (dQ W_q + dK W_k + dV W_v)"))  # fmt: skip
    return out


def _candidates(graph: Graph, role: str):
    """(hint, u -> mistaken dC/du) for every mistake of a gradient of ``role``."""
    for mistake, why in MISTAKES.get(role, []):
        yield why, lambda u, m=mistake: graph.mistaken(u, m)
    if role == "X":
        identity = ("A",) if graph.residual else ()  # kept in the paths' hints; its own below
        for kept, why in _paths():
            yield why, lambda u, k=(*kept, *identity): graph.mistaken(u, "paths", k)
        if graph.residual:
            yield _IDENTITY, lambda u: graph.mistaken(u, "paths", ("Q", "K", "V"))
    yield _SIGN, lambda u: -graph.grads[u] if u in graph.grads else -u


def hint_for(graph: Graph, build, target, right_tree, free: list[str], spans) -> str | None:
    """The first mistake of ``target``'s quantity that reproduces an index-form right side at
    every value of the free indices."""
    if target is None:
        return None
    cases = []
    for values in itertools.product(*spans):
        build.at = dict(zip(free, values, strict=True))
        position = tuple(int(build(i)) - build.base for i in target[2])
        shape = graph.shape[target[1]]
        if all(0 <= p < n for p, n in zip(position, shape, strict=True)):
            cases.append((graph.arrays[target[1]][position], build(right_tree)))
    return hint_among(graph, target[1], cases)


def hint_among(graph: Graph, role: str, cases: list) -> str | None:
    """The first mistake that gives every (entry u of ``role``, written dC/du) of ``cases``."""
    if role == "A" or not cases:
        return None
    for why, wrong in _candidates(graph, role):
        if all(graph.differs(wrong(u), right) is None for u, right in cases):
            return why
    return None


__all__ = ["MISTAKES", "hint_among", "hint_for"]
