"""Recognise each layer's derived backward pass (and forward equations) as array operations
over a batch, and prove every recognised form equal to the derived index form.

For every quantity of a layer (its forward z, the gradient of its input, of each parameter, of
its recurrent state) the recogniser tries *every* operation of :mod:`symbp.derive.arrayops`
whose arguments the layer can supply (single operations, and sums of two for a layer read twice,
such as a residual's input), evaluates it on the symbols of the derived instance, and keeps the
one equal to the chain rule's result entry by entry: both sides expanded into exact polynomials
over the instance's symbols (:mod:`symbp.derive.layered_poly`, what ``sympy.expand(form -
derived) == 0`` decides, at a fraction of its cost). Elementwise factors (f'(z), and the last
layer's delta that meets the loss) are read off the derived entries as one template for all of
them. Nothing here knows which layer needs which operation: a quantity no operation matches is a
:class:`RecognitionError`, and compile refuses.

**Why the proof on a small instance holds at the real size.** Compile derives a *separated*
instance (``LayeredNetwork.skeleton``): every layer on its own smallest input, with at most 2
channels, 3 dense units, 2 recurrent units over 3 time steps (``LayerKind.small_input``). On
both sides, every entry of a layer's quantity is a sum, over the taps of one window (a kernel, a
pooling window, a matrix row, a time step), of a weight or a mask times an input or a delta; the
taps kept at an entry are those inside the (zero-padded) input. Which taps those are, the entry's
*case*, depends only on the layer kind, its hyper-parameters (k, stride, padding) and the
entry's distance from the edges: two entries of one case differ by a translation of every index,
and both the index form (the same equation, shifted) and the array operation (sliding windows)
commute with that translation. A kernel tap's gradient is a sum over a range of outputs whose
ends lie at fixed distances from the ends of the axis. The instance's lengths are the shortest
with every case, stride phase and range end of the real input (``symbp.layers.conv.axis_cases``;
two windows and the real remainder for pooling), and 2 channels exercise the sums over channels
and their order. So an identity proved at every entry of the instance is proved at every entry of
the real network: the proof is per layer kind and (k, stride, padding), not per input size;
channel counts, widths, the batch and the number of steps enter the operations only as the
shapes of their arrays. The compiled trainers are also checked against torch.autograd at their
real sizes (tests/test_layers_compile.py).

>>> from symbp.derive.layered import derive_layers
>>> from symbp.model import layered_network
>>> der = derive_layers(layered_network("1x4", "conv1d(1,2,tanh) flatten dense(2,softmax)", "cce"))
>>> steps = recognise(der)
>>> [(s.position, s.quantity, s.ops) for s in steps if s.position == 1]
[(1, 'z', ('correlate',)), (1, 'dz', ('hadamard',)), (1, 'dx', ('full_convolution',)), \
(1, 'dW1', ('correlate_input_delta',)), (1, 'db1', ('channel_sum',))]
>>> next(s for s in steps if s.quantity == "dz" and s.position == 3).template
A - Y
"""

from __future__ import annotations

import inspect
import itertools
from dataclasses import dataclass

import numpy as np
import sympy

from symbp.derive import arrayops
from symbp.derive.algebraic import DefinitionsProver
from symbp.derive.layered import LayeredDerivation, grad_symbol
from symbp.derive.layered_poly import Poly, atom, from_sympy
from symbp.derive.recognise_shapes import Probe, fits, probe_operands
from symbp.derive.softmax_rows import SOFTMAX, softmax_rows_of
from symbp.errors import SymbpError
from symbp.layers.base import LayerData
from symbp.layers.pool import FirstMax

A, Z, Y, DA, X = sympy.symbols("A Z Y DA X", real=True)
ROLES = {"D": ("DZ", "DA"), "X": ("X",), "H": ("A",), "W": ("W", "Wx", "Wh")}
ROLES["M"] = ("Wq", "Wk", "Wv")  # attention's projections
STATIC = ("k", "stride", "padding")


_BATCHED = [False]
"""Whether the instance being recognised carries its batch as axis 0 (set by recognise)."""


class RecognitionError(SymbpError):
    """A derived quantity that no array operation matches (compile refuses to print it)."""


@dataclass(frozen=True)
class ArrayStep:
    """One quantity of one layer in array form: the operations summed and their operands, or an
    elementwise ``template`` (``dz = DA * template``, or the last layer's delta itself)."""

    position: int
    quantity: str
    ops: tuple[str, ...]
    operands: tuple[tuple[str, ...], ...]
    static: tuple[str, ...]
    template: sympy.Expr | None
    text: str
    proved: int


