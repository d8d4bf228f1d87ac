"""The generic derivation's data: its steps in index form and the results by name.

>>> step = GenericStep("grad_b", sympy.Symbol("x"), sympy.Integer(1), Rule.SIMPLIFY)
>>> str(step)
'x = 1    (simplify)'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from symbp.activations import Activation
from symbp.derive import matrix as mx
from symbp.derive.steps import Rule
from symbp.losses import Loss


@dataclass(frozen=True)
class Assumption:
    """An assumption a step relies on, in words and equations (matrix nodes), so that each
    reader writes its equations in its own notation (the printers in LaTeX, ``str`` in text).

    >>> str(Assumption((mx.Equation(mx.Vec("one"), mx.Scalar("1")), " here")))
    '1 = 1 here'
    """

    parts: tuple[str | mx.Node, ...]

    def __str__(self) -> str:
        return "".join(p if isinstance(p, str) else str(p) for p in self.parts)


@dataclass(frozen=True)
class GenericStep:
    """One step in index form (SymPy ``lhs = rhs``), the rule, its source and assumptions;
    ``matrix`` is the matrix equation the step's result was recognised as, if any."""

    quantity: str
    lhs: sympy.Expr
    rhs: sympy.Expr
    rule: Rule
    source: str = ""
    assumptions: tuple[str | Assumption, ...] = ()
    matrix: mx.Equation | None = None
    where: tuple[tuple[sympy.Symbol, int], ...] = ()
    """(index, lowest value): the step holds only there (Ng's ``j \\geq 1``, off the bias
    column); it is proved, and printed, for those values only."""
    verified_by: str = ""
    """How ``lhs = rhs`` was proved when the step was made (:mod:`symbp.derive.verify`)."""

    def __str__(self) -> str:
        why = self.rule.value + (f" [{self.source}]" if self.source else "")
        if self.assumptions:
            why += " assuming " + "; ".join(map(str, self.assumptions))
        where = "".join(f" for {index} >= {lowest}" for index, lowest in self.where)
        shown = f"{self.lhs} = {self.rhs}{where}    ({why})"
        return shown + (f"\n    matrix form: {self.matrix}" if self.matrix is not None else "")


@dataclass
class GenericDerivation:
    """The generic derivation as data.

    ``equations`` holds matrix-level results by name (``forward_z``, ``forward_a``,
    ``delta_L``, ``delta_L_loss``, ``delta_recursion``, ``grad_W``, ``grad_b`` (explicit
    biases), ``grad_x``, ``accumulate``/``mean_grad``/``mean_grad_bias`` (with examples));
    ``entries`` the same results entry by entry (``delta_def``, ``delta_L``,
    ``delta_recursion``, ``grad_W``, ``grad_b``, ``accumulate``, ``mean_grad``...).
    """

    hidden: str
    output: str
    loss: str
    bias: str
    examples: bool
    l2: bool
    steps: list[GenericStep] = field(default_factory=list)
    equations: dict[str, mx.Equation] = field(default_factory=dict)
    entries: dict[str, mx.Equation] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    output_simplified: sympy.Expr | None = None
    spec: tuple[Activation, Activation, Loss] | None = field(default=None, repr=False)
    """The hidden and output activations and the loss themselves (custom ones have no name in
    the registries)."""
    layers: tuple[Activation, ...] = field(default=(), repr=False)
    """Made for a concrete network whose hidden layers differ: each hidden layer's own
    activation (layers 1 to L-1, input layer 0), so a writeup names each by its own."""
    shapes: dict[str, tuple[sympy.Expr, sympy.Expr | None]] = field(default_factory=dict)
    """(rows, columns) of each layer quantity as the layers whose widths they are (None: 1);
    with Ng's bias unit, W^l has one column more than the width of layer l-1."""

    def steps_for(self, quantity: str) -> list[GenericStep]:
        return [s for s in self.steps if s.quantity == quantity]

    def naive_deltas(self) -> list[tuple[mx.Node, mx.Chain | None]]:
        """delta^1, delta^2, (vdots), delta^{L-1}, delta^L each written out in full, as
        Wikipedia's "naively computing forwards" list (:func:`symbp.derive.chains.naive_deltas`).
        """
        from symbp.derive.chains import naive_deltas

        return naive_deltas(self)

    def __str__(self) -> str:
        head = (
            f"generic derivation: hidden {self.hidden}, output {self.output}, loss {self.loss}, "
            f"bias {self.bias}" + (", m examples" if self.examples else "")
        )
        head += ", L2" if self.l2 else ""
        lines = [head, ""] + [str(s) for s in self.steps] + ["", "results (matrix form):"]
        lines += [f"  {name}: {eq}" for name, eq in self.equations.items()]
        if self.assumptions:
            lines += ["assumptions:"] + [f"  - {x}" for x in self.assumptions]
        return "\n".join(lines)


C = sympy.Symbol("C")


def partial(num: sympy.Expr, den: sympy.Expr) -> sympy.Derivative:
    return sympy.Derivative(num, den, evaluate=False)
