"""Print an ``lstm(n)`` layer's forward and backward time loops from its proved array form
(:mod:`symbp.derive.recognise_lstm`).

Every statement in the loops is a call of the operation the recogniser proved for the quantity,
with the operands it was proved with, run one time step at a time: the elementwise operations
(:data:`symbp.derive.arrayops_lstm.STEPWISE`) on step t's slices, the others on the window of
steps they read (:data:`WINDOWS`: t-1 and t, or t and t+1), of whose result step t is kept. The
recurrent products, and the cell update, the carousel and the forget gate's gradient (one
elementwise product with the neighbouring step), have a step form proved from their own code
(:data:`symbp.compile.layered_ops.STEP_FORMS`): ``affine(h_{t-1}, Wh, affine(x_t, Wx, b))``
for z_t, ``matmul(dz_{t+1}, Wh)`` for the recurrence of dC/dh_t. In the loops a sequence is
read through its time-major view (``Z1T``: step t is ``Z1T[t]``, a window ``Z1T[None, back]``
one sequence whose rows are the batch); it is stored so, time first, and the rest of the
trainer reads it through its batch-first view.
The gates and tanh(c) are the registry's stable forms of the activations the layer applies, h
the derived elementwise template o * s. dC/dh_t is what the layer above sends plus the layer's
own part (the recurrence), as the chain rule sums them. A backward quantity that no operation
reads at another step (dC/dh_t, ds, do, di, df, dg) is step t's own array; after the loop the
weight, bias and input gradients are the recognised whole-sequence operations, as for the rnn.

>>> from symbp.compile.layered import _Printer, compile_derivation
>>> from symbp.model import layered_network
>>> pr = _Printer(compile_derivation(layered_network("3x2", "lstm(2) last dense(1,identity)",
...                                                  "mse")))
>>> [line.strip() for line in forward_lines(pr, 1) if "C1T[t] =" in line][0]
'C1T[t] = (IG1T[t] * GG1T[t] + FG1T[t] * C1T[t - 1] if t else IG1T[t] * GG1T[t])'
>>> [line.strip() for line in forward_lines(pr, 1) if "Z1T[t] =" in line][0]
'Z1T[t] = (affine(A1T[t - 1], Wh1, affine(XT[t], Wx1, b1)) if t else affine(XT[t], Wx1, b1))'
>>> [line.strip() for line in backward_lines(pr, 1) if "DC1T[t] =" in line][0][43:]
'(DC1T[t + 1] * FG1T[t + 1] if t + 1 < DC1T.shape[0] else 0.0)'
"""

from __future__ import annotations

import inspect

import sympy