def symbolic_first_max_mask(blocks: np.ndarray) -> np.ndarray:
    """The first-maximum indicator of each window as :class:`FirstMax` atoms (of the window's
    entries as SymPy expressions)."""
    out = np.empty(blocks.shape, dtype=object)
    for idx in np.ndindex(blocks.shape[1:]):  # the offset in the window is axis 0
        window = [w.to_sympy() if isinstance(w, Poly) else w for w in blocks[(slice(None), *idx)]]
        for i in range(len(window)):
            out[(i, *idx)] = atom(FirstMax(i, *window))
    return out


def _atoms(array: np.ndarray) -> np.ndarray:
    return np.vectorize(atom, otypes=[object])(array) if array.size else array


def _operands(der: LayeredDerivation, data: LayerData) -> dict[str, np.ndarray]:
    def batch(array: np.ndarray) -> np.ndarray:  # axis 0 holds the examples
        return array if der.forward.batched else array[None]

    out: dict[str, np.ndarray] = {"X": batch(data.arrays["x"])}
    if "z" in data.arrays:
        out["Z"] = batch(data.arrays["z"])
        out["DZ"] = batch(np.vectorize(grad_symbol, otypes=[object])(data.arrays["z"]))
    for role in _intermediates(data):  # mu, var, sigma, x_hat of a normalisation
        out[role.upper()] = data.arrays[role] if data.layer.batch else batch(data.arrays[role])
    out["A"] = batch(data.arrays["a"])
    out["DA"] = batch(np.vectorize(grad_symbol, otypes=[object])(data.arrays["a"]))
    for key, array in data.parameters.items():
        out[_role(key, data.position)] = array
    return out


