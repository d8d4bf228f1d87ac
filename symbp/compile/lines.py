"""The statements of a compiled trainer, layer by layer: forward, loss, backward, gradients.

Each writer returns source lines for :mod:`symbp.compile.module` and registers the buffers the
lines use (a name and the expression that allocates it for a batch of m rows).

>>> from symbp.compile.matrix import matrix_form
>>> from symbp.model import network
>>> w = Writer(matrix_form(network([2, 2, 1], "sigmoid", "sigmoid", "bce")), "wikipedia")
>>> forward_lines(w)[1:3]
['np.matmul(X, W1.T, out=Z1)', 'np.add(Z1, b1, out=Z1)']
>>> w.buffers["Z1"]
'np.empty((m, 2), DTYPE)'
"""

from __future__ import annotations

import sympy

from symbp import notation
from symbp.compile.matrix import LayerForm, MatrixForm, unit_equation
from symbp.compile.numeric import inplace, printed, stable_form
from symbp.losses import TARGETS_SUM_TO_ONE
from symbp.model import Network


class Writer:
    """Collects lines and the buffers they use (name -> shape expression in m)."""

    def __init__(self, form: MatrixForm, style: str) -> None:
        self.form, self.style = form, style
        self.buffers: dict[str, str] = {}

    def buffer(self, name: str, shape: str, fill: str = "empty") -> str:
        """Register a buffer; ``fill="ones"`` for the vectors that sum by matrix product."""
        self.buffers.setdefault(name, f"np.{fill}({shape}, DTYPE)")
        return name

    def emit(self, code: str, out: str, shape: str) -> list[str]:
        lines = inplace(code, out, temp=f"{out}_t")
        for line in lines:
            for word in line.replace("(", " ").replace(",", " ").replace(")", " ").split():
                if word.startswith(f"{out}_t") and word[len(out) + 2 :].isdigit():
                    self.buffer(word, shape)
        return lines

    def name(self, kind: str, idx: tuple) -> str:
        return notation.latex_name(kind, idx, self.style)


def _shape(net: Network, layer: int) -> str:
    return f"(m, {net.sizes[layer]})"


def forward_lines(w: Writer) -> list[str]:
    net, form = w.form.network, w.form
    out = []
    for layer in range(1, net.L + 1):
        lf, shape = form.layers[layer - 1], _shape(net, layer)
        prev = "X" if layer == 1 else f"A{layer - 1}"
        z, a = w.name("pre", (layer, "j")), w.name("act", (layer, "j"))
        wk = w.name("weight", (layer, "j", "k"))
        ak = w.name("act", (layer - 1, "k")) if layer > 1 else w.name("input", ("k",))
        bias = w.name("bias", (layer, "j"))
        w.buffer(f"Z{layer}", shape)
        w.buffer(f"A{layer}", shape)
        out += [
            f"# {z} = \\sum_k {wk} {ak} + {bias}    (Z{layer} = {prev} W{layer}^T + b{layer})",
            f"np.matmul({prev}, W{layer}.T, out=Z{layer})",
            f"np.add(Z{layer}, b{layer}, out=Z{layer})",
            f"# {a} = {lf.activation.latex}({z})",
        ]
        if lf.forward_code is not None:
            out += w.emit(lf.forward_code, f"A{layer}", shape)
        else:
            out += _softmax_lines(w, layer)
    return out


def _softmax_lines(w: Writer, layer: int) -> list[str]:
    """Softmax by log-sum-exp: subtract the row maximum before exp (no overflow)."""
    mx = w.buffer(f"MX{layer}", "(m, 1)")
    s = w.buffer(f"S{layer}", "(m, 1)")
    return [
        "# softmax via log-sum-exp: exp(z - max z) cannot overflow",
        *_row_max(w, layer, mx),
        f"np.subtract(Z{layer}, {mx}, out=A{layer})",
        f"np.exp(A{layer}, out=A{layer})",
        f"np.matmul(A{layer}, {_ones_column(w, layer)}, out={s})  # row sums",
        f"np.divide(A{layer}, {s}, out=A{layer})",
    ]


UNROLLED_MAX = 16
"""Row maxima of at most this many columns are taken column by column (NumPy's reduction
along a short row costs more than the few elementwise maxima)."""


def _row_max(w: Writer, layer: int, mx: str) -> list[str]:
    n = w.form.network.sizes[layer]
    z = f"Z{layer}"
    if n > UNROLLED_MAX:
        return [f"np.maximum.reduce({z}, axis=1, keepdims=True, out={mx})"]
    lines = [f"np.maximum({z}[:, 0:1], {z}[:, 1:2], out={mx})"]
    lines += [f"np.maximum({mx}, {z}[:, {j}:{j + 1}], out={mx})" for j in range(2, n)]
    return lines


def _ones_column(w: Writer, layer: int) -> str:
    """A column of ones: ``X @ ones`` sums rows as one BLAS call."""
    return w.buffer(f"ONES{layer}", f"({w.form.network.sizes[layer]}, 1)", fill="ones")


def _ones_row(w: Writer) -> str:
    """A row of m ones: ``ones @ D`` sums the batch as one BLAS call."""
    return w.buffer("ONES", "(m,)", fill="ones")


