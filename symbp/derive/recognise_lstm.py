"""Recognise an LSTM layer's derived forward and backward pass (:mod:`symbp.layers.lstm`) as
array operations, each proved equal to the chain rule's result entry by entry, as every layer's
(:mod:`symbp.derive.recognise`; why a 3-step, 2-unit instance proves every size is said there).

Backpropagation through time is recognised one quantity at a time, in the derived ``d...``
symbols of the quantities the layer defines, from the output h back to the input x:

- dC/dh_t (this layer's part): Wh^T dC/dz_{t+1} (``shifted_matmul``), added to what the layer
  above sends;
- dC/ds_t = dC/dh_t o_t and dC/do_t = dC/dh_t tanh(c_t);
- dC/dc_t = dC/ds_t (1 - s_t^2) + dC/dc_{t+1} f_{t+1}: the second term is the constant error
  carousel (``carousel``), the cell state's gradient passed back through the forget gate alone;
- dC/di_t = dC/dc_t g_t, dC/df_t = dC/dc_t c_{t-1}, dC/dg_t = dC/dc_t i_t;
- dC/dz_t, the four gates' gradients times their slopes in output form;
- dC/dx, dC/dWx, dC/dWh, dC/db from dC/dz as for the Elman rnn.

>>> from symbp.derive.layered import derive_layers
>>> from symbp.derive.recognise import recognise
>>> from symbp.model import layered_network
>>> der = derive_layers(layered_network("3x2", "lstm(2) last dense(1,identity)", "mse"))
>>> steps = {s.quantity: s.ops for s in recognise(der) if s.position == 1}
>>> steps["dc"], steps["dh"]
(('through_cell_tanh', 'carousel'), ('shifted_matmul',))
"""

from __future__ import annotations

import numpy as np
import sympy

from symbp.derive import arrayops, arrayops_lstm
from symbp.derive import recognise as rc
from symbp.derive.layered import LayeredDerivation, grad_symbol
from symbp.derive.recognise_shapes import Probe, probe_operands
from symbp.layers.base import LayerData
from symbp.layers.lstm import GATES

BACKWARD_ORDER = ("dh", "ds", "do", "dc", "di", "df", "dg", "dz")
"""The layer's own quantities in the order backpropagation meets them."""

_ROLE_OF = {"dh": "a", "ds": "s", "do": "o", "dc": "c", "di": "i", "df": "f", "dg": "g",
            "dz": "z"}  # fmt: skip


def _real(der: LayeredDerivation, data: LayerData, polys: dict) -> dict[str, Probe]:
    """Role -> the :class:`Probe` of a quantity of that role's real shape (the network asked
    for, ``der.network``): x is T x d, z and dC/dz T x 4n, every other sequence T x n."""
    p = data.position
    (steps, _), (_, n) = der.network.shapes[p - 1], der.network.shapes[p]
    params = {key[: -len(str(p))]: der.network.parameter_shapes[key] for key in data.parameters}
    real = {role: (steps, n) for role in polys if role not in params}
    real |= {"X": der.network.shapes[p - 1], "Z": (steps, 4 * n), "DZ": (steps, 4 * n)}
    probe = Probe(probe_operands(polys, real | params, set(params)), {}, ())
    lead = polys["X"].shape[:1]
    return {r: probe.at((*lead, *shape)) for r, shape in real.items()} | {
        r: probe.at(shape) for r, shape in params.items()
    }


def recognise_lstm(der: LayeredDerivation, data: LayerData, polys: dict) -> list[rc.ArrayStep]:
    """The forward (z, the gates, c, s, h) and backward steps of one LSTM layer, each proved."""
    p, n = data.position, data.layer.units
    batch = (lambda a: a) if der.forward.batched else (lambda a: a[None])
    polys = dict(polys)
    for role in ("i", "f", "g", "o", "c", "s"):
        grads = np.vectorize(grad_symbol, otypes=[object])(data.arrays[role])
        polys[f"D{role.upper()}"] = rc._atoms(batch(grads))
    for gate, _ in GATES:  # i, f, g, o as IG, FG, GG, OG (a lone I or O reads as 1 or 0)
        polys[f"{gate.upper()}G"] = polys[gate.upper()]
    definitions = dict(der.forward.definitions)
    target = lambda role: np.vectorize(definitions.get, otypes=[object])(data.arrays[role])  # noqa: E731
    prover, real = rc._Prover(), _real(der, data, polys)
    # the recurrence first: at T = 1 the plain affine form equals z too, but only the recurrent
    # one is what the time loops run (and what z is at every T)
    ops = dict.fromkeys((arrayops.recurrent_affine, *arrayops.FORWARD, *arrayops_lstm.FORWARD))
    forward = rc._candidates(tuple(ops), polys, {})
    steps = [rc._match("z", target("z"), forward, prover, p, rc._first_line, probe=real["Z"])]
    z = sympy.Symbol("Z", real=True)
    for k, (name, _) in enumerate(GATES):
        names = {z: data.arrays["z"][:, k * n : (k + 1) * n]}
        steps.append(rc._elementwise(der, data, target(name), names, p, name,
                                     f"{name} elementwise from Z[{k}n:{k + 1}n]"))  # fmt: skip
    steps.append(rc._match("c", target("c"), forward, prover, p, rc._first_line,
                           probe=real["C"]))  # fmt: skip
    c, o, s = sympy.symbols("C O S", real=True)
    steps.append(rc._elementwise(der, data, target("s"), {c: data.arrays["c"]}, p, "s",
                                 "s elementwise from C"))  # fmt: skip
    steps.append(rc._elementwise(der, data, target("a"), {o: data.arrays["o"], s: data.arrays["s"]},
                                 p, "a", "h elementwise from O, S"))  # fmt: skip
    backward = rc._candidates(arrayops.BACKWARD + arrayops_lstm.BACKWARD, polys, {})
    for quantity in BACKWARD_ORDER:
        derived = der.part(p, data.arrays[_ROLE_OF[quantity]])
        probe = real[_ROLE_OF[quantity].upper()]
        steps.append(rc._match(quantity, derived, backward, prover, p, rc._first_line,
                               probe=probe))  # fmt: skip
    steps.append(rc._match("dx", der.part(p, data.arrays["x"]), backward, prover, p,
                           rc._first_line, probe=real["X"]))  # fmt: skip
    for key in data.parameters:
        derived = der.gradients[key]
        steps.append(rc._match(f"d{key}", derived, backward, prover, p, rc._first_line,
                               batch=False, probe=real[key[: -len(str(p))]]))  # fmt: skip
    return steps
