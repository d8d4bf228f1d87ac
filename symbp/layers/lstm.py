"""``lstm(n)``: the long short-term memory layer of PyTorch's nn.LSTM (one layer, one direction)
over an input sequence (T, d); the output is the whole sequence h (T, n) (``last`` takes h_T).

Gates in PyTorch's order (i, f, g, o), stacked in the 4n rows of the parameters, c_{-1} =
h_{-1} = 0, t = 0..T-1::

    z_t = Wx x_t + Wh h_{t-1} + b                 (4n pre-activations)
    i_t = sigmoid(z_t[0:n])    f_t = sigmoid(z_t[n:2n])
    g_t = tanh(z_t[2n:3n])     o_t = sigmoid(z_t[3n:4n])
    c_t = f_t * c_{t-1} + i_t * g_t               (the cell state)
    s_t = tanh(c_t)            h_t = o_t * s_t

Parameters ``Wx{i}`` (4n, d) = torch's ``weight_ih_l0``, ``Wh{i}`` (4n, n) = ``weight_hh_l0``
and one bias ``b{i}`` (4n,): torch adds two, ``bias_ih_l0 + bias_hh_l0``, which only ever
appear as their sum, so b is that sum. Only these forward equations are stated here, twice:
over arrays of symbols (:meth:`Lstm.equations`) and in index form with symbolic T, d and n
(:meth:`Lstm.index_equations`: each gate's pre-activation zi, zf, zg, zo its block of rows of
z, and the output a a copy of the state h); the
backward pass (through c and h, the cell state's constant error carousel through f) is derived
by the chain rule (:mod:`symbp.derive.layered`) and recognised by
:mod:`symbp.derive.recognise_lstm`.

>>> Lstm(5).output_shape((4, 3))
(4, 5)
>>> Lstm(5).parameter_shapes((4, 3), 1)
{'Wx1': (20, 3), 'Wh1': (20, 5), 'b1': (20,)}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from symbp.activations import Activation, get_activation
from symbp.layers import index as ix
from symbp.layers.base import Equations, LayerData, LayerKind, Shape, activate
from symbp.layers.dense import unit_sum

GATES = (("i", "sigmoid"), ("f", "sigmoid"), ("g", "tanh"), ("o", "sigmoid"))
"""The gates in PyTorch's order, each with its activation; gate k reads rows k n .. (k+1) n."""

# the index-form vocabulary: step tau, unit k, input feature e, hidden unit m summed over
tau, k, e, m = sympy.symbols("tau k e m", integer=True)
GATE = {name: sympy.IndexedBase(name) for name, _ in GATES}
"""The gates' outputs i, f, g, o."""
PRE = {name: sympy.IndexedBase(f"z{name}") for name, _ in GATES}
"""Each gate's pre-activation (zi, zf, zg, zo: the rows of z that the gate reads)."""
c, s = sympy.IndexedBase("c"), sympy.IndexedBase("s")
STATES = (*PRE.values(), *GATE.values(), c, s)
"""The arrays the layer defines at every step besides its state h (and its output a = h)."""
ROLES = {base: str(base) for base in (*STATES, ix.x, ix.h, ix.a, ix.Wx, ix.Wh, ix.b)}
"""Each index-form array's role: the array of that name of the layer's concrete instance."""


