"""Prove the index-form steps of an LSTM (:mod:`symbp.derive.layer_index_lstm`) on a concrete
instance of the layer, as :mod:`symbp.derive.layer_index_multi_proof` proves attention's.

The instance is the layer's own concrete equations (``Lstm.equations``) on a small input, with
two additions that only name what is there: each gate's pre-activation zi, zf, zg, zo is its
block of rows of z, and the output a that the layer above reads is a copy of the state h (so
that dC/dh is the gradient through the layer above, dC/da, plus the gradient through the next
step, as the index form says). A gap closes when it is exactly 0 with every gate's output and
tanh(c) written as their definitions (sigmoid(z) = 1/(1 + exp(-z))).

>>> from symbp.layers.lstm import Lstm
>>> inst = LstmInstance(Lstm(2), (3, 3))
>>> inst.arrays["zf"][0].tolist(), inst.defs[inst.arrays["a"][2, 1]]
([z1[0,2], z1[0,3]], h1[2,1])
"""

from __future__ import annotations

from symbp.derive.layer_index import IndexStep
from symbp.derive.layer_index_multi import MultiForm, Stated
from symbp.derive.layer_index_multi_proof import Instance, prove_form
from symbp.layers.base import Equations
from symbp.layers.lstm import GATES


class LstmInstance(Instance):
    """An LSTM instance: the gates' pre-activations by block, a the copy of h read above."""

    def __init__(self, layer, shape: tuple[int, ...]) -> None:
        super().__init__(layer, shape)
        n = layer.units
        for q, (name, _) in enumerate(GATES):
            self.arrays[f"z{name}"] = self.arrays["z"][:, q * n : (q + 1) * n]
        eq = Equations()
        self.arrays["h"] = self.arrays["a"]
        self.arrays["a"] = eq.define(1, "a", self.arrays["h"])
        for u, value in eq.definitions:
            self.defs[u] = value
            self.readers.setdefault(value, []).append(u)
        # ``closes`` writes these entries as their definitions (as it does a softmax's weights)
        for role in (*(name for name, _ in GATES), "s"):
            self.softmax.update({u: self.defs[u] for u in self.arrays[role].flat})


def prove_lstm(layer, stated: Stated, steps: list[IndexStep], shape) -> MultiForm:
    """The forward equations and every step proved on ``layer`` on input ``shape``;
    StepNotProved at the first that fails."""
    return prove_form(layer, stated, steps, shape, LstmInstance)
