"""LaTeX of a concrete network's quantities, steps and gradients, in one of the three notations.

Every symp symbol (``w2_1_3``, ``delta1_2``, ...) is printed by its notation's name from
:mod:`symbp.notation`; partial derivatives print as ``\\frac{\\partial C}{\\partial z}``;
ReLU's derivative ``Heaviside(z, 0)`` prints as the Iverson bracket ``[z > 0]`` (0 at the kink,
as the activation's convention says), never as SymPy's ``\\theta(z, 0)``. Ng calls the cost J.

>>> import symbp
>>> der = symbp.derive(symbp.network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
>>> to_latex(der.deltas[(1, 1)], "nielsen")
'a^{2}_{1} \\\\delta^{3}_{1} w^{3}_{11} \\\\left(1 - a^{2}_{1}\\\\right)'
>>> step_latex(der.steps_for("w2_1_2")[-1], "ng")
'\\\\frac{\\\\partial J}{\\\\partial \\\\Theta^{(2)}_{12}} = a^{(2)}_{2} \\\\delta^{(3)}_{1}'
"""

from __future__ import annotations

import sympy
from sympy.printing.latex import LatexPrinter

from symbp import notation
from symbp.derive.steps import Step
from symbp.errors import SpecError

COST = sympy.Symbol("C")
MEAN_COST = sympy.Symbol("J")
_COST_NAME = {"wikipedia": "C", "ng": "J", "nielsen": "C"}


def cost_name(notation_name: str) -> str:
    """The letter a notation gives the cost of one example: Ng writes J, the others C."""
    return _COST_NAME[notation.check_notation(notation_name)]


class ConcretePrinter(LatexPrinter):
    """SymPy's LaTeX printer with partial derivatives, Iverson brackets and notation names."""

    def __init__(self, notation_name: str, symbol_names: dict[sympy.Symbol, str]) -> None:
        super().__init__({"symbol_names": symbol_names})
        self.notation = notation_name

    def _print_Derivative(self, expr: sympy.Derivative) -> str:
        (variable, count), *rest = expr.variable_count
        if rest or count != 1:
            return super()._print_Derivative(expr)
        top, bottom = self._print(expr.expr), self._print(variable)
        return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"

    def _print_Heaviside(self, expr: sympy.Heaviside, exp: str | None = None) -> str:
        # Heaviside(z, 0) is ReLU's derivative with the convention relu'(0) = 0: [z > 0].
        text = f"\\left[{self._print(expr.args[0])} > 0\\right]"
        return f"{text}^{{{exp}}}" if exp else text


def _names(expr: sympy.Basic, notation_name: str) -> dict[sympy.Symbol, str]:
    names: dict[sympy.Symbol, str] = {}
    for s in sorted(expr.atoms(sympy.Symbol), key=sympy.default_sort_key):
        if not isinstance(s, sympy.Symbol):
            continue
        if s in (COST, MEAN_COST):
            names[s] = cost_name(notation_name) if s == COST else "J"
            continue
        try:
            kind, idx = notation.parse_name(s.name)
        except SpecError:
            continue
        names[s] = notation.latex_name(kind, idx, notation_name)
    return names


def to_latex(expr: sympy.Basic, notation_name: str) -> str:
    """LaTeX of an expression in symbp's symbols, written in a notation."""
    notation.check_notation(notation_name)
    return ConcretePrinter(notation_name, _names(expr, notation_name)).doprint(expr)


def _mean_step_rhs(step: Step, notation_name: str) -> str:
    """The MEAN step's right side: (1/m) sum_t dC^(t)/dp (+ lambda/m p), printed term by term."""
    (parameter,) = [s for s in step.lhs.atoms(sympy.Symbol) if s != MEAN_COST]
    g = [f for f in step.rhs.atoms(sympy.Function) if f.func.__name__ == "g"]
    cost = cost_name(notation_name)
    per_example = (
        f"\\frac{{\\partial {cost}^{{(t)}}}}{{\\partial {to_latex(parameter, notation_name)}}}"
    )
    replaced = step.rhs.xreplace({g[0]: sympy.Symbol("_per_example")}) if g else step.rhs
    names = _names(replaced, notation_name)
    names[sympy.Symbol("_per_example")] = per_example
    return ConcretePrinter(notation_name, names).doprint(replaced)


def step_latex(step: Step, notation_name: str) -> str:
    """``lhs = rhs`` of one derivation step, in a notation."""
    lhs = to_latex(step.lhs, notation_name)
    if any(f.func.__name__ == "g" for f in step.rhs.atoms(sympy.Function)):
        return f"{lhs} = {_mean_step_rhs(step, notation_name)}"
    return f"{lhs} = {to_latex(step.rhs, notation_name)}"


def steps_block(steps: list[Step], notation_name: str) -> list[tuple[str, str, Step]]:
    """(left side, ``= right side``, step) rows of an aligned block; a repeated left side is
    left blank so that the block reads as one chain of equalities."""
    rows = []
    previous = None
    for step in steps:
        lhs = to_latex(step.lhs, notation_name)
        rhs = step_latex(step, notation_name)[len(lhs) :].lstrip()
        rows.append(("" if lhs == previous else lhs, rhs, step))
        previous = lhs
    return rows
