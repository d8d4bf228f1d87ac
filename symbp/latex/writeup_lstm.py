"""The writeup of an ``lstm(n)`` layer of a ``--net`` network: its forward equations in index
form, per gate, and backpropagation through time for the cell state c and the state h step by
step, each step derived by SymPy and proved on a concrete instance
(:mod:`symbp.derive.layer_index_lstm`); the cell state's term through the forget gate is named
as the constant error carousel, and after each gradient the array form compile prints.

>>> from symbp.model import layered_network
>>> net = layered_network("4x2", "lstm(2) last dense(2,softmax)", "cce")
>>> blocks = lstm_blocks(net, 1, "wikipedia", [])
>>> blocks[0].text[:32]
'Forward (time step $t$, unit $j$'
"""

from __future__ import annotations

import sympy

from symbp import notation as nt
from symbp.derive import layer_index_lstm as ll
from symbp.latex import layer_printer as lp
from symbp.latex.factor_order import quantities, sympy_rank, textbook_order
from symbp.latex.layer_printer import LayerPrinter
from symbp.latex.writeup_blocks import Math, Text
from symbp.latex.writeup_blocks import array_form as blocks_array_form
from symbp.layers.lstm import GATES
from symbp.model import LayeredNetwork

_STATE = {"i", "f", "g", "o", "c", "s"}
_PRE = {f"z{name}": name for name, _ in GATES}
_PRIMAL = {str(g): p for p, g in ll.GRADIENTS.items() if str(g) not in ("dA", "dH")}
_GATE = {"i": "input gate", "f": "forget gate", "g": "cell input", "o": "output gate"}
_ROWS = ("$0$ to $n - 1$", "$n$ to $2n - 1$", "$2n$ to $3n - 1$", "$3n$ to $4n - 1$")
_TITLE = {
    "h": "The whole gradient of the state $h$ (through the layer above, and through the four "
    "gates' pre-activations at the next step)",
    "s": "The gradient of $s = \\tanh(c)$",
    "o": "The gradient of the output gate $o$",
    "c": "The gradient of the cell state $c$ (through $s$ at its own step, and through the "
    "next step's cell state)",
    **{name: f"The gradient of the {_GATE[name]} ${name}$" for name in "ifg"},
    **{f"z{name}": f"The gradient of the {_GATE[name]}'s pre-activation (rows {rows} of the "
       "stacked $z$)" for (name, _), rows in zip(GATES, _ROWS, strict=True)},
    "Wx": "The gradient of the input weights (row $j$ of the 4n stacked rows)",
    "Wh": "The gradient of the recurrent weights (row $j$ of the 4n stacked rows)",
    "b": "The bias gradient (torch's two biases only ever appear as their sum $b$)",
    "input": "The gradient passed to the layer below",
}  # fmt: skip
_ARRAY = {"h": "dh", "s": "ds", "o": "do", "c": "dc", "i": "di", "f": "df", "g": "dg",
          "zo": "dz", "Wx": "dWx{p}", "Wh": "dWh{p}", "b": "db{p}", "input": "dx"}  # fmt: skip
"""The recogniser's name (:mod:`symbp.derive.recognise_lstm`) of each quantity's array form
(the four pre-activations are one stacked array, printed after the last gate's)."""


def _atom_kind(atom: sympy.Basic) -> str | None:
    if isinstance(atom, sympy.Indexed):
        base = str(atom.base)
        if base in _STATE:
            return "activation"
        if base in _PRE:
            return "pre"
        if base in _PRIMAL:
            return "delta"
    return lp._atom_kind(atom)


def _gate_of(term: sympy.Expr) -> int:
    """The gate whose pre-activation a term reads (0..3, i f g o), or -1."""
    bases = {str(e.base) for e in term.atoms(sympy.Indexed)}
    gates = [q for q, (name, _) in enumerate(GATES) if bases & {f"z{name}", f"dz{name}"}]
    return min(gates, default=-1)


def _rank(factor: sympy.Expr) -> str:
    return sympy_rank(factor, _atom_kind)


class LstmPrinter(LayerPrinter):
    """The layer printer with the LSTM's arrays: the gates, c and s numbered as the layer's
    activation, each gate's pre-activation z^{(q)}, sigmoid as sigma, dC/d(entry) for their
    gradients, n and d the sizes."""

    def __init__(self, position: int, notation: str) -> None:
        super().__init__(position, notation)
        self._settings["symbol_names"].update({ll.N: "n", ll.D: "d"})

    def _print_Indexed(self, expr: sympy.Indexed) -> str:
        base, indices = str(expr.base), self._indices(expr.indices)
        if base in _STATE:
            return nt.generic_name(base, self.label("a"), self.notation, indices)
        if base in _PRE:
            return nt.generic_name(f"{{z^{{({_PRE[base]})}}}}", self.label("z"), self.notation,
                                   indices)  # fmt: skip
        if base in _PRIMAL:
            entry = self._print(_PRIMAL[base][expr.indices])
            return f"\\frac{{\\partial {self.cost}}}{{\\partial {entry}}}"
        return super()._print_Indexed(expr)

    def _print_Pow(self, expr: sympy.Pow) -> str:
        """1/(1 + exp(-u)), the registry's sigmoid, as sigma(u)."""
        if expr.exp == -1 and isinstance(expr.base, sympy.Add):
            rest = expr.base - 1
            if isinstance(rest, sympy.exp):
                return f"\\sigma\\left({self._print(-rest.args[0])}\\right)"
        return super()._print_Pow(expr)

    def _print_Add(self, expr: sympy.Add, order=None) -> str:
        """Terms of the four gates in the gates' order i, f, g, o (other terms first)."""
        terms = sorted(self._as_ordered_terms(expr, order=order), key=_gate_of)
        tex = ""
        for n, term in enumerate(terms):
            if n and term.could_extract_minus_sign():
                tex, term = tex + " - ", -term
            elif n:
                tex += " + "
            body = self._print(term)
            tex += f"\\left({body}\\right)" if self._needs_add_brackets(term) else body
        return tex

    def _print_Mul(self, expr: sympy.Mul) -> str:
        """Factors in the textbook's order (the gradient first, the slope last); a sigmoid's
        derivative as SymPy writes it, exp(-z) / (1 + exp(-z))^2, not rearranged."""
        num, den = sympy.fraction(expr, exact=True)
        if den != 1:
            return f"\\frac{{{self._print(num)}}}{{{self._print(den)}}}"
        factors = textbook_order(sympy.Mul.make_args(expr), _rank, quantities)
        sign, factors = ("- ", [-factors[0], *factors[1:]]) if factors[0] == -1 else ("", factors)
        factors = [f for f in factors if f != 1]
        return sign + (" ".join(self.parenthesize(f, 50, strict=True) for f in factors) or "1")


