"""The JAX trainer's recurrent layers (``rnn(n, act)``, ``lstm(n)``) as ``jax.lax.scan`` loops
over time, printed from the same proved array form as the NumPy trainer's Python loops
(:mod:`symbp.compile.layered_lstm`).

jax.jit unrolls a Python ``for t`` loop into T copies of its body; a scan traces the body once.
The body is step t: every statement the call of the operation the recogniser proved for the
quantity (the NumPy trainer's), on step t's arrays (``Z1_t``). The carry holds what one step
hands the next: h_{t-1} and c_{t-1} forward, dC/dz_{t+1} and dC/dc_{t+1} backward (zeros before
the first step, after the last); the scan stacks each step's values into the time-major
sequences (``Z1T``) the rest of the trainer reads, as the NumPy trainer stores them.

A recurrent product is its scan form (:data:`SCAN_FORMS`), proved from the operation's own code
by :func:`proved_scan_form`. An operation that reads a window of steps
(:data:`symbp.compile.layered_lstm.WINDOWS`) is called on two steps, ``_steps(earlier,
later)``, of which only the entries its kept step reads are filled (the others zeros):
:func:`window_reads` finds them and proves, on symbol arrays, that the call gives the
whole-sequence operation's step t at every step.

>>> sorted(window_reads("cell_update", frozenset({"C"})))  # c_t reads c_{t-1} alone
['C']
>>> sorted(window_reads("carousel", frozenset({"DC"})))  # dc_{t+1} (the carry) and f_{t+1}
['DC', 'FG']
>>> proved_scan_form("shifted_matmul").step
'matmul({D}_next, {W})'
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass

import numpy as np
import sympy

from symbp.compile.layered_lstm import (
    _PARAMETERS,
    _TEMPLATE_ARRAY,
    VALUES,
    WINDOWS,
    _name,
    _stable,
    time_major,
)
from symbp.compile.layered_ops import STEP_FORMS, _equal, _symbols, operation, printed
from symbp.compile.matrix import CompileError
from symbp.compile.numeric import stable_form
from symbp.derive import arrayops, arrayops_lstm
from symbp.derive.recognise_lstm import BACKWARD_ORDER
from symbp.layers.lstm import GATES

UNROLL = 1
"""``jax.lax.scan``'s ``unroll``: steps per iteration of the compiled loop (the README's
backends section has the measurements behind the choice)."""


@dataclass(frozen=True)
class ScanForm:
    """Step t of a recurrent whole-sequence operation in the scan's body: ``{P}_t`` is step t of
    the operation's parameter P, ``{P}_prev`` (``{P}_next``) step t-1 (t+1), zeros before the
    first step (after the last): what the carry holds; a bare ``{P}`` a weight."""

    step: str
    neighbours: dict[str, str]  # the parameter read at a neighbouring step: "back" or "ahead"


SCAN_FORMS = {
    "recurrent_affine": ScanForm("affine({H}_prev, {Wh}, affine({X}_t, {Wx}, {b}))", {"H": "back"}),
    "shifted_matmul": ScanForm("matmul({D}_next, {W})", {"D": "ahead"}),
}
"""The recurrent products, one step at a time (shapes of the proof: layered_ops.STEP_FORMS')."""

SCAN_HELPERS = '''
def _steps(earlier, later):
    """Two consecutive steps (t-1 and t, or t and t+1) as one sequence whose rows are the
    batch, the window a proved operation reads; None is a step whose entries it does not read
    (zeros)."""
    zeros = jnp.zeros_like(later if earlier is None else earlier)
    earlier = zeros if earlier is None else earlier
    return jnp.stack([earlier, zeros if later is None else later])[None]


def _neighbours(sequence, way):
    """Step t-1 (way "back") or t+1 ("ahead") of a time-major sequence, at every step t
    (zeros before the first step, after the last)."""
    edge = jnp.zeros_like(sequence[:1])
    if way == "back":
        return jnp.concatenate([edge, sequence[:-1]])
    return jnp.concatenate([sequence[1:], edge])
'''
"""What the JAX trainer defines for its scans' windows (the proofs below build them alike)."""

_WINDOW_SHAPE = (2, 3, 2)  # batch, steps, width of the window proofs' symbol arrays
_SUFFIX = {"back": "_prev", "ahead": "_next"}


def _zeros(shape: tuple[int, ...]) -> np.ndarray:
    return np.full(shape, sympy.S.Zero, dtype=object)


def _neighbour(a: np.ndarray, t: int, way: str) -> np.ndarray:
    """Step t-1 or t+1 of the batch-first symbol array ``a``, zeros past either end."""
    s = t - 1 if way == "back" else t + 1
    return a[:, s] if 0 <= s < a.shape[1] else _zeros(a[:, 0].shape)


@functools.cache
def proved_scan_form(name: str) -> ScanForm:
    """:data:`SCAN_FORMS`' form of operation ``name``, proved: on symbol arrays of its instance
    (3 steps), the form with step t's slices and the neighbours (zeros past the ends) gives
    the entries of the operation's whole-sequence call at every step, as expanded polynomials.
    One that does not is refused."""
    form = SCAN_FORMS[name]
    arrays = {p: _symbols(p, shape) for p, shape in STEP_FORMS[name].shapes.items()}
    whole = operation(name)(**arrays)
    scope = {op.__name__: op for op in (arrayops.affine, arrayops.matmul)}
    code = form.step.format(**{p: p for p in arrays})
    for t in range(whole.shape[1]):
        for p, a in arrays.items():
            scope[p] = a
            if a.ndim == 3:
                scope |= {f"{p}_t": a[:, t]}
                scope |= {f"{p}{s}": _neighbour(a, t, way) for way, s in _SUFFIX.items()}
        got = eval(code, scope)  # noqa: S307 - the form above, on symbol arrays
        if not _equal(np.broadcast_to(got, whole[:, t].shape), whole[:, t]):
            raise CompileError(f"the scan form of {name} is not its step {t}")
    return form


def _pair(earlier: np.ndarray | None, later: np.ndarray | None, shape: tuple) -> np.ndarray:
    """The proofs' ``_steps``."""
    zeros = _zeros(shape)
    return np.stack([zeros if earlier is None else earlier, zeros if later is None else later])[
        None
    ]


def _gives_every_step(name: str, filled: frozenset[str], unknown: frozenset[str]) -> bool:
    """Whether ``name`` on two-step windows (the neighbour's entries of ``filled`` only, step
    t's of all but ``unknown``) gives its whole-sequence call's step t, at every step."""
    function = operation(name)
    arrays = {p: _symbols(p, _WINDOW_SHAPE) for p in inspect.signature(function).parameters}
    whole = function(**arrays)
    way, at = WINDOWS[name]
    for t in range(_WINDOW_SHAPE[1]):
        args = {}
        for p, a in arrays.items():
            now = None if p in unknown else a[:, t]
            other = _neighbour(a, t, way) if p in filled else None
            pair = (other, now) if way == "back" else (now, other)
            args[p] = _pair(*pair, a[:, t].shape)
        if not _equal(function(**args)[0, int(at)], whole[:, t]):
            return False
    return True


@functools.cache
def window_reads(name: str, unknown: frozenset[str]) -> frozenset[str]:
    """The parameters of windowed operation ``name`` whose neighbouring step its kept step
    reads, when step t of those in ``unknown`` is not yet computed (zeros): each one left out
    only where the call, proved on symbol arrays at every step, still gives the whole-sequence
    operation's step t. An operation no window gives is refused."""
    filled = frozenset(inspect.signature(operation(name)).parameters)
    if not _gives_every_step(name, filled, unknown):
        raise CompileError(f"{name} cannot run in a scan: its step t needs step t's {unknown}")
    for p in sorted(filled):
        if _gives_every_step(name, filled - {p}, unknown):
            filled -= {p}
    return filled


class _Body:
    """The body of one layer's scan, statement by statement: step t's arrays, what it reads of
    the sequences (``now``), what it carries (``carried``)."""

    def __init__(self, pr, p: int, reverse: bool, computed: list[str]) -> None:  # noqa: ANN001
        self.pr, self.p, self.reverse = pr, p, reverse
        self.way = "ahead" if reverse else "back"  # the neighbour the carry holds
        self.computed, self.known = set(computed), set()
        self.inputs: dict[str, str] = {}  # body name -> the time-major sequence of it
        self.sequences: list[str] = []  # the arrays read through their time-major view
        self.carried: list[str] = []
        self.lines: list[str] = []

    def now(self, name: str) -> str:
        """Step t of ``name``: computed above in the body, else read from its sequence."""
        if name not in self.known:
            if name in self.computed:
                raise CompileError(f"layer {self.p}: {name} is read before it is computed")
            self._sequence(name)
            self.inputs[f"{name}_t"] = time_major(name)
            self.known.add(name)
        return f"{name}_t"

    def _sequence(self, name: str) -> None:
        if name not in self.sequences:
            self.sequences.append(name)

    def neighbour(self, name: str, way: str) -> str:
        """Step t-1 or t+1 of ``name``: the carry (an array the body computes), else read from
        the sequence shifted by one step."""
        if name in self.computed:
            if way != self.way:
                raise CompileError(f"layer {self.p}: {name} at a step the scan has not reached")
            if name not in self.carried:
                self.carried.append(name)
        else:
            self._sequence(name)
            self.inputs.setdefault(name + _SUFFIX[way], f"_neighbours({time_major(name)}, {way!r})")
        return name + _SUFFIX[way]

    def assign(self, name: str, code: str, comment: str = "", note: str = "") -> None:
        self.lines += [f"# {comment}"] if comment else []
        self.lines.append(f"{name}_t = {code}" + (f"  # {note}" if note else ""))
        self.known.add(name)

    def call(self, step) -> str:  # noqa: ANN001 - an ArrayStep
        """``op(args) + ...`` exactly as proved, on step t's arrays and windows."""
        parts = []
        for op, roles in zip(step.ops, step.operands, strict=True):
            names = [n for n in inspect.signature(operation(op)).parameters if n != "mask"]
            if len(names) != len(roles):
                raise CompileError(f"layer {self.p}: {op} was proved with operands {roles}")
            arrays = {n: _name(self.pr, r, self.p) for n, r in zip(names, roles, strict=True)}
            weights = {n for n, r in zip(names, roles, strict=True) if r in _PARAMETERS}
            if op in SCAN_FORMS:
                parts.append(self._scan_form(op, arrays))
            elif op in WINDOWS:
                parts.append(self._windowed(op, arrays))
            elif operation(op) in arrayops_lstm.STEPWISE:
                args = [a if n in weights else self.now(a) for n, a in arrays.items()]
                parts.append(f"{op}({', '.join(args)})")
            else:
                raise CompileError(f"layer {self.p}: {op} cannot run one time step at a time")
            self.pr.used.add(op)
        return " + ".join(parts)

    def _scan_form(self, op: str, arrays: dict[str, str]) -> str:
        form = proved_scan_form(op)
        for n, array in arrays.items():
            if n in form.neighbours:
                self.neighbour(array, form.neighbours[n])
            elif f"{{{n}}}_t" in form.step:
                self.now(array)
        self.pr.used.update(("affine", "matmul"))
        return form.step.format(**arrays)

    def _windowed(self, op: str, arrays: dict[str, str]) -> str:
        way, at = WINDOWS[op]
        unknown = frozenset(n for n, a in arrays.items() if a in self.computed - self.known)
        reads = window_reads(op, unknown)
        args = []
        for n, array in arrays.items():
            now = "None" if n in unknown else self.now(array)
            other = self.neighbour(array, way) if n in reads else "None"
            if now == other == "None":
                raise CompileError(f"layer {self.p}: {op} reads nothing of {array}")
            args.append(f"_steps({other}, {now})" if way == "back" else f"_steps({now}, {other})")
        return f"{op}({', '.join(args)})[0, {at}]"

    def scan(self, batch: str, widths: dict[str, int], outputs: list[str]) -> list[str]:
        """The time-major views, the body as a function, the scan and the batch-first
        sequences of ``outputs``."""
        fn = f"{'backward' if self.reverse else 'forward'}_step{self.p}"
        suffix = _SUFFIX[self.way]
        carry = ", ".join(c + suffix for c in self.carried)
        inputs = ", ".join(self.inputs)
        start = ", ".join(f"np.zeros(({batch}, {widths[c]}), DTYPE)" for c in self.carried)
        tuple_of = lambda text, n: f"({text},)" if n == 1 else f"({text})"  # noqa: E731
        head = [f"({carry},) = carry" if len(self.carried) == 1 else f"{carry} = carry"]
        body = [
            f"def {fn}(carry, now):",
            f"    # step t from the carry (step {'t+1' if self.reverse else 't-1'}: "
            f"{', '.join(self.carried) or 'nothing'}) and step t of the sequences",
            *(("    " + line) for line in (head if self.carried else [])),
            f"    {tuple_of(inputs, len(self.inputs))} = now",
            *("    " + line for line in self.lines),
            f"    return {tuple_of(', '.join(c + '_t' for c in self.carried), len(self.carried))}"
            f", {tuple_of(', '.join(o + '_t' for o in outputs), len(outputs))}",
        ]
        stacked = tuple_of(", ".join(time_major(o) for o in outputs), len(outputs))
        xs = tuple_of(", ".join(self.inputs.values()), len(self.inputs))
        options = (", reverse=True" if self.reverse else "") + f", unroll={UNROLL}"
        return [
            *(f"{time_major(n)} = {n}.transpose(1, 0, 2)  # time first" for n in self.sequences),
            *body,
            f"_, {stacked} = jax.lax.scan({fn}, {tuple_of(start, len(self.carried))}, {xs}"
            f"{options})",
            *(f"{o} = {time_major(o)}.transpose(1, 0, 2)  # batch first" for o in outputs),
        ]


def scans(net, p: int) -> bool:  # noqa: ANN001 - a LayeredNetwork
    """Whether layer p is a recurrent layer whose loop is a scan: on a sequence of more than
    one step (a 1-step one has the NumPy trainer's loop of one step, nothing to unroll)."""
    return net.layers[p - 1].kind in ("rnn", "lstm") and net.shapes[p - 1][0] > 1


def rnn_forward_lines(pr, p: int) -> list[str]:  # noqa: ANN001 - layered._Printer
    """z_t = the scan form of z's operation, a_t = f(z_t), for t = 0 .. T-1."""
    layer, step = pr.net.layers[p - 1], pr.step(p, "z")
    body = _Body(pr, p, reverse=False, computed=[f"Z{p}", f"A{p}"])
    body.assign(f"Z{p}", body.call(step))
    body.assign(f"A{p}", stable_form(layer.act.numpy_forward, z=f"Z{p}_t"))
    return [
        f"# {step.text}: {pr.call(step, p)}, one time step at a time (its scan form)",
        *body.scan(f"{pr.name('X', p)}.shape[0]", {f"A{p}": layer.units}, [f"Z{p}", f"A{p}"]),
    ]


def rnn_backward_lines(pr, p: int) -> list[str]:  # noqa: ANN001 - layered._Printer
    """Backpropagation through time: dC/dh_t and dC/dz_t = dC/dh_t * f'(z_t), t = T-1 .. 0."""
    dh, dz = pr.step(p, "dh"), pr.step(p, "dz")
    body = _Body(pr, p, reverse=True, computed=[f"DH{p}", f"DZ{p}"])
    recurrence = body.call(dh)
    body.assign(f"DH{p}", f"{body.now(f'DA{p}')} + {recurrence}")
    read = sorted(s.name for s in dz.template.free_symbols)
    if set(read) - {"A", "Z"}:
        raise CompileError(f"layer {p}: f'(z) reads {read}, not step t's a and z alone")
    for role in read:
        body.now(f"{role}{p}")
    body.assign(f"DZ{p}", f"DH{p}_t * ({pr.factor(p, at='_t')})")
    return [
        f"# backpropagation through time: dC/dh_t = (from above) + {dh.text}",
        *body.scan(f"A{p}.shape[0]", {f"DZ{p}": pr.net.layers[p - 1].units}, [f"DZ{p}"]),
    ]


def lstm_forward_lines(pr, p: int) -> list[str]:  # noqa: ANN001 - layered._Printer
    """z_t, the gates, c_t, tanh(c_t) and h_t for t = 0 .. T-1: a scan carrying h and c."""
    n = pr.net.layers[p - 1].units
    z, c, s, h = (pr.step(p, q) for q in ("z", "c", "s", "a"))
    body = _Body(pr, p, reverse=False, computed=[f"{v}{p}" for v in VALUES])
    body.assign(f"Z{p}", body.call(z))
    for k, (gate, act) in enumerate(GATES):
        code = _stable(act, f"Z{p}_t[:, {k * n}:{(k + 1) * n}]")
        comment = f"{gate} = {pr.step(p, gate).template} of Z[{k}n:{k + 1}n]"
        body.assign(f"{gate.upper()}G{p}", code, comment)
    body.assign(f"C{p}", body.call(c))
    body.assign(f"S{p}", _stable("tanh", f"C{p}_t"), f"s = {s.template}")
    symbols = {x: sympy.Symbol(f"{_TEMPLATE_ARRAY.get(x.name, x.name)}{p}_t")
               for x in h.template.free_symbols}  # fmt: skip
    body.assign(f"A{p}", printed(h.template.xreplace(symbols)), note=f"h = {h.template}")
    widths = {f"{v}{p}": 4 * n if v == "Z" else n for v in VALUES}
    return [
        f"# lstm: {z.text} {c.text} Each statement a proved operation, step by step.",
        *body.scan(f"{pr.name('X', p)}.shape[0]", widths, [f"{v}{p}" for v in VALUES]),
    ]


def lstm_backward_lines(pr, p: int) -> list[str]:  # noqa: ANN001 - layered._Printer
    """Backpropagation through time: dC/dh_t, ds, do, dc, di, df, dg and dz_t, t = T-1 .. 0,
    a reverse scan carrying dC/dz_{t+1} and dC/dc_{t+1}."""
    n = pr.net.layers[p - 1].units
    names = {q: _name(pr, "DA" if q == "dh" else q.upper(), p) for q in BACKWARD_ORDER}
    body = _Body(pr, p, reverse=True, computed=list(names.values()))
    for quantity in BACKWARD_ORDER:
        step = pr.step(p, quantity)
        call, text = body.call(step), step.text
        if quantity == "dh":  # the layer above's part plus this layer's own (the recurrence)
            call, text = f"{body.now(f'DA{p}')} + {call}", f"dC/dh_t = (from above) + {text}"
        body.assign(names[quantity], call, text)
    widths = {name: 4 * n if q == "dz" else n for q, name in names.items()}
    return [
        "# lstm: backpropagation through time, one step at a time from the last",
        *body.scan(f"A{p}.shape[0]", widths, [f"DZ{p}"]),
    ]


FORWARD = {"rnn": rnn_forward_lines, "lstm": lstm_forward_lines}
BACKWARD = {"rnn": rnn_backward_lines, "lstm": lstm_backward_lines}
"""The scan printers of each recurrent layer kind, by :func:`scans`' layers."""
