"""Print an ``lstm(n)`` layer's forward and backward time loops from its proved array form
(:mod:`symbp.derive.recognise_lstm`).

Every statement in the loops is a call of the operation the recogniser proved for the quantity,
with the operands it was proved with, run one time step at a time: the elementwise operations
(:data:`symbp.derive.arrayops_lstm.STEPWISE`) on step t's slices, the others on the window of
steps they read (:data:`WINDOWS`: t-1 and t, or t and t+1), of whose result step t is kept.
The gates and tanh(c) are the registry's stable forms of the activations the layer applies, h
the derived elementwise template o * s. dC/dh_t is what the layer above sends plus the layer's
own part (the recurrence, ``shifted_matmul``), as the chain rule sums them. A backward quantity
that no operation reads at another step (dC/dh_t, ds, do, di, df, dg) is step t's own array;
after the loop the weight, bias and input gradients are the recognised whole-sequence
operations, as for the rnn.

>>> from symbp.compile.layered import _Printer, compile_derivation
>>> from symbp.model import layered_network
>>> pr = _Printer(compile_derivation(layered_network("3x2", "lstm(2) last dense(1,identity)",
...                                                  "mse")))
>>> [line.strip() for line in forward_lines(pr, 1) if "cell_update" in line][-1]
'C1[:, t] = cell_update(FG1[:, back], C1[:, back], IG1[:, back], GG1[:, back])[:, -1]'
>>> [line.strip() for line in backward_lines(pr, 1) if "carousel(" in line][0]
'DC1[:, t] = through_cell_tanh(DS1, S1[:, t]) + carousel(DC1[:, ahead], FG1[:, ahead])[:, 0]'
"""

from __future__ import annotations

import inspect

import sympy

from symbp.activations import get_activation
from symbp.compile.layered_ops import operation, printed
from symbp.compile.matrix import CompileError
from symbp.compile.numeric import stable_form
from symbp.derive import arrayops_lstm
from symbp.derive.recognise_lstm import BACKWARD_ORDER
from symbp.layers.lstm import GATES

VALUES = ("Z", "IG", "FG", "GG", "OG", "C", "S", "A")
"""The forward values of an lstm layer, by the names the proved operations' operands use."""

WINDOWS = {
    "recurrent_affine": ("back", "-1"),
    "cell_update": ("back", "-1"),
    "forget_gate_grad": ("back", "-1"),
    "shifted_matmul": ("ahead", "0"),
    "carousel": ("ahead", "0"),
}
"""The operations that read a neighbouring step: which window (``back`` = steps t-1, t;
``ahead`` = t, t+1) they are called on, and where step t is in it (tests/
test_layers_lstm_compile.py checks each against the whole-sequence call)."""

_WINDOW_LINES = {
    "back": "back = slice(max(t - 1, 0), t + 1)  # steps t-1 and t",
    "ahead": "ahead = slice(t, t + 2)  # steps t and t+1",
}
_PARAMETERS = ("Wx", "Wh", "b")
_TEMPLATE_ARRAY = {"O": "OG"}  # the recogniser's symbol O (a lone O reads as 0) is the gate OG


def _name(pr, role: str, p: int) -> str:  # noqa: ANN001 - layered._Printer (no import cycle)
    """The array of an operand's role; in the time loops dC/dh_t is the total DH<p>."""
    return f"DH{p}" if role == "DA" else pr.name(role, p)


def _call(pr, step, p: int, local: frozenset = frozenset()) -> str:  # noqa: ANN001
    """``op(args) + ...`` exactly as proved (``step`` an ArrayStep), each op on step t's slices
    or on its window; the roles in ``local`` are step t's own arrays (no time axis)."""
    parts = []
    for op, roles in zip(step.ops, step.operands, strict=True):
        names = [n for n in inspect.signature(operation(op)).parameters if n != "mask"]
        if len(names) != len(roles):
            raise CompileError(f"layer {p} lstm: {op} was proved with operands {roles}")
        pr.used.add(op)
        if op in WINDOWS:
            window, at = WINDOWS[op]
        elif operation(op) in arrayops_lstm.STEPWISE:
            window, at = "t", None
        else:
            raise CompileError(f"layer {p} lstm: {op} cannot be run one time step at a time")
        args = [
            _name(pr, role, p)
            if role in (*_PARAMETERS, *local)
            else f"{_name(pr, role, p)}[:, {window}]"
            for role in roles
        ]
        parts.append(f"{op}({', '.join(args)})" + (f"[:, {at}]" if at else ""))
    return " + ".join(parts)


