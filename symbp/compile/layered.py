"""Print a layered network's trainer from its derivation's array form (``der.array_form``).

Every backward statement is one of the operations the recogniser proved equal to the derived
index form (:mod:`symbp.derive.recognise`), called with the operands it was proved with; the
elementwise factors (f'(z), the output delta) are the derived templates, printed by SymPy's
NumPy printer. The source of every operation used is copied into the module, which imports only
NumPy and has the interface of the dense trainers (``init_params``, ``forward``, ``loss``,
``gradients``, ``step``). A recurrent layer (rnn; lstm: :mod:`symbp.compile.layered_lstm`)
runs its proved operations one time step at a time.

>>> import numpy as np
>>> from symbp.model import layered_network
>>> net = layered_network("1x4x4", "conv2d(2,3,relu) flatten dense(2,softmax)", "cce")
>>> trainer = load_layered_trainer(compile_derivation(net))
>>> params = trainer.init_params(seed=0)
>>> X = np.random.default_rng(0).normal(size=(5, 1, 4, 4)); Y = np.eye(2)[[0, 1, 0, 1, 1]]
>>> before = trainer.step(params, X, Y, lr=0.5)
>>> bool(trainer.loss(params, X, Y) < before)
True
"""

from __future__ import annotations

import inspect
import textwrap
import types

import sympy

from symbp.compile import layered_conv, layered_jax_scan, layered_lstm, layered_ops
from symbp.compile.layered_ops import helper_functions, operation, printed, printed_factor
from symbp.compile.matrix import CompileError
from symbp.compile.numeric import stable_form
from symbp.compile.safety import check_source, sandbox_builtins
from symbp.derive.layered import LayeredDerivation, derive_layers
from symbp.derive.layered_text import instance_statement
from symbp.derive.recognise import A, ArrayStep, X, Y, Z, recognise
from symbp.losses import TARGETS_SUM_TO_ONE
from symbp.model import LayeredNetwork

PARAMETER_ROLES = ("W", "b", "Wx", "Wh", "gamma", "beta", "Wq", "Wk", "Wv")


FORGET_BIAS = 1.0
"""Every lstm layer's forget-gate bias starts at this (Gers et al. 2000; Jozefowicz et al. 2015;
Keras's ``unit_forget_bias``): the cell keeps its state at first, so the gradient reaches early
steps; every other bias starts at zero."""


def forget_gate_rows(net: LayeredNetwork) -> dict[str, tuple[int, int]]:
    """The rows of each lstm layer's bias ``b{p}`` that feed its forget gate (gates i, f, g, o
    in PyTorch's order: rows n..2n-1), which the trainers' ``init_params`` set to FORGET_BIAS.

    >>> from symbp.model import layered_network
    >>> forget_gate_rows(layered_network("5x3", "lstm(4) last dense(2,softmax)", "cce"))
    {'b1': (4, 8)}
    """
    rows = {}
    for p, layer in enumerate(net.layers, start=1):
        if layer.kind == "lstm":
            rows[f"b{p}"] = (layer.units, 2 * layer.units)
    return rows


def compile_derivation(net: LayeredNetwork) -> LayeredDerivation:
    """Derive and recognise ``net`` on its separated instance (``net.skeleton()``: each layer
    on its own smallest input with every boundary case; why that proves the real sizes is in
    :mod:`symbp.derive.recognise`): what :func:`layered_source` reads."""
    der = derive_layers(net, net.skeleton())
    recognise(der)
    return der


