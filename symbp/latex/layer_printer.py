"""LaTeX of the index-form layer steps (:mod:`symbp.derive.layer_index`) in a notation.

Layer ``position`` of a ``--net`` network is printed with the notation's own layer numbers
(:func:`symbp.notation.generic_layer`: Wikipedia's input is layer 0, Nielsen's and Ng's layer 1,
Ng's Theta^{(l)} maps layer l to l+1); the layer's input x is the previous layer's activation.
A Kronecker delta or a range condition prints as an Iverson bracket, ReLU's Heaviside as
``[z > 0]``, ``dA`` as dC/da, max-pooling's indicator ``M`` as ``M^{l}``.

>>> import sympy
>>> from symbp.derive import layer_index as li
>>> p = LayerPrinter(1, "nielsen")
>>> p.doprint(li.delta[li.c, li.SPATIAL[0][0], li.SPATIAL[0][1]] * li.x[li.c2, 0, 1])
"a^{1}_{c',0,1} \\\\delta^{2}_{c,i,j}"
"""

from __future__ import annotations

import sympy
from sympy.printing.latex import LatexPrinter

from symbp import notation as nt
from symbp.derive import layer_index as li
from symbp.latex.factor_order import quantities, sympy_rank, textbook_order
from symbp.layers import index as ix

_KINDS = {"x": "a", "z": "z", "a": "a", "W": "W", "b": "b", "delta": "delta", "h": "a",
          "Wx": "W", "Wh": "W"}  # fmt: skip


_ATOM_KIND = {"W": "weight", "x": "activation", "a": "activation", "z": "pre", "b": "weight",
              "delta": "delta", "dA": "delta", "h": "activation", "Wx": "weight",
              "Wh": "weight", "dH": "delta"}  # fmt: skip


def _atom_kind(atom: sympy.Basic) -> str | None:
    if atom == li.C:
        return "cost"
    return _ATOM_KIND.get(str(atom.base)) if isinstance(atom, sympy.Indexed) else None


def _rank(factor: sympy.Expr) -> str:
    """The textbook rank (:mod:`symbp.latex.factor_order`); max-pooling's indicator M and a
    range condition are Iverson brackets."""
    if isinstance(factor, sympy.Piecewise) or (
        isinstance(factor, sympy.Indexed) and factor.base == li.M
    ):
        return "iverson"
    return sympy_rank(factor, _atom_kind)


