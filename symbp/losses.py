"""Loss functions of one example: one registry entry each.

A loss is a sum over output units of a per-unit term of the activation a_j and the target y_j,
plus what the algebra may assume about the targets (categorical cross-entropy: they sum to 1)
and the interval the outputs must lie in for the loss to be defined.

>>> a, y = sympy.symbols("a1 y1")
>>> get_loss("bce")([a], [y])
-y1*log(a1) - (1 - y1)*log(1 - a1)
>>> get_loss("mse").name
'squared_error'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

from symbp.activations import Activation
from symbp.errors import SpecError
from symbp.registry import Registry
from symbp.safe_expr import check_expression, check_name, parse_expression

Expr = sympy.Expr


@dataclass(frozen=True)
class Assumption:
    """A fact about the targets the derivation may use: ``sum(targets) == total``."""

    name: str
    latex: str
    total: int = 1

    def relation(self, targets: Sequence[Expr]) -> tuple[Expr, Expr]:
        return sympy.Add(*targets), sympy.Integer(self.total)


TARGETS_SUM_TO_ONE = Assumption(
    name="the targets form a probability distribution: sum_j y_j = 1 (one-hot labels do)",
    latex=r"\sum_j y_j = 1",
)


@dataclass(frozen=True)
class Loss:
    """C(a, y) = sum_j term(a_j, y_j) for one example."""

    name: str
    latex: str
    term: Callable[[Expr, Expr], Expr]
    needs_range: tuple[Expr, Expr] | None = None
    assumptions: tuple[Assumption, ...] = ()

    def __call__(self, outputs: Sequence[Expr], targets: Sequence[Expr]) -> Expr:
        return sympy.Add(*[self.term(a, y) for a, y in zip(outputs, targets, strict=True)])

    def fits(self, activation: Activation) -> bool:
        """Do the activation's outputs stay inside the interval the loss needs?"""
        if self.needs_range is None:
            return True
        lo, hi = self.needs_range
        have = activation.output_range
        return have is not None and have[0] >= lo and have[1] <= hi

    def check_fits(self, activation: Activation) -> None:
        """Raise SpecError if the output activation can leave the interval the loss needs."""
        if not self.fits(activation):
            lo, hi = self.needs_range
            have = activation.output_range
            shown = "unknown" if have is None else f"({have[0]}, {have[1]})"
            fitting = ", ".join(_fitting_activations(self))
            raise SpecError(
                f"loss {self.name!r} needs outputs in ({lo}, {hi}) but {activation.name!r} "
                f"outputs lie in {shown}; use an output activation such as: {fitting}"
            )


def _fitting_activations(loss: Loss) -> list[str]:
    from symbp.activations import ACTIVATIONS, get_activation

    return [name for name in ACTIVATIONS if loss.fits(get_activation(name))]


def fitting_pairs() -> list[tuple[str, str]]:
    """Every (output activation, loss) pair of the registries that fits: what tests sweep.

    >>> ("sigmoid", "binary_cross_entropy") in fitting_pairs()
    True
    >>> ("tanh", "categorical_cross_entropy") in fitting_pairs()
    False
    """
    return [(act, name) for name in LOSSES for act in _fitting_activations(LOSSES.get(name))]


LOSSES: Registry[Loss] = Registry("loss")
LOSSES.register(
    "squared_error",
    Loss(
        name="squared_error",
        latex=r"\frac{1}{2}\sum_j (a_j - y_j)^2",
        term=lambda a, y: sympy.Rational(1, 2) * (a - y) ** 2,
    ),
    aliases=("mse", "quadratic"),
)
LOSSES.register(
    "binary_cross_entropy",
    Loss(
        name="binary_cross_entropy",
        latex=r"-\sum_j \left[y_j \log a_j + (1 - y_j)\log(1 - a_j)\right]",
        term=lambda a, y: -y * sympy.log(a) - (1 - y) * sympy.log(1 - a),
        needs_range=(sympy.Integer(0), sympy.Integer(1)),
    ),
    aliases=("bce",),
)
LOSSES.register(
    "categorical_cross_entropy",
    Loss(
        name="categorical_cross_entropy",
        latex=r"-\sum_j y_j \log a_j",
        term=lambda a, y: -y * sympy.log(a),
        needs_range=(sympy.Integer(0), sympy.oo),
        assumptions=(TARGETS_SUM_TO_ONE,),
    ),
    aliases=("cross-entropy", "cce"),
)


def get_loss(spec: str | Loss) -> Loss:
    """A loss by name or alias (``mse``, ``bce``, ``cross-entropy``)."""
    return spec if isinstance(spec, Loss) else LOSSES.get(spec)


def custom_loss(
    expression: Expr | str, output: sympy.Symbol, target: sympy.Symbol, name: str = "custom"
) -> Loss:
    """A loss from a SymPy expression of one output ``a`` and its target ``y``, summed over units.

    >>> a, y = sympy.symbols("a y")
    >>> loss = custom_loss((a - y)**4, a, y)
    >>> loss([sympy.Symbol("a1")], [sympy.Symbol("y1")])
    (a1 - y1)**4

    A string is read by :func:`symbp.safe_expr.parse_expression` (never evaluated); ``name``
    and the symbols' names must be identifier-safe, since they reach generated code:

    >>> custom_loss("(a - y)**2", a, y, name="sq")([sympy.Symbol("a1")], [sympy.Symbol("y1")])
    (a1 - y1)**2
    """
    if not isinstance(output, sympy.Symbol) or not isinstance(target, sympy.Symbol):
        raise SpecError("a custom loss needs SymPy Symbols for its output and target")
    check_name(name, "a custom loss's name")
    if isinstance(expression, str):
        parsed = parse_expression(expression, [output.name, target.name])
        expression = parsed.xreplace(
            {sympy.Symbol(output.name): output, sympy.Symbol(target.name): target}
        )
    check_expression(expression, "custom loss")
    extra = sorted(str(s) for s in expression.free_symbols - {output, target})
    if extra:
        raise SpecError(
            f"custom loss may only use {output} and {target}; also found: {', '.join(extra)}"
        )
    return Loss(
        name=name,
        latex=sympy.latex(expression),
        term=lambda a, y: expression.xreplace({output: a, target: y}),
    )