class _Printer:
    def __init__(self, der: LayeredDerivation, scan: bool = False) -> None:
        self.der, self.net = der, der.network
        self.scan = scan  # recurrent layers as jax.lax.scan loops (the JAX trainer)
        self.steps: dict[tuple[int, str], ArrayStep] = {}
        for step in der.array_form:
            self.steps[(step.position, step.quantity)] = step
        self.used: set[str] = set()

    def name(self, role: str, p: int) -> str:
        previous = "X" if p == 1 else f"A{p - 1}"
        return {"X": previous, "Z": f"Z{p}", "A": f"A{p}", "DZ": f"DZ{p}", "DA": f"DA{p}"}.get(
            role, f"{role}{p}"
        )

    def call(self, step: ArrayStep, p: int, key: str | None = None) -> str:
        """``op(args) + op(args)`` exactly as proved; an operation that keeps its arrays
        between passes (a ``key`` parameter) is told the name of the value it computes."""
        parts = []
        for i, (op, roles) in enumerate(zip(step.ops, step.operands, strict=True)):
            function = operation(op)
            self.used.add(op)
            parameters = inspect.signature(function).parameters
            names = [n for n in parameters if n not in ("mask", "key")]
            args = []
            for n, role in zip(names, roles, strict=True):
                if n in ("k", "stride", "padding"):  # the real layer's, not the skeleton's
                    args.append(f"{n}={getattr(self.net.layers[p - 1], n)}")
                else:
                    args.append(self.name(role, p))
            if key is not None and "key" in parameters:
                args.append(f"key={key if i == 0 else f'{key}.{i}'!r}")
            parts.append(f"{op}({', '.join(args)})")
        return " + ".join(parts)

    def step(self, p: int, quantity: str) -> ArrayStep:
        key = (p, quantity)
        if key not in self.steps:
            raise CompileError(f"layer {p}: no recognised array form for {quantity}")
        return self.steps[key]

    def intermediates(self, p: int) -> list[ArrayStep]:
        """The forward steps of a layer with intermediate quantities (none for other layers)."""
        forward = [s for s in self.der.array_form if s.position == p and s.quantity[0] != "d"]
        return forward if len(forward) > 1 else []

    def intermediate_names(self, p: int) -> list[str]:
        if self.net.layers[p - 1].kind == "lstm":
            return list(layered_lstm.VALUES)
        return [step.quantity.upper() for step in self.intermediates(p)]

    def expression(self, step: ArrayStep, p: int, key: str | None = None) -> str:
        """A forward step: its proved call (told ``key``), or its elementwise template."""
        if step.template is None:
            return self.call(step, p, key)
        renames = {s: sympy.Symbol(self.name(s.name, p)) for s in step.template.free_symbols}
        return printed(step.template.xreplace(renames))

    def factor(self, p: int, at: str = "", boolean: bool = False) -> str:
        """f'(z) of layer p as the derived template (A, Z and the input X renamed); a step
        as a boolean array (``boolean``: it only multiplies)."""
        template = self.step(p, "dz").template
        renames = {A: sympy.Symbol(f"A{p}{at}"), Z: sympy.Symbol(f"Z{p}{at}")}
        renames[X] = sympy.Symbol("X" if p == 1 else f"A{p - 1}")
        return (printed_factor if boolean else printed)(template.xreplace(renames))


def _activation(act, z: str) -> str:
    return stable_form(act.numpy_forward, z=z)


