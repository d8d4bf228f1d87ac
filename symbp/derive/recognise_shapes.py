"""The shape check of the recogniser (:mod:`symbp.derive.recognise`): a candidate operation
proved equal to a derived quantity on the separated instance is accepted only if, run on
operands of the *real* network's shapes, its result has the quantity's real shape.

The separated instance cuts every size (an lstm's input width d to 2, its units n to 2), so two
operands of different real shapes can have one shape there: on a 1-step lstm with d = 3 and
n = 2 the all-zero dC/dh and dC/df are matched, on the instance, by ``shifted_matmul(DZ, Wx)``
(zero at T = 1), whose result is T x d at the real size, not T x n. Each candidate is run once
more on zero arrays of the real shapes (the instance's batch axis kept) and must give the
quantity's real shape. An operand whose real shape is not known here (a normalisation's
intermediates) leaves the candidate unchecked, as before.

>>> import numpy as np
>>> from symbp.derive import arrayops
>>> probe = Probe({"DZ": np.zeros((1, 1, 8)), "Wx": np.zeros((8, 3)), "Wh": np.zeros((8, 2))},
...               {}, (1, 1, 2))
>>> fits([(arrayops.shifted_matmul, (("array", "DZ"), ("array", "Wx")), None)], probe)
False
>>> fits([(arrayops.shifted_matmul, (("array", "DZ"), ("array", "Wh")), None)], probe)
True
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, replace

import numpy as np

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Probe:
    """Zero operands of the real shapes (by role), the layer's static values, and the real
    shape the quantity being matched must have."""

    arrays: dict[str, np.ndarray]
    static: dict[str, int]
    shape: Shape

    def at(self, shape: Shape) -> Probe:
        """The same operands, for a quantity of real shape ``shape``."""
        return replace(self, shape=shape)


def probe_operands(
    ops: dict[str, np.ndarray], real: dict[str, Shape], parameters: set[str]
) -> dict[str, np.ndarray]:
    """Zero arrays of each role's real shape; batch roles (all but the parameters) keep the
    instance operand's leading (batch) axis."""
    out = {}
    for role, shape in real.items():
        if role in ops:
            lead = () if role in parameters else ops[role].shape[:1]
            out[role] = np.zeros((*lead, *shape))
    return out


def _numeric_mask(blocks: np.ndarray) -> np.ndarray:
    return np.zeros(blocks.shape)  # a pooling mask's shape is all the probe needs


def _result_shape(function, binding, probe: Probe) -> Shape | None:
    args = [probe.arrays[r] if kind == "array" else probe.static[r] for kind, r in binding]
    kwargs = {"mask": _numeric_mask} if "mask" in inspect.signature(function).parameters else {}
    try:
        with np.errstate(all="ignore"):
            value = np.asarray(function(*args, **kwargs))
    except (ValueError, IndexError, TypeError):
        return None
    return value.shape


def fits(combo, probe: Probe | None) -> bool:
    """Whether every operation of ``combo`` ((function, binding, value) triples, summed) gives
    the real shape at the real sizes; True where some operand's real shape is unknown."""
    if probe is None:
        return True
    for _, binding, _ in combo:
        if any(kind == "array" and r not in probe.arrays for kind, r in binding):
            return True
        if any(kind == "static" and r not in probe.static for kind, r in binding):
            return True
    return all(_result_shape(f, b, probe) == probe.shape for f, b, _ in combo)


__all__ = ["Probe", "fits", "probe_operands"]