from symbp.activations import get_activation
from symbp.compile.layered_ops import STEP_FORMS, operation, printed, proved_step_form
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
    or on its window; the roles in ``local`` are step t's own arrays (no time axis). A
    sequence is read through its time-major array (:func:`time_major`): step t is ``[t]``, a
    window ``[None, window]`` (one sequence whose rows are the batch), step t of the result
    ``[0, at]``. A recurrent operation with a proved step form (:data:`STEP_FORMS`) is that
    form."""
    parts = []
    for op, roles in zip(step.ops, step.operands, strict=True):
        names = [n for n in inspect.signature(operation(op)).parameters if n != "mask"]
        if len(names) != len(roles):
            raise CompileError(f"layer {p} lstm: {op} was proved with operands {roles}")
        if op in STEP_FORMS:
            form = proved_step_form(op)
            arrays = {n: _name(pr, r, p) for n, r in zip(names, roles, strict=True)}
            pr.used.update(("affine", "matmul"))
            parts.append(f"({form.step.format(**arrays)})")
            continue
        pr.used.add(op)
        if op in WINDOWS:
            window, at = WINDOWS[op]
        elif operation(op) in arrayops_lstm.STEPWISE:
            window, at = None, None
        else:
            raise CompileError(f"layer {p} lstm: {op} cannot be run one time step at a time")
        args = [
            _name(pr, role, p)
            if role in (*_PARAMETERS, *local)
            else time_major(_name(pr, role, p)) + (f"[None, {window}]" if window else "[t]")
            for role in roles
        ]
        parts.append(f"{op}({', '.join(args)})" + (f"[0, {at}]" if at else ""))
    return " + ".join(parts)


def step_call(pr, step, p: int, before: list | None = None) -> str:  # noqa: ANN001
    """A recurrent step (an rnn's z or dh) by the proved step form of its one operation
    (:data:`STEP_FORMS`), on the time-major arrays; a row-wise operation (a 1-step sequence's
    z: ``affine``, no recurrence) is called on the whole sequence before the loop (a statement
    appended to ``before``), and step t read from it."""
    before = [] if before is None else before
    if step.ops == ("affine",):
        before += [f"XW{p} = {pr.call(step, p)}", f"XW{p}T = XW{p}.transpose(1, 0, 2)"]
        return f"XW{p}T[t]"
    if len(step.ops) != 1 or step.ops[0] not in STEP_FORMS:
        raise CompileError(f"layer {p}: {step.ops} has no proved step form")
    return _call(pr, step, p)


def time_major(name: str) -> str:
    """The time loops' name of a sequence ``name`` (batch, time, width): the same array with
    time first, so that step t (``T[t]``) is contiguous and a window one sequence."""
    return f"{name}T"


def allocation(name: str, batch: str, steps: str, width: str, like: str) -> str:
    """A sequence of zeros (``_work``: kept between passes, dtype and device of ``like``)
    stored time first, named by its time-major array: step t (``T[t]``) is contiguous, and
    the sums after the loops read the steps' rows as one matrix without a copy."""
    key = time_major(name)
    return f"{key} = _work({key!r}, ({steps}, {batch}, {width}), {like})"


def _to_time_major(names: list[str]) -> list[str]:
    return [f"{time_major(n)} = {n}.transpose(1, 0, 2)  # time first" for n in names]


def _from_time_major(names: list[str]) -> list[str]:
    return [f"{n} = {time_major(n)}.transpose(1, 0, 2)  # batch first" for n in names]


def _windowed(steps) -> set[str]:  # noqa: ANN001 - ArraySteps
    """The roles some operation reads on a window of steps (kept as whole sequences)."""
    return {role for step in steps for op, roles in zip(step.ops, step.operands, strict=True)
            if op in WINDOWS or op in STEP_FORMS for role in roles}  # fmt: skip


def _windows(steps) -> list[str]:  # noqa: ANN001 - ArraySteps
    used = {WINDOWS[op][0] for step in steps for op in step.ops
            if op in WINDOWS and op not in STEP_FORMS}  # fmt: skip
    return [line for key, line in _WINDOW_LINES.items() if key in used]


def _stable(activation: str, z: str) -> str:
    """The registry's stable NumPy form of ``activation`` at ``z`` (no overflow warning)."""
    return stable_form(get_activation(activation).numpy_forward, z=z)


def forward_lines(pr, p: int) -> list[str]:  # noqa: ANN001 - layered._Printer
    """z_t, the gates, c_t, tanh(c_t) and h_t for t = 0 .. T-1, into time-major arrays."""
    prev, n = pr.name("X", p), pr.net.layers[p - 1].units
    z, c, s, h = (pr.step(p, q) for q in ("z", "c", "s", "a"))
    lines = [f"# lstm: {z.text} {c.text} Each statement a proved operation, step by step.",
             *_to_time_major([prev])]  # fmt: skip
    for value in VALUES:
        width = 4 * n if value == "Z" else n
        shape = (f"{prev}.shape[0]", f"{prev}.shape[1]", str(width))
        lines.append(allocation(f"{value}{p}", *shape, prev))
    body = [*_windows([z, c]), f"{time_major(f'Z{p}')}[t] = {_call(pr, z, p)}"]
    for k, (gate, act) in enumerate(GATES):
        code = _stable(act, f"{time_major(f'Z{p}')}[t, :, {k * n}:{(k + 1) * n}]")
        body += [f"# {gate} = {pr.step(p, gate).template} of Z[{k}n:{k + 1}n]",
                 f"{time_major(f'{gate.upper()}G{p}')}[t] = {code}"]  # fmt: skip
    body += [f"{time_major(f'C{p}')}[t] = {_call(pr, c, p)}", f"# s = {s.template}"]
    body.append(f"{time_major(f'S{p}')}[t] = {_stable('tanh', time_major(f'C{p}') + '[t]')}")
    symbols = {x: sympy.Symbol(time_major(f"{_TEMPLATE_ARRAY.get(x.name, x.name)}{p}") + "[t]")
               for x in h.template.free_symbols}  # fmt: skip
    body.append(f"{time_major(f'A{p}')}[t] = {printed(h.template.xreplace(symbols))}"
                f"  # h = {h.template}")  # fmt: skip
    return [
        *lines,
        f"for t in range({prev}.shape[1]):",
        *("    " + line for line in body),
        *_from_time_major([f"{value}{p}" for value in VALUES]),
    ]


def backward_lines(pr, p: int) -> list[str]:  # noqa: ANN001 - layered._Printer
    """Backpropagation through time: dC/dh_t, ds, do, dc, di, df, dg and dz_t, t = T-1 .. 0;
    the quantities no operation reads at another step are step t's own arrays."""
    steps = [pr.step(p, q) for q in BACKWARD_ORDER]
    roles = {q: "DA" if q == "dh" else q.upper() for q in BACKWARD_ORDER}
    kept = {q for q in BACKWARD_ORDER if q == "dz" or roles[q] in _windowed(steps)}
    local = frozenset(roles[q] for q in BACKWARD_ORDER if q not in kept)
    read = sorted({r for step in steps for rs in step.operands for r in rs} - set(_PARAMETERS)
                  - local - {roles[q] for q in kept} - {"DA"})  # fmt: skip
    lines = ["# lstm: backpropagation through time, one step at a time from the last",
             *_to_time_major([pr.name(r, p) for r in read] + [f"DA{p}"])]  # fmt: skip
    for q in (q for q in BACKWARD_ORDER if q in kept):
        like = f"{'Z' if q == 'dz' else 'A'}{p}"
        shape = [f"{like}.shape[{k}]" for k in range(3)]
        lines.append(allocation(f"{q.upper()}{p}", *shape, like))
    body = _windows(steps)
    for quantity, step in zip(BACKWARD_ORDER, steps, strict=True):
        call, text = _call(pr, step, p, local), step.text
        if quantity == "dh":  # the layer above's part plus this layer's own (the recurrence)
            call, text = f"{time_major(f'DA{p}')}[t] + {call}", f"dC/dh_t = (from above) + {text}"
        target = f"{quantity.upper()}{p}"
        target = f"{time_major(target)}[t]" if quantity in kept else target
        body += [f"# {text}", f"{target} = {call}"]
    return [
        *lines,
        f"for t in range(A{p}.shape[1] - 1, -1, -1):",
        *("    " + line for line in body),
        *_from_time_major([f"DZ{p}"]),
    ]