def _forward_lines(pr: _Printer) -> list[str]:
    lines = []
    for p, layer in enumerate(pr.net.layers, start=1):
        prev = pr.name("X", p)
        kind = layer.kind
        if kind in ("flatten",):
            lines.append(f"A{p} = {prev}.reshape({prev}.shape[0], -1)  # row-major, as torch")
        elif kind == "last":
            lines.append(f"A{p} = {prev}[:, -1]  # h_T")
        elif pr.scan and layered_jax_scan.scans(pr.net, p):
            lines += layered_jax_scan.FORWARD[kind](pr, p)
        elif kind == "lstm":
            lines += layered_lstm.forward_lines(pr, p)
        elif kind == "rnn":
            step, hoisted = pr.step(p, "z"), []
            z, n = layered_lstm.step_call(pr, step, p, hoisted), layer.units
            lines += [
                f"# {step.text}: {pr.call(step, p)}, one time step at a time (its step form)",
                f"{prev}T = {prev}.transpose(1, 0, 2)  # time first",
                *hoisted,
                *(
                    layered_lstm.allocation(
                        f"{v}{p}", f"{prev}.shape[0]", f"{prev}.shape[1]", str(n), prev
                    )
                    for v in "ZA"
                ),
                f"for t in range({prev}.shape[1]):",
                f"    Z{p}T[t] = {z}",
                f"    A{p}T[t] = {_activation(layer.act, f'Z{p}T[t]')}",
                f"Z{p} = Z{p}T.transpose(1, 0, 2)  # batch first",
                f"A{p} = A{p}T.transpose(1, 0, 2)",
            ]
        elif pr.intermediates(p):  # mu, var, sigma, x_hat, then a: each as proved
            for step in pr.intermediates(p):
                name = pr.name(step.quantity.upper(), p)
                lines += [f"# {step.text}", f"{name} = {pr.expression(step, p, name)}"]
        elif "pool" in kind:
            step = pr.step(p, "a")
            lines += [f"# {step.text}", f"A{p} = {pr.call(step, p, f'A{p}')}"]
        else:
            step = pr.step(p, "z")
            act = layer.activation()
            lines += [f"# {step.text}", f"Z{p} = {pr.call(step, p, f'Z{p}')}"]
            if not act.elementwise:
                lines += [
                    f"E{p} = np.exp(Z{p} - Z{p}.max(axis=1, keepdims=True))  # no overflow",
                    f"A{p} = E{p} / E{p}.sum(axis=1, keepdims=True)",
                ]
            elif kind == "residual":
                lines.append(f"A{p} = {prev} + {_activation(act, f'Z{p}')}  # a = x + f(z)")
            elif kind.startswith("conv"):  # into an array kept between passes
                lines.append(layered_conv.activation_line(p, _activation(act, f"Z{p}")))
            else:
                lines.append(f"A{p} = {_activation(act, f'Z{p}')}")
    return lines


def _loss_lines(pr: _Printer) -> list[str]:
    L = len(pr.net.layers)
    act, loss = pr.net.output_activation, pr.net.loss
    z, a = f"Z{L}", f"A{L}"
    if act.name == "softmax" and loss.name == "categorical_cross_entropy":
        lse = f"np.log(E{L}.sum(axis=1)) + {z}.max(axis=1)"
        if TARGETS_SUM_TO_ONE in pr.der.assumptions:
            return [
                "# C = logsumexp(z) - y.z (sum_j y_j = 1)",
                f"total = float(({lse}).sum() - np.vdot(Y, {z}))",
            ]
        return [f"total = float(np.dot({lse}, Y.sum(axis=1)) - np.vdot(Y, {z}))"]
    if act.name == "sigmoid" and loss.name == "binary_cross_entropy":
        return [f"total = float((np.logaddexp(0, {z}) - Y * {z}).sum())  # from z: stable"]
    term = loss.term(A, Y)
    lines = []
    if loss.needs_range is not None:
        lo, hi = (float(v) for v in loss.needs_range)
        high = "np.inf" if hi == float("inf") else f"{hi} - np.finfo(DTYPE).eps"
        lines.append(f"{a} = np.clip({a}, {lo} + np.finfo(DTYPE).tiny, {high})")
    return lines + [f"total = float(np.sum({printed(term.xreplace({A: sympy.Symbol(a)}))}))"]