def _forward(form, printer: LstmPrinter) -> list:
    shown = {ll.tau: ll.t, ll.k: ll.j}  # the forward equations printed at step t, unit j
    rows = [(printer.doprint(lhs.xreplace(shown)), "= " + printer.doprint(rhs.xreplace(shown)),
             "") for lhs, rhs in form.stated.equations]  # fmt: skip
    h0, c0 = (printer.doprint(base[-1, ll.j]) for base in (ll.h, ll.c))
    return [
        Text("Forward (time step $t$, unit $j$; the gates in PyTorch's order $i, f, g, o$, gate "
             "$q$ reading the rows $qn$ to $qn + n - 1$ of the stacked $W_x$, $W_h$, $b$; $c$ "
             f"the cell state, $h$ the state, ${h0} = {c0} = 0$ as entries outside the "
             "sequence; $a$, the output the layer above reads, is $h$):"),
        Math(rows),
        Text("These are the layer's own index-form equations, proved equal to its equations "
             f"over arrays on {form.forward_verified_by}."),
        Text("Backpropagation through time: the gradients at step $t + 1$ are known when step "
             "$t$ is reached (past the last step, $t + 1 = T$, they are entries outside the "
             "sequence, 0), so the quantities below are computed in this order for "
             "$t = T - 1$ down to $0$."),
    ]  # fmt: skip


def _after(quantity: str, printer: LstmPrinter) -> list:
    """What a derived gradient means: dC/dh's recursion, dC/dc's carousel."""
    cost = printer.cost
    if quantity == "h":
        da = printer.doprint(ll.GRADIENTS[ll.a][ll.t, ll.j])
        return [Text(f"The first term, ${da}$, reaches the state through the layer above; the "
                     "four sums are $W_h^{T}$ times the next step's pre-activation gradients, "
                     f"gate block by gate block: the recursion of $\\partial {cost} / \\partial "
                     "h$ through time, as an Elman rnn's (0 at the last step).")]  # fmt: skip
    if quantity == "c":
        term = printer.doprint(ll.carousel_term())
        f_next = printer.doprint(ll.GATE["f"][ll.t + 1, ll.j])
        return [Text(f"The second term, ${term}$, is the constant error carousel through the "
                     "forget gate: the cell state's gradient passes from step $t + 1$ back to "
                     f"step $t$ multiplied by the forget gate ${f_next}$ alone, with no weight "
                     "matrix and no activation's slope on the way, so where the forget gate "
                     "stays near 1 it is carried across many steps without vanishing. At the "
                     "last step, $t = T - 1$, it is 0.")]  # fmt: skip
    return []


def writes_lstm(layer) -> bool:
    """Whether this module writes the layer up (an lstm)."""
    return ll.has_lstm_form(layer)


def lstm_blocks(net: LayeredNetwork, position: int, notation: str, array_steps: list) -> list:
    """The blocks after the layer's heading: forward equations, then every derived quantity."""
    form = ll.lstm_form()
    printer = LstmPrinter(position, notation)
    blocks = _forward(form, printer)
    for quantity in form.quantities():
        if quantity == "input" and position == 1:
            blocks.append(Text("Layer 1 reads the data, so nothing below it needs a gradient; "
                               "a layer that reads another layer passes it this one:"))  # fmt: skip
        steps = form.steps_for(quantity)
        rows = [((printer.doprint(s.lhs) if n == 0 else ""), "= " + printer.doprint(s.rhs),
                 s.rule) for n, s in enumerate(steps)]  # fmt: skip
        proofs = "; ".join(sorted({s.verified_by for s in steps}))
        blocks += [Text(f"{_TITLE[quantity]}:"), Math(rows), Text(f"Each step proved on {proofs}.")]
        blocks += _after(quantity, printer)
        blocks += _array_form(array_steps, position, quantity)
    return blocks


def _array_form(array_steps: list, position: int, quantity: str) -> list:
    """The array operation the recogniser proved this quantity (or its part) to be."""
    name = _ARRAY.get(quantity, "").format(p=position)
    what = {"h": "the part through the next step is", "zo": "the four pre-activations stacked "
            "(i, f, g, o) are"}.get(quantity, "this is")  # fmt: skip
    return blocks_array_form(array_steps, position, name, what)
