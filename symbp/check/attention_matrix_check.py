"""The verdict of a matrix-form attention step (``dV = P^T dA``), entry by entry.

Both sides are expanded (:func:`symbp.check.attention_matrix.evaluate`) at each size of
:data:`symbp.check.attention.SIZES`; shapes that do not fit make the step invalid (a shape
mismatch, whatever the sizes: shapes are compared in the layer's axes), otherwise every entry
is refuted numerically, with the entry and the values, or proved exactly. A hint is a usual
mistake of :mod:`symbp.check.attention_hints` that reproduces every entry, or else one repair
of the right side (a transpose added or taken away, the side transposed) that makes it right.

>>> from symbp.check.attention_matrix_read import read_matrix
>>> [why.split(":")[0] for why, _ in repairs(read_matrix("dS K^T"))]
['dS needs a transpose', 'K should not be transposed', 'the right side is transposed']
"""

from __future__ import annotations

from symbp.check.attention_graph import Graph
from symbp.check.attention_hints import hint_among
from symbp.check.attention_matrix import Mismatch, Side, evaluate
from symbp.check.split import Step
from symbp.check.verdict import Verdict

_NAMES = {"Wq": "W_q", "Wk": "W_k", "Wv": "W_v"}
_LISTS = ("mm", "had", "add")


def _named(leaf: tuple) -> str:
    name = _NAMES.get(leaf[1], leaf[1])
    return f"d{name}" if leaf[0] == "grad" else name


def repairs(tree: tuple, top: bool = True):
    """(what was wrong, the right side repaired) for every one-place transpose repair."""
    kind = tree[0]
    if kind == "T" and tree[1][0] in ("mat", "grad"):
        yield f"{_named(tree[1])} should not be transposed: write {_named(tree[1])}", tree[1]
    elif kind in ("mat", "grad"):
        yield f"{_named(tree)} needs a transpose: write {_named(tree)}^T", ("T", tree)
    elif kind in _LISTS:
        for n, part in enumerate(tree[1]):
            for why, fixed in repairs(part, False):
                yield why, (kind, (*tree[1][:n], fixed, *tree[1][n + 1 :]))
    elif kind in ("T", "neg", "rowsum", "diag", "div", "pow"):
        for n in range(1, len(tree)):
            for why, fixed in repairs(tree[n], False):
                yield why, (*tree[:n], fixed, *tree[n + 1 :])
    if top:
        yield ("the right side is transposed: transpose it (reverse the order of the factors "
               "and transpose each)", ("T", tree))  # fmt: skip


def _cases(left: Side, right: Side) -> list[tuple]:
    if left.scalar:
        return [(left.value, right.value)]
    return list(zip(left.value.flat, right.value.flat, strict=True))


def _targets(graph: Graph, role: str, right: Side, row: int | None = None) -> list[tuple]:
    """(entry u of the matrix whose gradient the left side is, the right side's entry); of
    its row ``row`` only for a per-row step."""
    entries = graph.arrays[role] if row is None else graph.arrays[role][row : row + 1, :]
    return list(zip(entries.flat, right.value.flat, strict=True))


def _repair(tree: tuple, left: Side, graph: Graph) -> str | None:
    for why, fixed in repairs(tree):
        try:
            side = evaluate(fixed, graph)
        except (Mismatch, ValueError, TypeError):
            continue
        if side.kinds == left.kinds and all(
            graph.differs(a, b) is None for a, b in _cases(left, side)
        ):
            return why
    return None


def judge_matrix(step: Step, trees: list[tuple], graphs: list[Graph], method) -> Verdict:
    """Valid (proved, or agreed: ``method(proved)`` says which), or invalid with a shape
    mismatch or a counterexample."""
    row = trees[0][2] if trees[0][0] == "rowat" else None  # dS_{i,:}: row i's gradient
    leaf = trees[0][1] if row is not None else trees[0]
    role = leaf[1] if leaf[0] == "grad" else None
    for graph in graphs:
        try:
            left = evaluate(trees[0], graph)
        except Mismatch as why:
            return Verdict(step.source, step.line, "invalid", f"shape mismatch: {why}")
        try:
            right = evaluate(trees[1], graph)
            if left.kinds != right.kinds:
                raise Mismatch(f"the left side is {_shape(left)}, the right side {_shape(right)}")
        except Mismatch as why:
            hint = _repair(trees[1], left, graph) if role else None
            return Verdict(step.source, step.line, "invalid", f"shape mismatch: {why}", None, hint)
        for index, (a, b) in zip(_indices(left), _cases(left, right), strict=True):
            seed = graph.differs(a, b)
            if seed is not None:
                hint = hint_among(graph, role, _targets(graph, role, right, row)) if role else None
                hint = hint or (_repair(trees[1], left, graph) if role else None)
                example = graph.example(a, b, seed, entry=[i + 1 for i in index])
                return Verdict(step.source, step.line, "invalid", "", example, hint)
    proved = all(
        graph.proved(a, b)
        for graph in graphs
        for a, b in _cases(evaluate(trees[0], graph), evaluate(trees[1], graph))
    )
    return Verdict(step.source, step.line, "valid", method(proved))


def _shape(side: Side) -> str:
    return "a scalar" if side.scalar else side.shown()


def _indices(side: Side) -> list[tuple[int, ...]]:
    if side.scalar:
        return [()]
    rows, cols = side.value.shape
    return [(r, c) for r in range(rows) for c in range(cols)]


__all__ = ["judge_matrix", "repairs"]
