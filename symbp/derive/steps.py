"""The data a derivation is made of: ordered steps, each naming its rule and its source.

Vocabulary (used everywhere in symbp): ``z`` pre-activation, ``a`` activation, ``delta`` =
dC/dz, ``grad`` = dC/dparameter; the layer index is the superscript (``z^l``), the unit index
the subscript (``z^l_j``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import sympy


class Rule(str, Enum):
    """Why a step holds. The printers name each step by its rule's value."""

    DEFINITION = "definition"
    CHAIN_RULE = "chain rule"
    LOCAL_DERIVATIVE = "differentiate the forward equation"
    LOSS_DERIVATIVE = "differentiate the loss"
    ACTIVATION_DERIVATIVE = "derivative of the activation"
    OUTPUT_FORM = "activation derivative written with the activation's output"
    SUBSTITUTE = "substitute the quantities derived above"
    SIMPLIFY = "simplify"
    ASSUMPTION = "use an assumption about the targets"
    MEAN = "derivative of the mean over m examples"
    L2 = "derivative of the L2 term"
    BIAS_COLUMN = "the bias column (column 0), which the L2 term leaves out"
    OTHER_COLUMNS = "every other column"


@dataclass(frozen=True)
class Step:
    """``lhs = rhs`` because of ``rule``, applied to the forward equation ``source``."""

    lhs: sympy.Expr
    rhs: sympy.Expr
    rule: Rule
    source: str = ""
    assumptions: tuple[str, ...] = ()
    verified_by: str = ""
    """How ``lhs = rhs`` was proved when the step was made (:mod:`symbp.derive.verify`)."""

    def __str__(self) -> str:
        why = self.rule.value + (f" [{self.source}]" if self.source else "")
        if self.assumptions:
            why += " assuming " + "; ".join(self.assumptions)
        return f"{self.lhs} = {self.rhs}    ({why})"


def d(numerator: sympy.Expr, denominator: sympy.Expr) -> sympy.Derivative:
    """An unevaluated partial derivative, the left side of a derivation step."""
    return sympy.Derivative(numerator, denominator, evaluate=False)