def _backward_lines(pr: _Printer) -> list[str]:
    L = len(pr.net.layers)
    out_step = pr.step(L, "dz")
    template = out_step.template.xreplace(
        {A: sympy.Symbol(f"A{L}"), Z: sympy.Symbol(f"Z{L}"), Y: sympy.Symbol("Y")}
    )
    lines = [f"# delta^L = {out_step.template} (derived, elementwise)",
             f"DZ{L} = scale * ({printed(template)})"]  # fmt: skip
    for p in range(L, 0, -1):
        layer = pr.net.layers[p - 1]
        kind = layer.kind
        if kind in ("flatten", "last"):
            prev = pr.name("X", p)
            if p > 1 and kind == "flatten":
                lines.append(f"DA{p - 1} = DA{p}.reshape({prev}.shape)  # the gradient unflattened")
            elif p > 1:
                lines += [
                    f"DA{p - 1} = np.zeros({prev}.shape, DTYPE)",
                    f"DA{p - 1}[:, -1] = DA{p}  # only h_T reaches the layer above",
                ]
            continue
        if pr.scan and layered_jax_scan.scans(pr.net, p):
            lines += layered_jax_scan.BACKWARD[kind](pr, p)
        elif kind == "lstm":
            lines += layered_lstm.backward_lines(pr, p)
        elif kind == "rnn":
            dh = pr.step(p, "dh")
            lines += [
                f"# backpropagation through time: dC/dh_t = (from above) + {dh.text}",
                *(
                    f"{n}T = {n}.transpose(1, 0, 2)  # time first"
                    for n in (f"A{p}", f"Z{p}", f"DA{p}")
                ),
                layered_lstm.allocation(f"DZ{p}", *(f"Z{p}.shape[{k}]" for k in range(3)), f"Z{p}"),
                f"for t in range(Z{p}.shape[1] - 1, -1, -1):",
                f"    DH = DA{p}T[t] + {layered_lstm.step_call(pr, dh, p)}",
                f"    DZ{p}T[t] = DH * ({pr.factor(p, at='T[t]')})",
                f"DZ{p} = DZ{p}T.transpose(1, 0, 2)  # batch first",
            ]
        elif p != L and (p, "dz") in pr.steps and layered_conv.own_delta(pr, p):
            lines += layered_conv.dz_lines(pr, p)
        elif p != L and (p, "dz") in pr.steps:
            lines += [f"# dC/dz = dC/da * f'(z): {pr.step(p, 'dz').template}",
                      f"DZ{p} = DA{p} * ({pr.factor(p)})"]  # fmt: skip
        for key in pr.net.parameter_shapes:
            if key.endswith(str(p)) and key[: -len(str(p))] in PARAMETER_ROLES:
                step = pr.step(p, f"d{key}")
                lines += [f"# {step.text}", f"grads[{key!r}] = {pr.call(step, p, f'd{key}')}"]
        if p > 1:
            step = pr.step(p, "dx")
            lines += [f"# {step.text}", f"DA{p - 1} = {pr.call(step, p, f'DA{p - 1}')}"]
    return lines


def trainer_lines(
    der: LayeredDerivation, scan: bool = False
) -> tuple[set[str], list[str], list[str], list[str], list[str]]:
    """What every backend's trainer prints (NumPy source, recognised if ``der.array_form`` is
    empty): the arrayops operations called, the lines of the forward pass, the loss and the
    backward pass, and the forward values (X, Z<p>, A<p>, E<p>) the loss and backward read.
    ``scan``: the recurrent layers' time loops as ``jax.lax.scan`` (the JAX trainer's,
    :mod:`symbp.compile.layered_jax_scan`)."""
    if not der.array_form:
        recognise(der)
    pr = _Printer(der, scan)
    forward, cost, backward = _forward_lines(pr), _loss_lines(pr), _backward_lines(pr)
    assigned = {line.split(" = ")[0] for line in forward}
    values = ["X"] + [
        f"{kind}{p}" for p in range(1, len(der.network.layers) + 1)
        for kind in dict.fromkeys(("Z", "A", "E", *pr.intermediate_names(p)))
        if f"{kind}{p}" in assigned
    ]  # fmt: skip
    return pr.used, forward, cost, backward, values