def _windowed(steps) -> set[str]:  # noqa: ANN001 - ArraySteps
    """The roles some operation reads on a window of steps (kept as whole sequences)."""
    return {role for step in steps for op, roles in zip(step.ops, step.operands, strict=True)
            if op in WINDOWS for role in roles}  # fmt: skip


def _windows(steps) -> list[str]:  # noqa: ANN001 - ArraySteps
    used = {WINDOWS[op][0] for step in steps for op in step.ops if op in WINDOWS}
    return [line for key, line in _WINDOW_LINES.items() if key in used]


def _stable(activation: str, z: str) -> str:
    """The registry's stable NumPy form of ``activation`` at ``z`` (no overflow warning)."""
    return stable_form(get_activation(activation).numpy_forward, z=z)


def forward_lines(pr, p: int) -> list[str]:  # noqa: ANN001 - layered._Printer
    """z_t, the gates, c_t, tanh(c_t) and h_t for t = 0 .. T-1."""
    prev, n = pr.name("X", p), pr.net.layers[p - 1].units
    z, c, s, h = (pr.step(p, q) for q in ("z", "c", "s", "a"))
    lines = [f"# lstm: {z.text} {c.text} Each statement a proved operation, step by step."]
    for value in VALUES:
        width = 4 * n if value == "Z" else n
        lines.append(f"{value}{p} = np.zeros(({prev}.shape[0], {prev}.shape[1], {width}), DTYPE)")
    body = [*_windows([z, c]), f"Z{p}[:, t] = {_call(pr, z, p)}"]
    for k, (gate, act) in enumerate(GATES):
        code = _stable(act, f"Z{p}[:, t, {k * n}:{(k + 1) * n}]")
        body += [f"# {gate} = {pr.step(p, gate).template} of Z[{k}n:{k + 1}n]",
                 f"{gate.upper()}G{p}[:, t] = {code}"]  # fmt: skip
    body += [f"C{p}[:, t] = {_call(pr, c, p)}", f"# s = {s.template}"]
    body.append(f"S{p}[:, t] = {_stable('tanh', f'C{p}[:, t]')}")
    symbols = {x: sympy.Symbol(f"{_TEMPLATE_ARRAY.get(x.name, x.name)}{p}[:, t]")
               for x in h.template.free_symbols}  # fmt: skip
    body.append(f"A{p}[:, t] = {printed(h.template.xreplace(symbols))}  # h = {h.template}")
    return [*lines, f"for t in range({prev}.shape[1]):", *("    " + line for line in body)]


def backward_lines(pr, p: int) -> list[str]:  # noqa: ANN001 - layered._Printer
    """Backpropagation through time: dC/dh_t, ds, do, dc, di, df, dg and dz_t, t = T-1 .. 0;
    the quantities no operation reads at another step are step t's own arrays."""
    steps = [pr.step(p, q) for q in BACKWARD_ORDER]
    roles = {q: "DA" if q == "dh" else q.upper() for q in BACKWARD_ORDER}
    kept = {q for q in BACKWARD_ORDER if q == "dz" or roles[q] in _windowed(steps)}
    local = frozenset(roles[q] for q in BACKWARD_ORDER if q not in kept)
    lines = ["# lstm: backpropagation through time, one step at a time from the last"]
    lines += [f"{q.upper()}{p} = np.zeros({'Z' if q == 'dz' else 'A'}{p}.shape, DTYPE)"
              for q in BACKWARD_ORDER if q in kept]  # fmt: skip
    body = _windows(steps)
    for quantity, step in zip(BACKWARD_ORDER, steps, strict=True):
        call, text = _call(pr, step, p, local), step.text
        if quantity == "dh":  # the layer above's part plus this layer's own (the recurrence)
            call, text = f"DA{p}[:, t] + {call}", f"dC/dh_t = (from above) + {text}"
        target = f"{quantity.upper()}{p}" + ("[:, t]" if quantity in kept else "")
        body += [f"# {text}", f"{target} = {call}"]
    return [
        *lines,
        f"for t in range(A{p}.shape[1] - 1, -1, -1):",
        *("    " + line for line in body),
    ]