@dataclass(frozen=True)
class Lstm(LayerKind):
    units: int
    kind = "lstm"
    signature = "lstm(n) on a T x d sequence"

    def spec(self) -> str:
        return f"lstm({self.units})"

    def output_shape(self, shape: Shape) -> Shape:
        self.need(shape, 2, "a T x d sequence")
        return (shape[0], self.units)

    def parameter_shapes(self, shape: Shape, position: int) -> dict[str, Shape]:
        n, p = self.units, position
        return {f"Wx{p}": (4 * n, shape[1]), f"Wh{p}": (4 * n, n), f"b{p}": (4 * n,)}

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        self.output_shape(x.shape)
        p, n, steps = data.position, self.units, x.shape[0]
        wx = eq.parameter(p, "Wx", (4 * n, x.shape[1]))
        wh = eq.parameter(p, "Wh", (4 * n, n))
        b = eq.parameter(p, "b", (4 * n,))
        data.parameters.update({f"Wx{p}": wx, f"Wh{p}": wh, f"b{p}": b})
        data.arrays["x"] = x
        roles = ["z", *(name for name, _ in GATES), "c", "s", "a"]
        out = {role: np.empty((steps, 4 * n if role == "z" else n), dtype=object)
               for role in roles}  # fmt: skip
        for t in range(steps):
            z = np.empty(4 * n, dtype=object)
            for j in range(4 * n):
                total = unit_sum(list(wx[j]), list(x[t]), b[j])
                if t > 0:
                    total = sympy.Add(total, unit_sum(list(wh[j]), list(out["a"][t - 1]), None))
                z[j] = total
            out["z"][t] = eq.define(p, "z", z, at=(t,))
            for k, (name, act) in enumerate(GATES):
                pre = out["z"][t, k * n : (k + 1) * n]
                out[name][t] = eq.define(p, name, _act(act, pre), at=(t,))
            i, f, g, o = (out[name][t] for name, _ in GATES)
            kept = f * out["c"][t - 1] if t > 0 else np.zeros(n, dtype=object)
            out["c"][t] = eq.define(p, "c", kept + i * g, at=(t,))
            out["s"][t] = eq.define(p, "s", _act("tanh", out["c"][t]), at=(t,))
            out["a"][t] = eq.define(p, "h", o * out["s"][t], at=(t,))
        data.arrays.update(out)

    def index_equations(self, shape: Shape) -> ix.IndexEquations:
        """Each gate's pre-activation, the gates, the cell c, tanh(c) = s, the state h and the
        output a = h, at step tau and unit k (h_{-1} = c_{-1} = 0: outside the sequence).

        >>> Lstm(2).index_equations((3, 2)).equations[8]
        (c[tau, k], c[tau - 1, k]*f[tau, k] + g[tau, k]*i[tau, k])
        """
        x, h, Wx, Wh, b, N = ix.x, ix.h, ix.Wx, ix.Wh, ix.b, ix.N
        seq, units, inp, rows = (0, ix.T - 1), (0, N - 1), (0, ix.D - 1), (0, 4 * N - 1)
        equations = []
        for q, (name, _) in enumerate(GATES):
            row = q * N + k
            pre = (sympy.Sum(Wx[row, e] * x[tau, e], (e, *inp))
                   + sympy.Sum(Wh[row, m] * h[tau - 1, m], (m, *units)) + b[row])  # fmt: skip
            equations.append((PRE[name][tau, k], pre))
        for name, act in GATES:
            equations.append((GATE[name][tau, k], get_activation(act).f(PRE[name][tau, k])))
        i_, f_, g_, o_ = (GATE[name][tau, k] for name, _ in GATES)
        equations += [
            (c[tau, k], f_ * c[tau - 1, k] + i_ * g_),
            (s[tau, k], get_activation("tanh").f(c[tau, k])),
            (h[tau, k], o_ * s[tau, k]),
            (ix.a[tau, k], h[tau, k]),
        ]
        axes = {x: (seq, inp), Wx: (rows, inp), Wh: (rows, units), b: (rows,)}
        axes.update({base: (seq, units) for base in (*STATES, h, ix.a)})
        sizes = {ix.T: ("x", 0), ix.D: ("x", 1), N: ("a", 1)}
        return ix.IndexEquations(tuple(equations), axes, ROLES, sizes)

    def activated(self, data: LayerData) -> list[tuple[Activation, np.ndarray, np.ndarray]]:
        """(activation, outputs, their arguments) of every elementwise activation the layer
        applies: the gates of z, and tanh of the cell state."""
        n = self.units
        pairs = [(get_activation(act), data.arrays[name], data.arrays["z"][:, k * n : (k + 1) * n])
                 for k, (name, act) in enumerate(GATES)]  # fmt: skip
        return [*pairs, (get_activation("tanh"), data.arrays["s"], data.arrays["c"])]

    def skeleton(self) -> Lstm:
        return Lstm(min(self.units, 2))

    def small_input(self, shape: Shape) -> Shape:
        """3 time steps (a first step with c_{-1} = h_{-1} = 0, a middle one, a last one)."""
        return (min(shape[0], 3), min(shape[1], 2))


def _act(name: str, values: np.ndarray) -> np.ndarray:
    return activate(get_activation(name), np.asarray(values, dtype=object), axis_units=False)