def layered_source(der: LayeredDerivation, dtype: str = "float64") -> str:
    """The trainer module's source, printed from ``der.array_form`` (recognised if empty)."""
    used, forward, cost, backward, values = trainer_lines(der)
    net = der.network
    names = list(net.parameter_shapes)
    unpack = "\n".join(f"    {n} = params[{n!r}]" for n in names)
    helpers = [inspect.getsource(f) for f in (*helper_functions(), *layered_ops.NUMPY_HELPERS)]
    ops = [inspect.getsource(operation(op)) for op in sorted(used)]
    pad = "\n".join
    keep = ", ".join(f"{v!r}: {v}" for v in values)
    unpack_values = "\n".join(f"    {v} = values[{v!r}]" for v in values)
    indent = lambda lines, d=1: "\n".join("    " * d + line for line in lines)  # noqa: E731
    proof = textwrap.fill(instance_statement(der) + ".", 96)
    return f'''"""Trainer for {net.describe()}.

Generated by symbp from the network's derivation (array forms proved equal to the chain rule's
index form); imports only NumPy. X has shape (m, {", ".join(map(str, net.input_shape))}); parameters
have PyTorch's shapes: {", ".join(f"{k} {v}" for k, v in net.parameter_shapes.items())}.

{proof}
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

INPUT_SHAPE = {net.input_shape!r}
OUTPUTS = {net.shapes[-1][0]}
PARAMETER_SHAPES = {net.parameter_shapes!r}
FORGET_GATE_ROWS = {forget_gate_rows(net)!r}
DTYPE = np.{dtype}


def init_params(seed=0):
    """Glorot-normal weights (fans counted over the kernel), zero biases but an lstm's
    forget-gate rows (FORGET_GATE_ROWS) at {FORGET_BIAS}; a normalisation's gamma ones and beta
    zeros, as PyTorch."""
    rng = np.random.default_rng(seed)
    params = {{}}
    for key, shape in PARAMETER_SHAPES.items():
        if key.startswith("gamma"):
            params[key] = np.ones(shape, DTYPE)
            continue
        if key.startswith("b"):
            params[key] = np.zeros(shape, DTYPE)
            continue
        field = int(np.prod(shape[2:])) if len(shape) > 2 else 1
        spread = np.sqrt(2.0 / ((shape[0] + shape[1]) * field))
        params[key] = rng.normal(0.0, spread, shape).astype(DTYPE)
    for key, (start, stop) in FORGET_GATE_ROWS.items():
        params[key][start:stop] = {FORGET_BIAS}
    return params


_MEMO = []  # im2col columns and pooling masks of this pass, each with its input (see _recall)

{pad(helpers)}

{pad(ops)}

def _batch(X, Y=None):
    X = np.asarray(X, dtype=DTYPE)
    if X.shape[1:] != INPUT_SHAPE:
        X = X.reshape((X.shape[0],) + INPUT_SHAPE)  # data rows reshaped to the input shape
    if Y is None:
        return X, None
    Y = np.asarray(Y, dtype=DTYPE)
    if Y.shape != (X.shape[0], OUTPUTS):
        raise ValueError(f"Y must have shape ({{X.shape[0]}}, {{OUTPUTS}}), got {{Y.shape}}")
    return X, Y


def _forward(params, X):
    _MEMO.clear()  # what the last pass computed is not reused
{unpack}
{indent(forward)}
    return {{{keep}}}


def _cost(values, Y):
{unpack_values}
{indent(cost)}
    return total / Y.shape[0]


def _backward(params, values, Y, scale):
{unpack}
{unpack_values}
    grads = {{}}
{indent(backward)}
    return grads


def forward(params, X):
    X, _ = _batch(X)
    return _forward(params, X)["A{len(net.layers)}"].copy()


def loss(params, X, Y):
    X, Y = _batch(X, Y)
    return _cost(_forward(params, X), Y)


def gradients(params, X, Y):
    X, Y = _batch(X, Y)
    grads = _backward(params, _forward(params, X), Y, 1.0 / X.shape[0])
    return {{key: value.copy() for key, value in grads.items()}}  # not the kept arrays


def step(params, X, Y, lr):
    """One gradient-descent step in place; the loss before it."""
    X, Y = _batch(X, Y)
    values = _forward(params, X)
    before = _cost(values, Y)
    grads = _backward(params, values, Y, lr / X.shape[0])
    for key, value in grads.items():
        np.subtract(params[key], value, out=params[key])
    return before
'''


def load_layered_trainer(der: LayeredDerivation, dtype: str = "float64") -> types.ModuleType:
    """Print and import the trainer as a module object (nothing written to disk), checked and
    sandboxed as :func:`symbp.compile.load_trainer` does (NumPy only, a short list of builtins)."""
    source = layered_source(der, dtype)
    check_source(source)
    module = types.ModuleType("symbp_layered_trainer")
    module.__dict__["__source__"] = source
    module.__dict__["__builtins__"] = sandbox_builtins()
    exec(compile(source, "<symbp trainer>", "exec"), module.__dict__)  # checked just above
    return module
