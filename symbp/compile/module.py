"""Write a network's matrix form (:mod:`symbp.compile.matrix`) as a standalone NumPy module.

The module imports only NumPy and has one interface whatever the network::

    init_params(seed=0) -> {"W1", ..., "WL", "b1", ..., "bL"}   W^l: (n_l, n_{l-1}), b^l: (n_l,)
    forward(params, X) -> A          X: (m, n0), A: (m, nL)
    loss(params, X, Y) -> float      mean over the m rows, plus lambda/(2m) sum w^2
    gradients(params, X, Y) -> dict  same keys and shapes as params
    step(params, X, Y, lr) -> float  w <- w - lr * gradient in place; the loss before the step

Every array of a step lives in buffers allocated once per batch size; the backward pass carries
``scale = 1/m`` (or ``lr/m`` in ``step``) in ``D^L``, so the gradient products need no extra pass.

>>> import numpy as np
>>> from symbp.model import network
>>> trainer = load_trainer(network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
>>> params = trainer.init_params(seed=0)
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
>>> Y = np.array([[0.0], [1.0], [1.0], [0.0]])
>>> before = trainer.step(params, X, Y, lr=1.0)
>>> bool(trainer.loss(params, X, Y) < before)
True
"""

from __future__ import annotations

import types

import sympy

from symbp import notation
from symbp.compile.matrix import LayerForm, MatrixForm, matrix_form, unit_equation
from symbp.compile.numeric import inplace, printed, stable_form
from symbp.errors import SpecError
from symbp.losses import TARGETS_SUM_TO_ONE
from symbp.model import Network

DTYPES = ("float64", "float32")


class _Writer:
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


def _forward_lines(w: _Writer) -> list[str]:
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


def _softmax_lines(w: _Writer, layer: int) -> list[str]:
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


def _row_max(w: _Writer, layer: int, mx: str) -> list[str]:
    n = w.form.network.sizes[layer]
    z = f"Z{layer}"
    if n > UNROLLED_MAX:
        return [f"np.maximum.reduce({z}, axis=1, keepdims=True, out={mx})"]
    lines = [f"np.maximum({z}[:, 0:1], {z}[:, 1:2], out={mx})"]
    lines += [f"np.maximum({mx}, {z}[:, {j}:{j + 1}], out={mx})" for j in range(2, n)]
    return lines


def _ones_column(w: _Writer, layer: int) -> str:
    """A column of ones: ``X @ ones`` sums rows as one BLAS call."""
    return w.buffer(f"ONES{layer}", f"({w.form.network.sizes[layer]}, 1)", fill="ones")


def _ones_row(w: _Writer) -> str:
    """A row of m ones: ``ones @ D`` sums the batch as one BLAS call."""
    return w.buffer("ONES", "(m,)", fill="ones")


def _loss_lines(w: _Writer) -> list[str]:
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


def _clip_lines(w: _Writer) -> list[str]:
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


def _output_delta_code(w: _Writer, lf: LayerForm) -> tuple[list[str], str]:
    """The output delta's code, reading clipped outputs where the formula divides by them."""
    net = w.form.network
    if net.loss.needs_range is None or sympy.denom(sympy.together(lf.delta_template)) == 1:
        return [], lf.delta_code
    return _clip_lines(w), stable_form(lf.delta_code, **{f"A{net.L}": f"C{net.L}"})


def _backward_lines(w: _Writer) -> list[str]:
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


def _softmax_backward(w: _Writer, layer: int) -> list[str]:
    t = w.buffer(f"P{layer}", _shape(w.form.network, layer))
    s = w.buffer(f"S{layer}", "(m, 1)")
    d, a = f"D{layer}", f"A{layer}"
    return [
        f"np.multiply({d}, {a}, out={t})",
        f"np.matmul({t}, {_ones_column(w, layer)}, out={s})  # row sums",
        f"np.subtract({d}, {s}, out={d})",
        f"np.multiply({d}, {a}, out={d})",
    ]


def _gradient_lines(w: _Writer, layer: int) -> list[str]:
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


def _indent(lines: list[str], depth: int = 1) -> str:
    pad = "    " * depth
    return "\n".join(pad + line for line in lines)