class LayerPrinter(LatexPrinter):
    """Index-form expressions of one layer, named in ``notation``."""

    def __init__(self, position: int, notation: str) -> None:
        self.position, self.notation = position, nt.check_generic_notation(notation)
        self.cost = nt.get_notation(notation).cost_name()
        sizes = {
            li.C_OUT: f"C_{{{self.label('z')}}}",
            li.C_IN: f"C_{{{self.label('x')}}}",
            li.K: "k",
            li.STRIDE: "s",
            li.PAD: "P",
            ix.T: "T",
        }
        for names, kind in ((li.OUT, "z"), (li.IN, "x")):
            for sym, letter in zip(names, ("H", "W"), strict=True):
                sizes[sym] = f"{letter}_{{{self.label(kind)}}}"
        sizes[li.C] = self.cost
        super().__init__({"symbol_names": sizes, "mul_symbol": None})

    def label(self, kind: str) -> str:
        """The notation's layer number of this layer's ``kind`` (x: the layer's input)."""
        layer = self.position - 1 if kind == "x" else self.position
        return str(nt.generic_layer(_KINDS.get(kind, kind), sympy.Integer(layer), self.notation))

    def _indices(self, indices) -> str:
        return ",".join(self._index(i) for i in indices)

    def _index(self, index: sympy.Expr) -> str:
        """``i + p - P`` rather than SymPy's ``- P + i + p``: positive terms first."""
        if not isinstance(index, sympy.Add):
            return self._print(index)
        terms = sorted(
            index.args, key=lambda t: (t.could_extract_minus_sign(), t.is_number, str(t))
        )
        out = self._print(terms[0])
        for term in terms[1:]:
            out += (
                f" - {self._print(-term)}"
                if term.could_extract_minus_sign()
                else f" + {self._print(term)}"
            )
        return out

    def _print_Mul(self, expr: sympy.Mul) -> str:
        """Factors in a textbook's order: numbers, Iverson brackets, the incoming gradient,
        derivatives, weights, activations, then the activation's derivative."""
        num, den = expr.as_numer_denom()
        if den != 1:
            return f"\\frac{{{self._print(num)}}}{{{self._print(den)}}}"
        factors = textbook_order(sympy.Mul.make_args(expr), _rank, quantities)
        sign, factors = ("- ", [-factors[0], *factors[1:]]) if factors[0] == -1 else ("", factors)
        factors = [f for f in factors if f != 1]
        if not factors:
            return sign + "1"
        return sign + " ".join(self.parenthesize(f, 50, strict=True) for f in factors)

    def entry(self, base: str, indices) -> str:
        if base == "h":  # a recurrent state: h, numbered as the layer's activation
            return nt.generic_name("h", self.label("a"), self.notation, self._indices(indices))
        if base in ("Wx", "Wh"):  # its input and recurrent weights: (W_x), (W_h)
            matrix = nt.generic_name("W", self.label("W"), self.notation)
            return f"\\left({matrix}_{{{base[1]}}}\\right)_{{{self._indices(indices)}}}"
        kind = _KINDS[base]
        return nt.generic_name(kind, self.label(base), self.notation, self._indices(indices))

    def _print_Indexed(self, expr: sympy.Indexed) -> str:
        base = str(expr.base)
        if base in ("dA", "dH"):
            entry = self.entry("a" if base == "dA" else "h", expr.indices)
            return f"\\frac{{\\partial {self.cost}}}{{\\partial {entry}}}"
        if base == "J":  # a recurrent step's Jacobian dh_t/dh_{t-1}
            step, *rest = expr.indices
            return (f"\\left(J^{{{self.label('a')}}}_{{{self._index(step)}}}\\right)"
                    f"_{{{self._indices(rest)}}}")  # fmt: skip
        if base == "M":
            return f"M^{{{self.label('a')}}}_{{{self._indices(expr.indices)}}}"
        return self.entry(base, expr.indices)

    def _print_Pow(self, expr: sympy.Pow) -> str:
        """An entry's power in brackets: (h^{l}_{t,j})^{2}, never a double superscript."""
        if isinstance(expr.base, sympy.Indexed) and expr.exp.is_Integer and expr.exp > 1:
            return f"\\left({self._print(expr.base)}\\right)^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)

    def vector(self, base: str, step: str) -> str:
        """A recurrent layer's vector at one time step: h^{l}_{t}, a^{l}_{tau}, J^{l}_{t+1}."""
        kind = {"h": "a", "a": "a", "J": "a"}[base]
        return f"{nt.generic_name(base, self.label(kind), self.notation)}_{{{step}}}"

    def _print_Derivative(self, expr: sympy.Derivative) -> str:
        ((var, _),) = expr.variable_count
        return f"\\frac{{\\partial {self._print(expr.expr)}}}{{\\partial {self._print(var)}}}"

    def _print_KroneckerDelta(self, expr: sympy.KroneckerDelta, exp=None) -> str:
        return f"[{self._print(expr.args[0])} = {self._print(expr.args[1])}]"

    def _print_Heaviside(self, expr: sympy.Heaviside, exp=None) -> str:
        return f"[{self._print(expr.args[0])} > 0]"

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        (value, cond), *rest = expr.args
        parts = cond.args if isinstance(cond, sympy.And) else (cond,)
        brackets = "".join(f"[{self._print(p)}]" for p in parts)
        return f"{brackets} {self.parenthesize(value, 50, strict=True)}"

    def _print_Sum(self, expr: sympy.Sum) -> str:
        names = ",".join(self._print(lim[0]) for lim in expr.limits)
        return f"\\sum_{{{names}}} {self.parenthesize(expr.function, 50, strict=True)}"
