"""The generic derivation's steps (index form: ``w[l, P, Q]``, ``Sum``, ``KroneckerDelta``) in a
notation, for the writeups of a network of any depth.

Each indexed quantity is printed by :class:`symbp.latex.printer.GenericPrinter` as an entry
(``a^{l-1}_k``); the free indices P, Q become the notation's row and column letters (j, k;
Ng's i, j), summation indices take the next free letters, a Kronecker delta prints as the
Iverson bracket ``[j = i]`` (delta is the error here), and the steps of a result are
renumbered as the printer renumbers the result, so that its left side reads layer l.

>>> from symbp.derive.generic import derive_generic
>>> rows = step_rows(derive_generic(), "grad_W", "nielsen")
>>> rows[-2][:2], rows[-1][:2]
(('', '= a^{l-1}_{k} \\\\delta^{l}_{j}'), ('\\\\nabla_{w^{l}}C', '= \\\\delta^{l}(a^{l-1})^{T}'))
"""

from __future__ import annotations

from dataclasses import replace

import sympy
from sympy.printing.latex import LatexPrinter

from symbp.derive import indexform as ix
from symbp.derive import matrix as mx
from symbp.derive.generic import GenericDerivation
from symbp.derive.generic_data import Assumption
from symbp.derive.matrix import COL, ROW, SUM
from symbp.latex.factor_order import TextbookMulMixin
from symbp.latex.printer import GenericPrinter, lhs_layer_shift, print_node, style_for
from symbp.notation import get_notation

_KIND = {"z": "z", "a": "a", "delta": "delta", "b": "b", "y": "y", "x": "x"}
_SPARE = tuple(sympy.symbols("r s t", integer=True))
_ATOM_KIND = {
    "w": "weight",
    "b": "weight",
    "a": "activation",
    "x": "activation",
    "z": "pre",
    "delta": "delta",
    "y": "target",
    "dC": "cost",
    "J": "fprime",
}


class IndexPrinter(TextbookMulMixin, LatexPrinter):
    """SymPy's printer for the index form, with every quantity named by a GenericPrinter and
    products in a textbook's order (:mod:`symbp.latex.factor_order`)."""

    def __init__(self, entries: GenericPrinter, cost: str) -> None:
        super().__init__({"symbol_names": {sympy.Symbol("C"): cost}})
        self.entries = entries
        self.cost = cost

    def atom_kind(self, atom: sympy.Basic) -> str | None:
        if atom == sympy.Symbol("C"):
            return "cost"
        return _ATOM_KIND.get(atom.base.name) if isinstance(atom, sympy.Indexed) else None

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        if expr in self.entries.names:  # an index: the notation's letter (Ng: i, j for j, k)
            return self.entries.names[expr]
        return super()._print_Symbol(expr, style)

    def _entry(self, kind: str, layer: sympy.Expr, units: tuple) -> str:
        return self.entries.doprint(mx.Elem(kind, layer, units))

    def _print_Indexed(self, expr: sympy.Indexed) -> str:
        name, args = expr.base.name, expr.indices
        if name == "w":
            return self._entry("W", args[0], args[1:])
        if name in ("y", "x"):
            return self._entry(name, None, args)
        if name == "n":  # a layer's width: n_l (Ng and UFLDL: s_l)
            letter = self.entries.style.source.width_letter
            return f"{letter}_{{{self.entries.label('a', args[0])}}}"
        if name == "dC":
            return f"\\frac{{\\partial {self.cost}}}{{\\partial {self._entry('a', *_split(args))}}}"
        if name == "J":
            layer, i, q = args
            num, den = self._entry("a", layer, (i,)), self._entry("z", layer, (q,))
            return f"\\frac{{\\partial {num}}}{{\\partial {den}}}"
        return self._entry(_KIND.get(name, name), args[0], args[1:])

    def _print_Pow(self, expr: sympy.Pow) -> str:
        # NOTE: an entry already carries a superscript (a_j^{l}); squaring it needs brackets,
        # or TeX stops at "Double superscript"
        if isinstance(expr.base, sympy.Indexed) and expr.exp.is_Integer and expr.exp > 0:
            return f"\\left({self._print(expr.base)}\\right)^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)

    def _print_fprime(self, expr: sympy.Function) -> str:
        layer, z = expr.args
        return self.entries.doprint(mx.FPrime(layer, z.indices[1]))

    def _print_f(self, expr: sympy.Function) -> str:
        layer, z = expr.args
        name = self.entries.doprint(mx.Fn("f", layer))
        return f"{name}\\left({self._print(z)}\\right)"

    def _print_KroneckerDelta(self, expr: sympy.KroneckerDelta, exp: str | None = None) -> str:
        text = f"\\left[{self._print(expr.args[0])} = {self._print(expr.args[1])}\\right]"
        return f"{text}^{{{exp}}}" if exp else text

    def _print_Derivative(self, expr: sympy.Derivative) -> str:
        (variable, count), *rest = expr.variable_count
        if rest or count != 1:
            return super()._print_Derivative(expr)
        return f"\\frac{{\\partial {self._print(expr.expr)}}}{{\\partial {self._print(variable)}}}"


