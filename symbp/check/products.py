"""Sums and products of scalars and matrices, with the shapes named when they do not fit.

The elementwise product of a diagonal matrix (a Jacobian such as ``(f^{l})'``) and a vector is
their matrix product; a scalar added to a matrix is added to every entry (Octave's ``1 - a``).

>>> m = Matrix([[1, 2], [3, 4]])
>>> times("cdot", m, Matrix([1, 1]))
Matrix([
[3],
[7]])
>>> times("circ", m, Matrix([1, 1]))
Traceback (most recent call last):
...
symbp.check.products.ShapeMismatch: elementwise product of a 2x2 and a 2x1 matrix
"""

from __future__ import annotations

import sympy

Matrix = sympy.ImmutableMatrix
Value = sympy.Expr | sympy.ImmutableMatrix


class ShapeMismatch(Exception):
    """The two operands of a matrix operation do not fit; the message names both shapes."""


def shape_of(v: Value) -> str:
    return "x".join(map(str, v.shape)) if isinstance(v, Matrix) else "scalar"


def as_scalar(v: Value) -> Value:
    return v[0, 0] if isinstance(v, Matrix) and v.shape == (1, 1) else v


def add(x: Value, y: Value) -> Value:
    mx, my = isinstance(x, Matrix), isinstance(y, Matrix)
    if mx and my:
        if x.shape != y.shape:
            raise ShapeMismatch(f"cannot add a {shape_of(x)} and a {shape_of(y)} matrix")
        return x + y
    if mx:
        return x.applyfunc(lambda e: e + y)
    if my:
        return y.applyfunc(lambda e: x + e)
    return x + y


def times(op: str, x: Value, y: Value) -> Value:
    mx, my = isinstance(x, Matrix), isinstance(y, Matrix)
    if op == "/":
        if my:
            raise ShapeMismatch(f"cannot divide by a {shape_of(y)} matrix")
        return x / y
    if not (mx and my):
        return x * y
    if op == "circ":
        if x.shape == y.shape:
            return Matrix(x.multiply_elementwise(y))
        if x.is_square and y.shape[1] == 1 and x.shape[0] == y.shape[0] and x.is_diagonal():
            return x * y
        if y.is_square and x.shape[1] == 1 and y.shape[0] == x.shape[0] and y.is_diagonal():
            return y * x
        raise ShapeMismatch(f"elementwise product of a {shape_of(x)} and a {shape_of(y)} matrix")
    if x.shape == y.shape and x.shape[1] == 1 and x.shape[0] > 1:
        # two columns have no matrix product: \cdot between them is elementwise (Wikipedia's
        # cdot style writes both products with it)
        return Matrix(x.multiply_elementwise(y))
    if x.shape[1] != y.shape[0]:
        raise ShapeMismatch(f"matrix product of a {shape_of(x)} and a {shape_of(y)} matrix")
    return as_scalar(x * y)


def tight_first(items: list[tuple[str, Value]]) -> Value:
    groups: list[tuple[str, Value]] = []
    for op, v in items:
        if op == "circ" or not groups:
            groups.append((op, v))
        else:
            groups[-1] = (groups[-1][0], times(op, groups[-1][1], v))
    out = groups[0][1]
    for op, v in groups[1:]:
        out = times(op, out, v)
    return out


def right_to_left(items: list[tuple[str, Value]]) -> Value:
    out = items[-1][1]
    for i in range(len(items) - 2, -1, -1):
        out = times(items[i + 1][0], items[i][1], out)
    return out
