"""Check a matrix-form attention step (``dK = dS^T Q / \\sqrt{d_k}``) by expanding it into
entries at the concrete sizes of :mod:`symbp.check.attention`.

A side read by :mod:`symbp.check.attention_matrix_read` is evaluated twice at once: its shape
in the layer's axes (T, d, d_k; ``1`` for a column of a row sum), so that a product or a sum
that does not fit is a shape mismatch whatever the sizes, and its entries over the graph of
:mod:`symbp.check.attention_graph` (object arrays of the layer's symbols and derived gradients).
Every entry is then refuted numerically or proved exactly, as an index-form step is. Hints: the
mistakes of :mod:`symbp.check.attention_hints`, and repairs of the right side in one place (a
transpose added or taken away, the whole side transposed) that make it the truth.

>>> from symbp.check.attention_graph import Graph, bounded_power
>>> from symbp.check.attention_matrix_read import read_matrix
>>> side = evaluate(read_matrix(r"P^T dA"), Graph(3, 2, 2))
>>> side.kinds, side.value.shape
(('T', 'dk'), (3, 2))
>>> evaluate(read_matrix(r"dS K^T"), Graph(3, 2, 2))
Traceback (most recent call last):
...
symbp.check.attention_matrix.Mismatch: a product of a T x T and a d_k x T matrix
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from symbp.check.attention_graph import Graph, bounded_power
from symbp.check.attention_read import AXES
from symbp.check.tokens import Unreadable

_SHOWN = {"T": "T", "d": "d", "dk": "d_k", "1": "1"}


class Mismatch(Exception):
    """Two shapes that do not fit (in the layer's axes)."""


@dataclass
class Side:
    """A matrix (value: a 2-D object array, kinds: its axes) or a scalar (kinds None), or a
    column/row of ones whose length its product decides (value None)."""

    value: object
    kinds: tuple[str, str] | None

    @property
    def scalar(self) -> bool:
        return self.kinds is None

    def shown(self) -> str:
        return " x ".join(_SHOWN[k] for k in self.kinds)


def _ones(rows: str, cols: str, graph: Graph) -> Side:
    sizes = {"T": graph.T, "d": graph.d, "dk": graph.d_k, "1": 1}
    value = np.full((sizes[rows], sizes[cols]), sympy.Integer(1), dtype=object)
    return Side(value, (rows, cols))


def _axes(name: str, graph: Graph) -> tuple[str, str]:
    """A matrix's axes; a residual's d_k is its d, so its d_k axes are d."""
    axes = AXES[name]
    return tuple("d" if graph.residual and k == "dk" else k for k in axes) if axes else axes


def _grads(name: str, graph: Graph) -> np.ndarray:
    if name == "A":
        return graph.dA
    return np.vectorize(lambda u: graph.grads[u], otypes=[object])(graph.arrays[name])


def evaluate(tree: tuple, graph: Graph) -> Side:
    """A side's shape and entries (Mismatch where shapes do not fit)."""
    side = _evaluate(tree, graph)
    if side.value is None:
        raise Unreadable("unreadable: a column of ones \\mathbf{1} is read inside a product")
    return side


def _evaluate(tree: tuple, graph: Graph) -> Side:
    kind = tree[0]
    if kind == "num":
        return Side(sympy.Rational(tree[1]), None)
    if kind == "size":
        return Side(sympy.Integer({"T": graph.T, "d": graph.d, "dk": graph.d_k}[tree[1]]), None)
    if kind == "mat":
        return Side(graph.arrays[tree[1]], _axes(tree[1], graph))
    if kind == "grad":
        return Side(_grads(tree[1], graph), _axes(tree[1], graph))
    if kind == "ones":
        return Side(None, ("?", "1"))
    if kind == "T":
        inner = _evaluate(tree[1], graph)
        if inner.scalar:
            return inner
        value = None if inner.value is None else inner.value.T
        return Side(value, (inner.kinds[1], inner.kinds[0]))
    if kind == "neg":
        inner = _evaluate(tree[1], graph)
        return Side(None, inner.kinds) if inner.value is None else Side(-inner.value, inner.kinds)
    if kind == "pow":
        base, power = _evaluate(tree[1], graph), _evaluate(tree[2], graph)
        if not (base.scalar and power.scalar):
            raise Unreadable("unreadable: only a scalar takes a power (^T is a transpose)")
        return Side(bounded_power(base.value, power.value), None)
    if kind == "div":
        top, bottom = _evaluate(tree[1], graph), _evaluate(tree[2], graph)
        if not bottom.scalar:
            raise Mismatch(f"a division by a {bottom.shown()} matrix")
        return Side(top.value / bottom.value, top.kinds)
    if kind == "mm":
        return _product([_evaluate(t, graph) for t in tree[1]], graph)
    if kind in ("had", "add"):
        return _elementwise(kind, [_evaluate(t, graph) for t in tree[1]])
    if kind == "rowsum":
        inner = _evaluate(tree[1], graph)
        if inner.scalar:
            raise Mismatch("a row sum of a scalar")
        total = np.array([[sympy.Add(*row)] for row in inner.value], dtype=object)
        return Side(total, (inner.kinds[0], "1"))
    if kind == "diag":
        return _diag(_evaluate(tree[1], graph))
    if kind == "rowat":  # row r of a matrix (symbp.check.attention_rows puts r in)
        inner = _evaluate(tree[1], graph)
        return Side(inner.value[tree[2] : tree[2] + 1, :], ("1", inner.kinds[1]))
    raise Unreadable(f"unreadable: {kind} is not read in a matrix-form attention step")


def _diag(inner: Side) -> Side:
    if inner.scalar or "1" not in inner.kinds:
        raise Mismatch("diag of a matrix: diag takes a column or a row")
    entries = list(inner.value.flat)
    value = np.full((len(entries), len(entries)), sympy.Integer(0), dtype=object)
    for n, e in enumerate(entries):
        value[n, n] = e
    axis = inner.kinds[0] if inner.kinds[1] == "1" else inner.kinds[1]
    return Side(value, (axis, axis))


def _product(factors: list[Side], graph: Graph) -> Side:
    scale, acc = sympy.Integer(1), None
    for n, f in enumerate(factors):
        if f.scalar:
            scale = scale * f.value
            continue
        if f.value is None and f.kinds[0] == "?":  # 1: a column of ones after a matrix
            if acc is None:
                raise Unreadable("unreadable: a column of ones \\mathbf{1} follows a matrix")
            f = _ones(acc.kinds[1], "1", graph)
        elif f.value is None:  # 1^T: a row of ones before a matrix, or a broadcast at the end
            after = next((g for g in factors[n + 1 :] if not g.scalar), None)
            if after is None:
                continue
            if after.value is None:
                raise Unreadable("unreadable: cannot tell the length of a row of ones")
            f = _ones("1", after.kinds[0], graph)
        if acc is None:
            acc = f
            continue
        if acc.kinds[1] != f.kinds[0]:
            raise Mismatch(f"a product of a {acc.shown()} and a {f.shown()} matrix")
        acc = Side(acc.value.dot(f.value), (acc.kinds[0], f.kinds[1]))
    if acc is None:
        return Side(scale, None)
    return Side(acc.value * scale, acc.kinds)


def _elementwise(kind: str, parts: list[Side]) -> Side:
    if any(p.value is None for p in parts):
        raise Unreadable("unreadable: a column of ones \\mathbf{1} is read inside a product")
    matrices = [p for p in parts if not p.scalar]
    if not matrices:
        value = sympy.Add(*[p.value for p in parts]) if kind == "add" else sympy.Mul(
            *[p.value for p in parts])  # fmt: skip
        return Side(value, None)
    if kind == "add" and len(matrices) < len(parts):
        raise Mismatch("a sum of a matrix and a scalar")
    kinds = list(matrices[0].kinds)
    for p in matrices[1:]:
        for axis in (0, 1):
            a, b = kinds[axis], p.kinds[axis]
            if a != b and "1" not in (a, b):
                word = "an elementwise product" if kind == "had" else "a sum"
                shapes = f"{' x '.join(_SHOWN[k] for k in kinds)} and a {p.shown()}"
                raise Mismatch(f"{word} of a {shapes} matrix")
            kinds[axis] = a if b == "1" else b
    value = parts[0].value
    for p in parts[1:]:
        value = value + p.value if kind == "add" else value * p.value
    return Side(value, tuple(kinds))


__all__ = ["Mismatch", "Side", "evaluate"]