def _split(args: tuple) -> tuple[sympy.Expr, tuple]:
    return args[0], tuple(args[1:])


def _renaming(steps: list) -> dict[sympy.Symbol, sympy.Symbol]:
    """P, Q to the row and column index (Q alone: the row index), the summation indices to
    the remaining index symbols; the printer names each index as its notation does."""
    symbols: set[sympy.Symbol] = set()
    for s in steps:
        symbols |= {v for e in (s.lhs, s.rhs) for v in e.atoms(sympy.Symbol)}
    if ix.P in symbols:
        mapping = {ix.P: ROW, ix.Q: COL}
    else:
        mapping = {ix.Q: ROW}
    dummies = sorted((v for v in symbols if v in (ROW, COL, SUM)), key=lambda v: v.name)
    pool = [v for v in (SUM, COL, ROW, *_SPARE) if v not in mapping.values()]
    for v, target in zip(dummies, pool, strict=False):
        mapping[v] = target
    return mapping


def _lhs_entry(expr: sympy.Expr) -> mx.Elem | None:
    target = expr.variables[0] if isinstance(expr, sympy.Derivative) else expr
    if isinstance(target, sympy.Indexed):
        name = "W" if target.base.name == "w" else target.base.name
        return mx.Elem(name, target.indices[0], tuple(target.indices[1:]))
    return None


def activation_names(gder: GenericDerivation) -> dict[str, tuple[str, str]]:
    """The Style option that names each layer's activation by the registry's LaTeX name."""
    if gder.spec is None:
        return {}
    return {"activations": (gder.spec[0].latex, gder.spec[1].latex)}


def printer_names(gder: GenericDerivation, notation_name: str) -> dict[str, object]:
    """The Style options of a derivation's writeup: each layer's activation by its own name
    and, where the derivation has a mean over m examples, the cost of the one example the
    steps differentiate by the notation's name for it (Ng's J is that mean: J^{(t)}).

    >>> from symbp.derive.generic import derive_generic
    >>> gder = derive_generic(examples=True)
    >>> printer_names(gder, "ng")["cost"], "cost" in printer_names(gder, "nielsen")
    ('J^{(t)}', False)
    """
    names: dict[str, object] = dict(activation_names(gder))
    source = get_notation(notation_name)
    example = source.cost_name("example", bool(gder.examples))
    if example != source.cost:  # the printer keeps its own name else (UFLDL's J(W,b;x,y))
        names["cost"] = example
    return names


def _assumption_tex(
    assumption: str | Assumption, entries: GenericPrinter, shift: dict, losses: dict[str, str]
) -> str:
    """An assumption as a step's reason says it: words, and its equations as math
    (``$a^{(l)}_0 = 1$``) in the document's notation, never ASCII."""
    if isinstance(assumption, Assumption):
        return "".join(
            part if isinstance(part, str) else f"${entries.doprint(mx.substitute(part, shift))}$"
            for part in assumption.parts
        )
    if assumption in losses:  # a loss's assumption: its name and its own LaTeX
        return f"{assumption.split(':')[0]}: ${losses[assumption]}$"
    return assumption


def step_rows(
    gder: GenericDerivation, quantity: str, notation_name: str, hadamard: str = "circ"
) -> list[tuple[str, str, str]]:
    """(left, ``= right``, rule) rows for one result's steps; the last row is its matrix form."""
    steps = gder.steps_for(quantity)
    if not steps:
        return []
    source = get_notation(notation_name)
    wiki = source.hadamard_style(hadamard)
    names = printer_names(gder, notation_name)
    style = replace(style_for(source, wiki), **names)
    head = _lhs_entry(steps[0].lhs)
    shift = lhs_layer_shift(head, style) if head is not None else {}
    cost = source.cost_name("example", bool(gder.examples))
    printer = IndexPrinter(GenericPrinter(style), cost)
    renaming = _renaming(steps)
    losses = {x.name: x.latex for x in gder.spec[2].assumptions} if gder.spec else {}
    rows, previous = [], None
    for s in steps:
        lhs = printer.doprint(s.lhs.xreplace(renaming).subs(shift))
        rhs = printer.doprint(s.rhs.xreplace(renaming).subs(shift))
        assumed = "; ".join(
            _assumption_tex(x, printer.entries, shift, losses) for x in s.assumptions
        )
        why = s.rule.value + (", assuming " + assumed if assumed else "")
        for index, lowest in s.where:  # where the step holds, as a qualifier the checker reads
            rhs += f" \\quad ({printer.doprint(index.xreplace(renaming))} \\geq {lowest})"
        rows.append(("" if lhs == previous else lhs, "= " + rhs, why))
        previous = lhs
    final = next((s.matrix for s in reversed(steps) if s.matrix is not None), None)
    if final is not None:
        left, _, right = print_node(final, notation_name, wiki, **names).partition(" = ")
        if right:
            rows.append((left, "= " + right, "the same for the whole layer"))
    return rows