def loss_lines(w: Writer) -> list[str]:
    """Lines that leave the summed loss of the batch in ``total`` (after the forward pass)."""
    net, form = w.form.network, w.form
    L, lf = net.L, form.layers[-1]
    shape, t = _shape(net, L), f"T{L}"
    if lf.activation.name == "softmax" and net.loss.name == "categorical_cross_entropy":
        s, mx = f"S{L}", f"MX{L}"
        lines = [
            "# C = -sum_j y_j log a_j = sum_j y_j (logsumexp(z) - z_j): from z, never log(0)",
            f"np.log({s}, out={s})",
            f"np.add({s}, {mx}, out={s})",
        ]
        if TARGETS_SUM_TO_ONE in form.derivation.assumptions:
            lines.append("# sum_j y_j = 1, as the derivation of delta assumed")
            return [*lines, f"total = float({s}.sum() - np.vdot(Y, Z{L}))"]
        return [*lines, f"total = float(np.dot({s}[:, 0], Y.sum(axis=1)) - np.vdot(Y, Z{L}))"]
    w.buffer(t, shape)
    if lf.loss_code is not None:
        code = stable_form(lf.loss_code, Z=f"Z{L}")
        return [
            f"# C = {net.loss.latex}, computed from the pre-activations z (stable)",
            *w.emit(code, t, shape),
            f"total = float({t}.sum())",
        ]
    A = form.template_symbols(L)["A"]
    Y = form.template_symbols(L)["Y"]
    lines = [f"# C = {net.loss.latex}"]
    term = net.loss.term(A, Y)
    if net.loss.needs_range is not None:
        lines += _clip_lines(w)
        term = term.xreplace({A: type(A)(f"C{L}", real=True)})
    lines += w.emit(printed(term), t, shape)
    lines.append(f"total = float({t}.sum())")
    return lines


def _clip_lines(w: Writer) -> list[str]:
    """C<L> = A<L> clipped into the loss's open domain, so that log and 1/a stay finite."""
    net = w.form.network
    L = net.L
    lo, hi = (float(v) for v in net.loss.needs_range)
    high = "np.inf" if hi == float("inf") else f"{hi} - np.finfo(DTYPE).eps"
    clipped = w.buffer(f"C{L}", _shape(net, L))
    return [
        "# outputs clipped into the loss's domain: log and division never see 0",
        f"np.clip(A{L}, {lo} + np.finfo(DTYPE).tiny, {high}, out={clipped})",
    ]


def _output_delta_code(w: Writer, lf: LayerForm) -> tuple[list[str], str]:
    """The output delta's code, reading clipped outputs where the formula divides by them."""
    net = w.form.network
    if net.loss.needs_range is None or sympy.denom(sympy.together(lf.delta_template)) == 1:
        return [], lf.delta_code
    return _clip_lines(w), stable_form(lf.delta_code, **{f"A{net.L}": f"C{net.L}"})


def backward_lines(w: Writer) -> list[str]:
    net, form = w.form.network, w.form
    L, out = net.L, []
    for layer in range(L, 0, -1):
        lf, shape = form.layers[layer - 1], _shape(net, layer)
        d = w.buffer(f"D{layer}", shape)
        out.append(f"# {unit_equation(form, layer, w.style)}")
        if layer == L and lf.kind == "elementwise":
            clip, code = _output_delta_code(w, lf)
            out.append(f"# D{L} = scale * ({code})    [{lf.delta_source}]")
            out += clip + w.emit(code, d, shape)
        elif layer == L:
            clip, code = _output_delta_code(w, lf)
            out.append(f"# G = dC/dA = {code}; D{L} = scale * A * (G - rowsum(G * A))")
            out += clip + w.emit(code, d, shape)
            out += _softmax_backward(w, layer)
        else:
            rule = f"D{layer} = (D{layer + 1} W{layer + 1}) * F{layer}"
            if lf.kind == "softmax":
                a = f"A{layer}"
                rule = f"G = D{layer + 1} W{layer + 1}; D{layer} = {a} * (G - rowsum(G * {a}))"
            out.append(f"# {rule}    [{lf.delta_source}]")
            out.append(f"np.matmul(D{layer + 1}, W{layer + 1}, out={d})")
            if lf.kind == "softmax":
                out += _softmax_backward(w, layer)
            else:
                out += w.emit(lf.delta_code, w.buffer(f"F{layer}", shape), shape)
                out.append(f"np.multiply({d}, F{layer}, out={d})")
        if layer == L:
            out.append(f"np.multiply({d}, scale, out={d})")
        out += _gradient_lines(w, layer)
    return out


def _softmax_backward(w: Writer, layer: int) -> list[str]:
    t = w.buffer(f"P{layer}", _shape(w.form.network, layer))
    s = w.buffer(f"S{layer}", "(m, 1)")
    d, a = f"D{layer}", f"A{layer}"
    return [
        f"np.multiply({d}, {a}, out={t})",
        f"np.matmul({t}, {_ones_column(w, layer)}, out={s})  # row sums",
        f"np.subtract({d}, {s}, out={d})",
        f"np.multiply({d}, {a}, out={d})",
    ]


def _gradient_lines(w: Writer, layer: int) -> list[str]:
    net = w.form.network
    w.buffer(f"dW{layer}", f"({net.sizes[layer]}, {net.sizes[layer - 1]})")
    w.buffer(f"db{layer}", f"({net.sizes[layer]},)")
    prev = "X" if layer == 1 else f"A{layer - 1}"
    weight = w.name("weight", (layer, "j", "k"))
    ak = w.name("act", (layer - 1, "k")) if layer > 1 else w.name("input", ("k",))
    delta, bias = w.name("delta", (layer, "j")), w.name("bias", (layer, "j"))
    return [
        f"# dC/d{weight} = {delta} {ak}    (dW{layer} = D{layer}^T {prev}, summed over rows)",
        f"np.matmul(D{layer}.T, {prev}, out=dW{layer})",
        f"# dC/d{bias} = {delta}    (db{layer} = column sums of D{layer})",
        f"np.matmul({_ones_row(w)}, D{layer}, out=db{layer})",
    ]
