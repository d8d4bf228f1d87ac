"""Entries of a named matrix read as what they stand for: the output Jacobian's ``J^{L}_{ij}``
is ``\\frac{\\partial a^{L}_{i}}{\\partial z^{L}_{j}}`` (numerator layout, the layout of
symbp's ``\\delta^{L} = (J^{L})^{T} \\nabla_{a^{L}} C``), so ``\\sum_i J^{L}_{ij}
\\frac{\\partial C}{\\partial a^{L}_{i}}`` is a sum of numbers, not of matrices.

>>> jacobian_entry(("i", "L"), (("i", "i"), ("i", "j")), 0)[0]
'd'
"""

from __future__ import annotations

from symbp.check.tokens import Unreadable


def jacobian_entry(layer: object, units: tuple, pos: int) -> tuple:
    """The derivative node of ``J^{layer}_{units}`` (Unreadable unless two indices)."""
    if len(units) != 2:
        raise Unreadable("an entry of the Jacobian J^{L} takes two indices, J^{L}_{ij}", pos)
    act = ("q", "act", "a", layer, units[:1], None)
    pre = ("q", "pre", "z", layer, units[1:], None)
    return ("d", act, pre)


__all__ = ["jacobian_entry"]
