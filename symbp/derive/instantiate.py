"""The generic matrix equations evaluated for a concrete network, as SymPy matrices.

This is how the generic derivation is checked against the concrete one
(:func:`symbp.derive.concrete.derive`): every node of :mod:`symbp.derive.matrix` becomes a
matrix of the concrete network's symbols (``W^2`` the matrix of ``w2_j_k``, ``(f^1)'`` the
column of f'(z1_j), ``nabla_{a^L} C`` the column of dC/da^L_j), so a generic equation for
layer l gives, entry by entry, the concrete result for that layer.

>>> from symbp.model import network
>>> from symbp.derive.generic import derive_generic
>>> net = network([2, 3, 2], "sigmoid", "sigmoid", "mse")
>>> grad = derive_generic().equations["grad_W"]
>>> evaluate(grad.rhs, net, {LAYER: 2})[0, 1]
a1_2*delta2_1
"""

from __future__ import annotations

import sympy

from symbp.activations import Elementwise
from symbp.derive import matrix as mx
from symbp.derive.matrix import DEPTH, LAYER
from symbp.model import Forward, Network, forward

__all__ = ["DEPTH", "LAYER", "evaluate"]


class _Evaluator:
    def __init__(self, net: Network, layers: dict[sympy.Symbol, int]) -> None:
        self.net = net
        self.fwd: Forward = forward(net)
        self.layers = {LAYER: layers.get(LAYER, 1), DEPTH: net.L, **layers}
        self.unit = net.bias == "unit"

    def layer(self, expr: sympy.Expr) -> int:
        return int(sympy.sympify(expr).subs(self.layers))

    def __call__(self, node: mx.Node) -> sympy.Matrix:
        return getattr(self, f"_{type(node).__name__}")(node)

    def _column(self, symbols: list[sympy.Expr]) -> sympy.Matrix:
        return sympy.Matrix(symbols)

    def _Vec(self, node: mx.Vec, with_bias_unit: bool = False) -> sympy.Matrix:
        fwd = self.fwd
        if node.kind == "one":
            return sympy.Matrix([[1]])
        if node.kind == "y":
            return self._column(fwd.y)
        if node.kind == "x":
            return self._column(fwd.x)
        k = self.layer(node.layer)
        units = range(1, self.net.sizes[k] + 1)
        table = {"a": fwd.a, "z": fwd.z, "delta": fwd.delta, "b": fwd.biases}[node.kind]
        if node.kind == "a" and k == 0:
            column = list(fwd.x)
        else:
            column = [table[(k, j)] for j in units]
        if with_bias_unit:
            column = [sympy.Integer(1), *column]
        return self._column(column)

    def _Mat(self, node: mx.Mat) -> sympy.Matrix:
        k = self.layer(node.layer)
        first = 0 if self.unit else 1
        rows, cols = self.net.sizes[k], self.net.sizes[k - 1]
        return sympy.Matrix(
            rows, cols + 1 - first, lambda j, c: self.fwd.weights[(k, j + 1, c + first)]
        )

    def _FPrime(self, node: mx.FPrime) -> sympy.Matrix:
        k = self.layer(node.layer)
        act = self.net.activation(k)
        if not isinstance(act, Elementwise):
            raise ValueError(f"(f^{k})' of {act.name} is a Jacobian, not a vector")
        return self._column(
            [act.fprime(self.fwd.z[(k, j)]) for j in range(1, self.net.sizes[k] + 1)]
        )

    def _Jacobian(self, node: mx.Jacobian) -> sympy.Matrix:
        k = self.layer(node.layer)
        n = self.net.sizes[k]
        zs = [self.fwd.z[(k, j)] for j in range(1, n + 1)]
        outputs = self.net.activation(k)(zs)
        return sympy.Matrix(n, n, lambda i, j: sympy.diff(outputs[i], zs[j]))

    def _Grad(self, node: mx.Grad) -> sympy.Matrix:
        if not (isinstance(node.wrt, mx.Vec) and node.wrt.kind == "a"):
            raise ValueError("only nabla_{a^L} C has a concrete value before the derivation")
        outputs = self.fwd.previous(self.layer(node.wrt.layer))
        return self._column([sympy.diff(self.fwd.loss, a) for a in outputs])

    def _T(self, node: mx.T) -> sympy.Matrix:
        matrix = self(node.arg)
        if self.unit and isinstance(node.arg, mx.Mat) and node.arg.kind == "W":
            # NOTE: column 0 of Ng's Theta multiplies the constant bias unit a_0 = 1, so it
            # carries nothing back; the derivation drops that row of Theta^T delta (its
            # recorded assumption), and so does this.
            matrix = matrix[:, 1:]
        return matrix.T

    def _MatMul(self, node: mx.MatMul) -> sympy.Matrix:
        out = self(node.args[0])
        for arg in node.args[1:]:
            out = out * self(arg)
        return out

    def _Hadamard(self, node: mx.Hadamard) -> sympy.Matrix:
        parts = [self(a) for a in node.args]
        if any(p.shape != parts[0].shape for p in parts):
            raise ValueError(f"Hadamard product of shapes {[p.shape for p in parts]}")
        out = parts[0]
        for p in parts[1:]:
            out = out.multiply_elementwise(p)
        return out

    def _Outer(self, node: mx.Outer) -> sympy.Matrix:
        right = node.right
        if isinstance(right, mx.Vec) and self.unit:
            return self(node.left) * self._Vec(right, with_bias_unit=True).T
        return self(node.left) * self(right).T

    def _Add(self, node: mx.Add) -> sympy.Matrix:
        parts = [self(a) for a in node.args]
        shape = max((p.shape for p in parts), key=lambda s: s[0] * s[1])
        out = sympy.zeros(*shape)
        for p in parts:
            out += p if p.shape == shape else p[0, 0] * sympy.ones(*shape)
        return out

    def _Neg(self, node: mx.Neg) -> sympy.Matrix:
        return -self(node.arg)

    def _Scaled(self, node: mx.Scaled) -> sympy.Matrix:
        return node.coefficient * self(node.arg)

    def _Scalar(self, node: mx.Scalar) -> sympy.Matrix:
        return sympy.Matrix([[sympy.Symbol(node.name)]])


def evaluate(node: mx.Node, net: Network, layers: dict[sympy.Symbol, int]) -> sympy.Matrix:
    """The matrix a generic expression stands for in ``net`` at the given layer numbers
    (``{LAYER: 2}``; ``L`` is the network's depth). ``Vec("one")`` broadcasts as in 1 - a."""
    return _Evaluator(net, layers)(node)
