"""LaTeX of a concrete network's quantities, steps and gradients, in one of the three notations.

Every symp symbol (``w2_1_3``, ``delta1_2``, ...) is printed by its notation's name from
:mod:`symbp.notation`; partial derivatives print as ``\\frac{\\partial C}{\\partial z}``;
ReLU's derivative ``Heaviside(z, 0)`` prints as the Iverson bracket ``[z > 0]`` (0 at the kink,
as the activation's convention says), never as SymPy's ``\\theta(z, 0)``. Ng calls the cost J.

>>> import symbp
>>> der = symbp.derive(symbp.network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
>>> to_latex(der.deltas[(1, 1)], "nielsen")
'w^{3}_{11} \\\\delta^{3}_{1} a^{2}_{1} \\\\left(1 - a^{2}_{1}\\\\right)'
>>> step_latex(der.steps_for("w2_1_2")[-1], "ng")
'\\\\frac{\\\\partial J}{\\\\partial \\\\Theta^{(2)}_{12}} = a^{(2)}_{2} \\\\delta^{(3)}_{1}'
"""

from __future__ import annotations

import sympy
from sympy.printing.latex import LatexPrinter

from symbp import notation
from symbp.derive.steps import Step
from symbp.errors import SpecError
from symbp.latex.factor_order import TextbookMulMixin

COST = sympy.Symbol("C")
MEAN_COST = sympy.Symbol("J")


def cost_name(notation_name: str, mean: bool = False) -> str:
    """The name a notation gives the cost of one example: Ng writes J, the others C. Where a
    mean J over m examples exists too (``mean``), Ng's one-example cost is J^{(t)}.

    >>> cost_name("ng"), cost_name("ng", mean=True), cost_name("nielsen", mean=True)
    ('J', 'J^{(t)}', 'C')
    """
    return notation.get_notation(notation_name, concrete=True).cost_name("example", mean)


def example_cost(notation_name: str) -> str:
    """The cost of example t inside a mean over examples: C^{(t)} (Ng: J^{(t)})."""
    return notation.get_notation(notation_name, concrete=True).cost_name("term")


_ATOM_KIND = {
    "input": "activation",
    "act": "activation",
    "target": "target",
    "weight": "weight",
    "bias": "weight",
    "pre": "pre",
    "delta": "delta",
}


class ConcretePrinter(TextbookMulMixin, LatexPrinter):
    """SymPy's LaTeX printer with partial derivatives, Iverson brackets, notation names and
    products in a textbook's order (:mod:`symbp.latex.factor_order`)."""

    def __init__(self, symbol_names: dict[sympy.Symbol, str]) -> None:
        super().__init__({"symbol_names": symbol_names})

    def atom_kind(self, atom: sympy.Basic) -> str | None:
        if atom in (COST, MEAN_COST):
            return "cost"
        if not isinstance(atom, sympy.Symbol):
            return None
        try:
            kind, _ = notation.parse_name(atom.name)
        except SpecError:
            return None
        return _ATOM_KIND[kind]

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


def _names(expr: sympy.Basic, notation_name: str, mean: bool) -> dict[sympy.Symbol, str]:
    names: dict[sympy.Symbol, str] = {}
    for s in sorted(expr.atoms(sympy.Symbol), key=sympy.default_sort_key):
        if not isinstance(s, sympy.Symbol):
            continue
        if s in (COST, MEAN_COST):
            names[s] = cost_name(notation_name, mean) if s == COST else "J"
            continue
        try:
            kind, idx = notation.parse_name(s.name)
        except SpecError:
            continue
        names[s] = notation.latex_name(kind, idx, notation_name)
    return names


def to_latex(expr: sympy.Basic, notation_name: str, mean: bool = False) -> str:
    """LaTeX of an expression in symbp's symbols, written in a notation (``mean``: the cost
    is a mean over examples, which changes the name of the one-example cost)."""
    notation.check_notation(notation_name)
    return ConcretePrinter(_names(expr, notation_name, mean)).doprint(expr)


def _mean_step_rhs(step: Step, notation_name: str) -> str:
    """The MEAN step's right side as the sources write it: the mean of the per-example
    derivatives first, then the L2 term (lambda/m times the weight)."""
    (parameter,) = [s for s in step.lhs.atoms(sympy.Symbol) if s != MEAN_COST]
    mean_terms = [t for t in sympy.Add.make_args(step.rhs) if t.has(sympy.Sum)]
    rest = sympy.Add(*[t for t in sympy.Add.make_args(step.rhs) if not t.has(sympy.Sum)])
    cost = example_cost(notation_name)
    p = to_latex(parameter, notation_name)
    out = f"\\frac{{1}}{{m}} \\sum_{{t=1}}^{{m}} \\frac{{\\partial {cost}}}{{\\partial {p}}}"
    if not mean_terms:
        return to_latex(step.rhs, notation_name, mean=True)
    if rest != 0:
        out += " + " + to_latex(rest, notation_name, mean=True)
    return out


def step_latex(step: Step, notation_name: str, mean: bool = False) -> str:
    """``lhs = rhs`` of one derivation step, in a notation."""
    lhs = to_latex(step.lhs, notation_name, mean)
    if step.rhs.has(sympy.Sum):
        return f"{lhs} = {_mean_step_rhs(step, notation_name)}"
    return f"{lhs} = {to_latex(step.rhs, notation_name, mean)}"


def steps_block(
    steps: list[Step], notation_name: str, mean: bool = False
) -> list[tuple[str, str, Step]]:
    """(left side, ``= right side``, step) rows of an aligned block; a repeated left side is
    left blank so that the block reads as one chain of equalities."""
    rows = []
    previous = None
    for step in steps:
        lhs = to_latex(step.lhs, notation_name, mean)
        rhs = step_latex(step, notation_name, mean)[len(lhs) :].lstrip()
        rows.append(("" if lhs == previous else lhs, rhs, step))
        previous = lhs
    return rows