def _poly_operands(operands: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The operands as :class:`~symbp.derive.layered_poly.Poly` atoms (what ops run on)."""
    return {role: _atoms(array) for role, array in operands.items()}


def _bindings(function, operands: dict, static: dict):
    """Every way of filling ``function``'s arguments from the layer's operands."""
    names = [n for n in inspect.signature(function).parameters if n not in ("mask", "key")]
    choices = []
    for n in names:
        if n in STATIC:
            if n not in static:
                return
            choices.append([("static", n)])
        else:
            options = [r for r in ROLES.get(n, (n,)) if r in operands]
            if not options:
                return
            choices.append([("array", r) for r in options])
    yield from itertools.product(*choices)


def _evaluate(function, binding, operands: dict, static: dict) -> np.ndarray | None:
    args = [operands[r] if kind == "array" else static[r] for kind, r in binding]
    kwargs = {}
    if "mask" in inspect.signature(function).parameters:
        kwargs["mask"] = symbolic_first_max_mask
    try:
        with np.errstate(all="ignore"):
            value = function(*args, **kwargs)
    except (ValueError, IndexError, TypeError):
        return None
    return value if isinstance(value, np.ndarray) else None


class _Prover:
    """An exact proof, entry by entry: the candidate (computed in polynomials over the
    instance's atoms) and the derived entry expanded into the same polynomials must be equal."""

    @staticmethod
    def expanded(derived: np.ndarray) -> np.ndarray:
        """The derived entries as polynomials (once per quantity)."""
        out = np.empty(derived.shape, dtype=object)
        for idx, t in np.ndenumerate(derived):
            out[idx] = from_sympy(t)
        return out

    def equal(self, form: np.ndarray, derived: np.ndarray) -> int:
        """How many entries of ``form`` equal the expanded ``derived`` (0 unless all do)."""
        if not isinstance(form, np.ndarray) or form.shape != derived.shape or not form.size:
            return 0
        for f, t in zip(form.flat, derived.flat, strict=True):
            if not t == f:
                return 0
        return form.size


def _match(name, derived, candidates, prover, position, text_of, batch=True, probe=None):
    """The first candidate (or sum of two) equal to ``derived`` entry by entry whose result,
    on ``probe``'s real-shape operands, has the quantity's real shape
    (:mod:`symbp.derive.recognise_shapes`)."""
    if batch and not _BATCHED[0]:
        derived = derived[None]  # batch quantities: the instance is one example (m = 1)
    derived = prover.expanded(derived)
    for group in (1, 2):
        for combo in itertools.combinations(candidates, group):
            form = combo[0][2] if group == 1 else _add(combo[0][2], combo[1][2])
            if form is None:
                continue
            proved = prover.equal(form, derived)
            if proved and fits(combo, probe):
                ops = tuple(c[0].__name__ for c in combo)
                operands = tuple(tuple(r for _, r in c[1]) for c in combo)
                static = tuple(sorted({r for c in combo for k, r in c[1] if k == "static"}))
                text = " + ".join(text_of(c[0]) for c in combo)
                return ArrayStep(position, name, ops, operands, static, None, text, proved)
    raise RecognitionError(
        f"layer {position}: the derived {name} matches none of the array operations "
        f"({', '.join(f.__name__ for f in arrayops.BACKWARD)}); compile refuses to print it"
    )


def _add(left, right):
    if left is None or right is None or left.shape != right.shape:
        return None
    return left + right


def _elementwise(der, data, derived, names: dict, position: int, quantity: str, text=None):
    """One template for every entry: ``derived_e`` with entry e's symbols renamed."""
    templates = set()
    for idx, value in np.ndenumerate(derived):
        renames = {array[idx]: symbol for symbol, array in names.items()}
        templates.add(sympy.sympify(value).xreplace(renames))
    if len(templates) != 1:
        raise RecognitionError(f"layer {position}: {quantity} is not one elementwise formula")
    template = templates.pop()
    if not template.free_symbols <= set(names):
        raise RecognitionError(f"layer {position}: {quantity} reads other entries: {template}")
    if DA in names:
        factor = sympy.cancel(template / DA)
        if DA in factor.free_symbols or sympy.expand(factor * DA - template) != 0:
            raise RecognitionError(f"layer {position}: {quantity} is not delta times a factor")
        template = factor
    text = text or ("D * F (elementwise)" if DA in names else "elementwise from A, Z, Y")
    return ArrayStep(position, quantity, ("hadamard",), (), (), template, text, derived.size)


def _first_line(function) -> str:
    return (function.__doc__ or function.__name__).strip().splitlines()[0]


def recognise(der: LayeredDerivation) -> list[ArrayStep]:
    """Every layer's forward and backward in array form, each proved; stored on ``der``."""
    prover = _Prover()
    _BATCHED[0] = der.forward.batched
    definitions = dict(der.forward.definitions)
    steps: list[ArrayStep] = []
    last = der.forward.layers[-1].position
    for data in der.forward.layers:
        p, ops = data.position, _operands(der, data)
        polys = _poly_operands(ops)
        static = {n: getattr(data.layer, n) for n in STATIC if hasattr(data.layer, n)}
        defined = der.forward.equations.defined_by.get(data.arrays["a"].flat[0]) == p
        if not defined:  # flatten, last: the output is the input's own symbols
            steps.append(ArrayStep(p, "dx", ("reshape",), (("DA",),), (), None, "reshape", 0))
            continue
        if data.layer.kind == "lstm":  # gates and a cell state: its own module
            from symbp.derive.recognise_lstm import recognise_lstm  # it imports this one

            steps += recognise_lstm(der, data, polys)
            continue
        if _intermediates(data):
            steps += _with_intermediates(der, data, polys, static, definitions)
            continue
        forward_target = "z" if "z" in data.arrays else "a"
        target = np.vectorize(definitions.get, otypes=[object])(data.arrays[forward_target])
        real = _real(der, data, ops, static)
        fw = _candidates(arrayops.FORWARD, polys, static)
        steps.append(_match(forward_target, target, fw, prover, p, _first_line,
                            probe=real.get(forward_target.upper())))  # fmt: skip
        bw = _candidates(arrayops.BACKWARD, polys, static)
        if "z" in data.arrays:
            z = data.arrays["z"]
            if p == last:
                derived = der.part(p, z)
                names = {A: data.arrays["a"], Z: z, Y: der.forward.y}
                steps.append(_elementwise(der, data, derived, names, p, "dz"))
            else:
                delta = ops["DA"] if _BATCHED[0] else ops["DA"][0]
                names = {DA: delta, A: data.arrays["a"], Z: z, X: data.arrays["x"]}
                if data.arrays["x"].shape != z.shape:
                    del names[X]
                steps.append(_elementwise(der, data, der.part(p, z), names, p, "dz"))
        steps.append(_match("dx", der.part(p, data.arrays["x"]), bw, prover, p, _first_line,
                            probe=real.get("X")))  # fmt: skip
        if data.layer.kind == "rnn":
            steps.append(_match("dh", der.part(p, data.arrays["a"]), bw, prover, p, _first_line,
                                probe=real.get("A")))  # fmt: skip
        for key in data.parameters:
            derived = der.gradients[key]
            steps.append(_match(f"d{key}", derived, bw, prover, p, _first_line, batch=False,
                                probe=real.get(_role(key, p))))  # fmt: skip
    der.array_form = steps
    return steps


def _role(key: str, position: int) -> str:
    """A parameter's operand role: its key without the layer's position (``W2`` -> ``W``)."""
    return key[: -len(str(position))]


def _real(der: LayeredDerivation, data: LayerData, ops: dict, static: dict) -> dict:
    """Role -> the :class:`Probe` of a quantity of that role's real shape (in ``der.network``,
    the network asked for): the input, the output, z where a = f(z) elementwise, and the
    parameters; an lstm adds its own (:mod:`symbp.derive.recognise_lstm`)."""
    net, p = der.network, data.position
    real = {"X": net.shapes[p - 1], "A": net.shapes[p], "DA": net.shapes[p]}
    act = data.layer.activation()
    if "z" in data.arrays and act is not None and act.elementwise:
        real |= {"Z": net.shapes[p], "DZ": net.shapes[p]}
    params = {_role(key, p): net.parameter_shapes[key] for key in data.parameters}
    real |= params
    probe = Probe(probe_operands(ops, real, set(params)), static, ())
    lead = ops["X"].shape[:1]
    return {r: probe.at(shape if r in params else (*lead, *shape)) for r, shape in real.items()}


def _candidates(functions, operands, static) -> list:
    out = []
    for function in functions:
        for binding in _bindings(function, operands, static):
            out.append((function, binding, _evaluate(function, binding, operands, static)))
    return out


def _intermediates(data: LayerData) -> list[str]:
    """The roles a layer defines besides z and its output a (a normalisation's mu, var, sigma,
    x_hat), in forward order."""
    return [role for role in data.arrays if role not in ("x", "z", "a")]


def _softmax_step(data: LayerData, role: str, definitions: dict) -> ArrayStep | None:
    """A role defined as a softmax over the last axis of another role (attention's weights):
    every entry's definition is checked to be the registry softmax of its row, exactly; the
    trainer prints :func:`~symbp.derive.arrayops.row_softmax`, that activation's stable form
    (the row's maximum subtracted, which cancels in the ratio), as for a softmax output."""
    rows = softmax_rows_of([data])
    weights = data.arrays[role]
    if not rows or any(u not in rows for u in weights.flat):
        return None
    n = weights.shape[-1]
    firsts = weights.reshape(-1, n)[:, 0]  # one weight of every row

    def reads(array: np.ndarray) -> bool:
        rows_of = array.reshape(-1, n)
        return all(rows[u][1] == list(r) for u, r in zip(firsts, rows_of, strict=True))

    shaped = [r for r, array in data.arrays.items() if array.shape == weights.shape and r != role]
    source = next((r for r in shaped if reads(data.arrays[r])), None)
    if source is None:
        return None
    for u in weights.flat:
        _, inputs, i = rows[u]
        if definitions[u] != SOFTMAX(inputs)[i]:
            return None
    text = "softmax over the last axis (stable: the row's maximum subtracted)"
    operands = ((source.upper(),),)
    return ArrayStep(data.position, role, ("row_softmax",), operands, (), None, text, weights.size)


def _with_intermediates(der, data, polys, static, definitions) -> list[ArrayStep]:
    """A layer with intermediate quantities: each one's forward definition recognised (an array
    operation, or one elementwise formula of an earlier quantity, such as sigma = sqrt(var +
    eps)); the chain rule's gradients through them collapsed into the layer's output delta, then
    proved modulo the intermediates' definitions (:mod:`symbp.derive.algebraic`)."""
    p, roles = data.position, _intermediates(data)
    real = _real(der, data, _operands(der, data), static)
    steps = []
    forward = _candidates(arrayops.FORWARD, polys, static)
    for role in [*roles, "a"]:
        target = np.vectorize(definitions.get, otypes=[object])(data.arrays[role])
        try:
            probe = real.get("A") if role == "a" else None
            steps.append(_match(role, target, forward, _Prover(), p, _first_line, probe=probe))
        except RecognitionError:
            softmax = _softmax_step(data, role, definitions)
            if softmax is not None:
                steps.append(softmax)
                continue
            names = {
                sympy.Symbol(r.upper(), real=True): data.arrays[r]
                for r in ["x", *roles[: roles.index(role) if role in roles else len(roles)]]
                if data.arrays[r].shape == target.shape
            }
            text = f"{role} elementwise from " + ", ".join(map(str, names))
            steps.append(_elementwise(der, data, target, names, p, role, text))
    inside = {s for role in roles for s in data.arrays[role].flat}
    own = [u for u, _ in der.forward.definitions if u in inside]
    through: dict[sympy.Symbol, sympy.Expr] = {}
    for u in reversed(own):  # dC/du of each intermediate, in the output's deltas only
        through[grad_symbol(u)] = der.delta(u).xreplace(through)
    collapse = np.vectorize(lambda e: sympy.sympify(e).xreplace(through), otypes=[object])
    prover = DefinitionsProver(der.forward.definitions, inside)
    backward = _candidates(arrayops.BACKWARD, polys, static)
    derived = collapse(der.part(p, data.arrays["x"]))
    steps.append(_match("dx", derived, backward, prover, p, _first_line, probe=real.get("X")))
    for key in data.parameters:
        derived = collapse(der.gradients[key])
        steps.append(_match(f"d{key}", derived, backward, prover, p, _first_line, batch=False,
                            probe=real.get(_role(key, p))))  # fmt: skip
    return steps