def trainer_source(net: Network, dtype: str = "float64", style: str = "wikipedia") -> str:
    """The standalone trainer module for ``net`` as Python source.

    >>> from symbp.model import network
    >>> source = trainer_source(network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
    >>> "import numpy as np" in source and "def step(params, X, Y, lr):" in source
    True
    """
    if dtype not in DTYPES:
        raise SpecError(f"unknown dtype {dtype!r}; known: {', '.join(DTYPES)}")
    notation.check_notation(style)
    form = matrix_form(net)
    w = _Writer(form, style)
    forward = _forward_lines(w)
    cost = _loss_lines(w)
    backward = _backward_lines(w)
    L = net.L
    names = [f"W{layer}" for layer in range(1, L + 1)] + [f"b{layer}" for layer in range(1, L + 1)]
    unpack_params = f"{', '.join(names)} = ({', '.join(f'params[{n!r}]' for n in names)},)"
    buffer_names = list(w.buffers)
    unpack_buffers = f"({', '.join(buffer_names)},) = buf"
    allocate = ",\n".join(f"        {made}" for made in w.buffers.values())
    grads = ", ".join(f"{n!r}: d{n}" for n in names)
    penalty = " + ".join(f"np.vdot(W{layer}, W{layer})" for layer in range(1, L + 1))
    l2 = float(net.l2)
    decay = [
        f"W{layer} *= 1.0 - lr * L2 / m  # the L2 term's gradient lambda/m * w"
        for layer in range(1, L + 1)
    ]
    update = [f"np.subtract({n}, d{n}, out={n})" for n in names]
    bias_note = "Ng's bias unit (column 0 of Theta) is b" if net.bias == "unit" else "biases b"
    return f'''"""Trainer for the network {net.describe()}.

Generated by symbp from the network's derivation; imports only NumPy. A batch of m examples is
held as rows: X (m, {net.sizes[0]}), Z<l>, A<l>, D<l> (m, n_l); W<l> (n_l, n_(l-1)), b<l> (n_l,);
{bias_note}. Comments give each equation in {style} notation. D<l> holds scale * delta^l,
with scale = 1/m (gradients) or lr/m (step), so that D^T A is already the mean gradient.
"""

import numpy as np

SIZES = {tuple(net.sizes)!r}
DTYPE = np.{dtype}
L2 = {l2!r}  # lambda in lambda/(2m) * sum of squared weights (biases are not regularised)

_BUFFERS = {{}}


def init_params(seed=0):
    """Glorot-normal weights W<l> (n_l, n_(l-1)), variance 2/(n_in + n_out); zero biases."""
    rng = np.random.default_rng(seed)
    params = {{}}
    for layer in range(1, len(SIZES)):
        n_in, n_out = SIZES[layer - 1], SIZES[layer]
        spread = np.sqrt(2.0 / (n_in + n_out))
        params[f"W{{layer}}"] = rng.normal(0.0, spread, (n_out, n_in)).astype(DTYPE)
    for layer in range(1, len(SIZES)):
        params[f"b{{layer}}"] = np.zeros(SIZES[layer], DTYPE)
    return params


def _buffers(m):
    """Every array a step writes, allocated once per batch size m and reused."""
    buf = _BUFFERS.get(m)
    if buf is None:
        if len(_BUFFERS) >= 4:
            _BUFFERS.clear()
        buf = _BUFFERS[m] = (
{allocate},
        )
    return buf


def _batch(X, Y=None):
    X = np.ascontiguousarray(X, dtype=DTYPE)
    if X.ndim != 2 or X.shape[1] != SIZES[0]:
        raise ValueError(f"X must have shape (m, {{SIZES[0]}}), got {{X.shape}}")
    if Y is None:
        return X, None
    Y = np.ascontiguousarray(Y, dtype=DTYPE)
    if Y.shape != (X.shape[0], SIZES[-1]):
        raise ValueError(f"Y must have shape ({{X.shape[0]}}, {{SIZES[-1]}}), got {{Y.shape}}")
    return X, Y


def _forward(params, X, buf):
    {unpack_params}
    {unpack_buffers}
{_indent(forward)}


def _cost(params, Y, buf, m):
    """Mean loss over the rows (after _forward), plus the L2 term."""
    {unpack_buffers}
{_indent(cost)}
    if L2:
        {unpack_params}
        total += 0.5 * L2 * float({penalty})
    return total / m


def _backward(params, X, Y, buf, scale):
    """Backpropagation in matrix form: leaves scale * gradient in dW<l>, db<l>."""
    {unpack_params}
    {unpack_buffers}
{_indent(backward)}


def forward(params, X):
    """The network's output A (m, {net.sizes[-1]}) for inputs X (m, {net.sizes[0]})."""
    X, _ = _batch(X)
    buf = _buffers(X.shape[0])
    _forward(params, X, buf)
    return buf[{buffer_names.index(f"A{L}")}].copy()


def loss(params, X, Y):
    """The cost: the mean of the loss over the rows, plus lambda/(2m) * sum of w^2."""
    X, Y = _batch(X, Y)
    buf = _buffers(X.shape[0])
    _forward(params, X, buf)
    return _cost(params, Y, buf, X.shape[0])


def gradients(params, X, Y):
    """dCost/dparameter for every parameter: a new dict with the keys and shapes of params."""
    X, Y = _batch(X, Y)
    m = X.shape[0]
    buf = _buffers(m)
    _forward(params, X, buf)
    _backward(params, X, Y, buf, 1.0 / m)
    {unpack_params}
    {unpack_buffers}
    grads = {{{grads}}}
    grads = {{key: value.copy() for key, value in grads.items()}}
    if L2:
        for layer in range(1, len(SIZES)):
            grads[f"W{{layer}}"] += (L2 / m) * params[f"W{{layer}}"]
    return grads


def step(params, X, Y, lr):
    """One gradient-descent step in place (w <- w - lr * gradient); the loss before it."""
    X, Y = _batch(X, Y)
    m = X.shape[0]
    buf = _buffers(m)
    _forward(params, X, buf)
    before = _cost(params, Y, buf, m)
    _backward(params, X, Y, buf, lr / m)
    {unpack_params}
    {unpack_buffers}
    if L2:
{_indent(decay, 2)}
{_indent(update)}
    return before
'''


def load_trainer(
    net: Network, dtype: str = "float64", style: str = "wikipedia"
) -> types.ModuleType:
    """Compile ``net`` and import the result as a module object (nothing is written to disk)."""
    source = trainer_source(net, dtype, style)
    module = types.ModuleType("symbp_trainer")
    module.__dict__["__source__"] = source
    exec(compile(source, "<symbp trainer>", "exec"), module.__dict__)  # our own generated code
    return module
