"""A dense network's matrix form as array statements for PyTorch or JAX (no buffers).

The same layer forms and the same equation comments as the NumPy trainer
(:mod:`symbp.compile.lines`), written as one expression per array, so that JAX can trace and
fuse them and PyTorch runs each as one kernel. Elementwise code is the NumPy backend's,
translated op for op (:mod:`symbp.compile.dialects`).

>>> from symbp.compile.dialects import TORCH
>>> from symbp.compile.matrix import matrix_form
>>> from symbp.model import network
>>> lines = ArrayLines(matrix_form(network([2, 2, 1], "sigmoid", "sigmoid", "bce")), TORCH)
>>> lines.forward()[1:2]
['Z1 = torch.addmm(b1, X, W1.T)']
>>> [line for line in lines.backward() if not line.startswith("#")][:3]
['D2 = (A2 - Y) * scale', 'dW2 = D2.T @ A1', 'db2 = D2.sum(dim=0)']
"""

from __future__ import annotations

import sympy

from symbp import notation
from symbp.compile.dialects import Dialect, translate
from symbp.compile.matrix import LayerForm, MatrixForm, unit_equation
from symbp.compile.numeric import printed, stable_form
from symbp.losses import TARGETS_SUM_TO_ONE


class ArrayLines:
    """Statements over the arrays X, Y, W<l>, b<l>, Z<l>, A<l>, D<l> of a batch of rows."""

    def __init__(self, form: MatrixForm, dialect: Dialect, style: str = notation.DEFAULT) -> None:
        self.form, self.dialect, self.style = form, dialect, style
        self.net = form.network
        self.saved: list[str] = []  # the forward arrays the loss and the backward pass read

    def name(self, kind: str, idx: tuple) -> str:
        return notation.latex_name(kind, idx, self.style)

    def code(self, numpy_code: str) -> str:
        return translate(numpy_code, self.dialect)

    def _save(self, *names: str) -> None:
        self.saved += [n for n in names if n not in self.saved]

    def forward(self) -> list[str]:
        out = []
        for layer in range(1, self.net.L + 1):
            lf = self.form.layers[layer - 1]
            prev = "X" if layer == 1 else f"A{layer - 1}"
            z, a = self.name("pre", (layer, "j")), self.name("act", (layer, "j"))
            wk = self.name("weight", (layer, "j", "k"))
            ak = self.name("act", (layer - 1, "k")) if layer > 1 else self.name("input", ("k",))
            bias = self.name("bias", (layer, "j"))
            out += [
                f"# {z} = \\sum_k {wk} {ak} + {bias}    (Z{layer} = {prev} W{layer}^T + b{layer})",
                f"Z{layer} = {self.dialect.affine(prev, f'W{layer}', f'b{layer}')}",
                f"# {a} = {lf.activation.latex}({z})",
            ]
            self._save(f"Z{layer}", f"A{layer}")
            if lf.forward_code is not None:
                out.append(f"A{layer} = {self.code(lf.forward_code)}")
            else:
                out += self._softmax(layer)
        return out

    def _softmax(self, layer: int) -> list[str]:
        self._save(f"MX{layer}", f"S{layer}")
        z = f"Z{layer}"
        return [
            "# softmax via log-sum-exp: exp(z - max z) cannot overflow",
            f"MX{layer} = {self.dialect.rowmax(z)}",
            f"E{layer} = {self.dialect.module}.exp({z} - MX{layer})",
            f"S{layer} = {self.dialect.rowsum(f'E{layer}')}  # row sums",
            f"A{layer} = E{layer} / S{layer}",
        ]

    def loss(self) -> list[str]:
        """Statements leaving the summed loss of the batch (a 0-d array) in ``total``."""
        net, lf, L = self.net, self.form.layers[-1], self.net.L
        if lf.activation.name == "softmax" and net.loss.name == "categorical_cross_entropy":
            lines = [
                "# C = -sum_j y_j log a_j = sum_j y_j (logsumexp(z) - z_j): from z, never log(0)",
                f"LSE = {self.dialect.module}.log(S{L}) + MX{L}",
            ]
            if TARGETS_SUM_TO_ONE in self.form.derivation.assumptions:
                lines.append("# sum_j y_j = 1, as the derivation of delta assumed")
                return [*lines, f"total = LSE.sum() - (Y * Z{L}).sum()"]
            rows = self.dialect.rowsum("Y")
            return [*lines, f"total = (LSE * {rows}).sum() - (Y * Z{L}).sum()"]
        if lf.loss_code is not None:
            code = stable_form(lf.loss_code, Z=f"Z{L}")
            return [
                f"# C = {net.loss.latex}, computed from the pre-activations z (stable)",
                f"total = ({self.code(code)}).sum()",
            ]
        arr = self.form.template_symbols(L)
        lines = [f"# C = {net.loss.latex}"]
        term = net.loss.term(arr["A"], arr["Y"])
        if net.loss.needs_range is not None:
            lines += self._clip()
            term = term.xreplace({arr["A"]: sympy.Symbol(f"C{L}", real=True)})
        return [*lines, f"total = ({self.code(printed(term))}).sum()"]

    def _clip(self) -> list[str]:
        """C<L> = A<L> clipped into the loss's open domain, so that log and 1/a stay finite."""
        L = self.net.L
        lo, hi = (float(v) for v in self.net.loss.needs_range)
        high = None if hi == float("inf") else f"{hi} - {self.dialect.finfo('eps')}"
        low = f"{lo} + {self.dialect.finfo('tiny')}"
        return [
            "# outputs clipped into the loss's domain: log and division never see 0",
            f"C{L} = {self.dialect.clip(f'A{L}', low, high)}",
        ]

    def _output_code(self, lf: LayerForm) -> tuple[list[str], str]:
        L = self.net.L
        if self.net.loss.needs_range is None or sympy.denom(sympy.together(lf.delta_template)) == 1:
            return [], lf.delta_code
        return self._clip(), stable_form(lf.delta_code, **{f"A{L}": f"C{L}"})

    def backward(self) -> list[str]:
        """D<l> = scale * delta^l, layer by layer from the output, and dW<l>, db<l>."""
        L, out = self.net.L, []
        for layer in range(L, 0, -1):
            lf, d = self.form.layers[layer - 1], f"D{layer}"
            out.append(f"# {unit_equation(self.form, layer, self.style)}")
            if layer == L:
                clip, code = self._output_code(lf)
                out += clip
                if lf.kind == "elementwise":
                    out.append(f"# D{L} = scale * ({code})    [{lf.delta_source}]")
                    out.append(f"{d} = ({self.code(code)}) * scale")
                else:
                    out.append(f"# G = dC/dA = {code}; D{L} = scale * A * (G - rowsum(G * A))")
                    out.append(f"G{L} = {self.code(code)}")
                    out += self._softmax_backward(layer, scale=True)
            else:
                above = f"D{layer + 1} @ W{layer + 1}"
                if lf.kind == "softmax":
                    a = f"A{layer}"
                    rule = f"G = D{layer + 1} W{layer + 1}; D{layer} = {a} * (G - rowsum(G * {a}))"
                    out += [f"# {rule}    [{lf.delta_source}]", f"G{layer} = {above}"]
                    out += self._softmax_backward(layer, scale=False)
                else:
                    rule = f"D{layer} = (D{layer + 1} W{layer + 1}) * F{layer}"
                    out.append(f"# {rule}    [{lf.delta_source}]")
                    factor = self.code(lf.delta_code)
                    out.append(
                        f"{d} = {above}" if factor == "1" else f"{d} = ({above}) * ({factor})"
                    )
            out += self._gradient_lines(layer)
        return out

    def _softmax_backward(self, layer: int, scale: bool) -> list[str]:
        a, g = f"A{layer}", f"G{layer}"
        tail = " * scale" if scale else ""
        return [f"D{layer} = {a} * ({g} - {self.dialect.rowsum(f'{g} * {a}')}){tail}"]

    def _gradient_lines(self, layer: int) -> list[str]:
        prev = "X" if layer == 1 else f"A{layer - 1}"
        weight = self.name("weight", (layer, "j", "k"))
        ak = self.name("act", (layer - 1, "k")) if layer > 1 else self.name("input", ("k",))
        delta, bias = self.name("delta", (layer, "j")), self.name("bias", (layer, "j"))
        return [
            f"# dC/d{weight} = {delta} {ak}    (dW{layer} = D{layer}^T {prev}, summed over rows)",
            f"dW{layer} = D{layer}.T @ {prev}",
            f"# dC/d{bias} = {delta}    (db{layer} = column sums of D{layer})",
            f"db{layer} = {self.dialect.colsum(f'D{layer}')}",
        ]
