"""The writeup of an ``attention(d_k)``, ``meanpool``, ``last`` or ``residual`` layer of a
``--net`` network: its forward equations in index form and its backward pass step by step, each
step derived by SymPy and proved on a concrete instance (:mod:`symbp.derive.layer_index_attention`,
:mod:`symbp.derive.layer_index_residual`, :mod:`symbp.derive.layer_index_dense` for dense on a
sequence, :mod:`symbp.latex.writeup_residual_norm` for residual(layernorm)), with the softmax
rows' Jacobian derived as the softmax output layer's is, and a residual's identity path beside
its inner layer's.

>>> from symbp.model import layered_network
>>> net = layered_network("3x2", "attention(2) meanpool dense(2,softmax)", "cce")
>>> blocks = multi_blocks(net, 1, "wikipedia", [])
>>> blocks[0].text
'Forward (queries $t$, keys $u$; $S$ the scores, $P$ the weights over the keys):'
"""

from __future__ import annotations

import sympy

from symbp import notation as nt
from symbp.derive import layer_index_attention as la
from symbp.derive import layer_index_dense as ld
from symbp.derive import layer_index_residual as lr
from symbp.derive import layer_index_residual_norm as rn
from symbp.derive.layer_index_export import multi_form_of
from symbp.latex import layer_printer as lp
from symbp.latex.factor_order import quantities, sympy_rank, textbook_order
from symbp.latex.layer_printer import LayerPrinter
from symbp.latex.writeup_blocks import Math, Text
from symbp.latex.writeup_blocks import array_form as blocks_array_form
from symbp.latex.writeup_residual_norm import residual_norm_blocks
from symbp.layers.attention import Attention
from symbp.layers.dense import Dense
from symbp.layers.residual import Residual
from symbp.model import LayeredNetwork

_ENTRY = {"q": "q", "k": "k", "v": "v", "S": "S", "P": "P", "f": "f"}
_WEIGHT = {"Wq": "Q", "Wk": "K", "Wv": "V"}
_KIND = {**dict.fromkeys(_ENTRY, "activation"), **dict.fromkeys(_WEIGHT, "weight"),
         **{str(g): "delta" for g in la.GRADIENTS.values()}}  # fmt: skip
_TITLE = {
    "v": "The gradient of the values $v$",
    "P": "The gradient of the weights $P$",
    "jacobian": "The Jacobian of each query's softmax row, the weights by the scores (as for "
    "a softmax output layer; a weight of row $i$ does not depend on another row's scores)",
    "S": "The gradient of the scores $S$, through the softmax Jacobian",
    "q": "The gradient of the queries $q$ (with its $1/\\sqrt{d_k}$)",
    "k": "The gradient of the keys $k$ (with its $1/\\sqrt{d_k}$)",
    "Wq": "The gradient of the query weights",
    "Wk": "The gradient of the key weights",
    "Wv": "The gradient of the value weights",
    "input": "The gradient passed to the layer below",
    "f": "The gradient of the inner layer's output $f$ (from the sum $a = x + f$)",
    "delta": "The error $\\delta$ of the inner layer (by its pre-activation $z$)",
    "W": "The weight gradient",
    "b": "The bias gradient",
}
_PATHS = {
    "attention": " (three paths: through the queries, the keys and the values)",
    "residual": " (two paths: the identity, from the term $x$ of $a = x + f$, and through "
    "the inner layer)",
    "residual(attention)": " (four paths: the identity, from the term $x$ of $a = x + f$, and "
    "through the queries, the keys and the values)",
}
_ARRAY = {"Wq": "dWq{p}", "Wk": "dWk{p}", "Wv": "dWv{p}", "W": "dW{p}", "b": "db{p}",
          "input": "dx"}  # fmt: skip
"""The recogniser's name (:mod:`symbp.derive.recognise`) of each quantity with an array form."""


def _atom_kind(atom: sympy.Basic) -> str | None:
    if isinstance(atom, sympy.Indexed) and str(atom.base) in _KIND:
        return _KIND[str(atom.base)]
    return lp._atom_kind(atom)


def _rank(factor: sympy.Expr) -> str:
    """The textbook rank (:mod:`symbp.latex.factor_order`) with attention's arrays: the
    softmax Jacobian's ``[j = l] - P`` last, as the output layer's ``a ([i = j] - a)``."""
    if isinstance(factor, sympy.Piecewise):
        return "iverson"
    return sympy_rank(factor, _atom_kind)


class MultiPrinter(LayerPrinter):
    """The layer printer with attention's arrays: q, k, v, S, P numbered as the layer's
    activation, W_Q, W_K, W_V as its weights, and dC/d(entry) for their gradients."""

    def _print_Indexed(self, expr: sympy.Indexed) -> str:
        base = str(expr.base)
        if base in _ENTRY:
            return nt.generic_name(_ENTRY[base], self.label("a"), self.notation,
                                   self._indices(expr.indices))  # fmt: skip
        if base in _WEIGHT:
            matrix = nt.generic_name("W", self.label("W"), self.notation)
            return f"\\left({matrix}_{{{_WEIGHT[base]}}}\\right)_{{{self._indices(expr.indices)}}}"
        primal = next((str(p) for p, g in la.GRADIENTS.items() if str(g) == base), None)
        if primal is not None and base not in ("dA", "delta"):
            entry = self._print(sympy.IndexedBase(primal)[expr.indices])
            return f"\\frac{{\\partial {self.cost}}}{{\\partial {entry}}}"
        return super()._print_Indexed(expr)

    def _print_Mul(self, expr: sympy.Mul) -> str:
        """Factors in the textbook's order; a constant denominator (sqrt(d_k), T) as a factor
        1/den in front, so that the scale of a gradient stands out."""
        num, den = expr.as_numer_denom()
        if den != 1 and not den.atoms(sympy.Indexed):
            sign, num = ("- ", -num) if num.could_extract_minus_sign() else ("", num)
            body = self.parenthesize(num, 50, strict=True) if num != 1 else ""
            return f"{sign}\\frac{{1}}{{{self._print(den)}}} {body}".rstrip()
        if den != 1:
            return f"\\frac{{{self._print(num)}}}{{{self._print(den)}}}"
        factors = textbook_order(sympy.Mul.make_args(expr), _rank, quantities)
        sign, factors = ("- ", [-factors[0], *factors[1:]]) if factors[0] == -1 else ("", factors)
        factors = [f for f in factors if f != 1]
        return sign + (" ".join(self.parenthesize(f, 50, strict=True) for f in factors) or "1")

    def _print_Sum(self, expr: sympy.Sum) -> str:
        """A negative term in brackets: sum_u (- P P dP), never sum_u - P P dP."""
        if expr.function.could_extract_minus_sign():
            names = ",".join(self._print(lim[0]) for lim in expr.limits)
            return f"\\sum_{{{names}}} \\left({self._print(expr.function)}\\right)"
        return super()._print_Sum(expr)


def writes(layer, shape: tuple[int, ...]) -> bool:
    """Whether this module writes the layer up (attention, meanpool, last, a residual of
    attention or of dense, dense on a T x d sequence)."""
    return (la.has_multi_form(layer) or lr.has_residual_form(layer, shape)
            or ld.has_sequence_form(layer, shape) or rn.is_residual_norm(layer))  # fmt: skip


def _intro(layer) -> str:
    if isinstance(layer, Dense):  # on a sequence
        return (" (every position $t$ alike, as `torch.nn.Linear`: the weights are shared, so "
                f"their gradients sum over $t$; $a$ is the activation `{layer.act.name}` of "
                "$z$)")  # fmt: skip
    if isinstance(layer, Residual):
        inner = layer.inner
        what = (f"$f$ is the activation `{inner.act.name}` of its pre-activation $z$"
                if not isinstance(inner, Attention)
                else "queries $t$, keys $u$; $S$ the scores, $P$ the weights")  # fmt: skip
        return f" ($a = x + f$, $f$ the output of the inner layer `{inner.spec()}`: {what})"
    if isinstance(layer, Attention):
        return " (queries $t$, keys $u$; $S$ the scores, $P$ the weights over the keys)"
    return ""


def multi_blocks(net: LayeredNetwork, position: int, notation: str, array_steps: list) -> list:
    """The blocks after the layer's heading: forward equations, then every derived quantity."""
    layer = net.layers[position - 1]
    if rn.is_residual_norm(layer):  # the layer norm's staged derivation, with the identity
        return residual_norm_blocks(net, position, notation, array_steps)
    form = multi_form_of(layer, net.shapes[position - 1])
    printer = MultiPrinter(position, notation)
    rows = [(printer.doprint(lhs), "= " + printer.doprint(rhs), "")
            for lhs, rhs in form.stated.equations]  # fmt: skip
    blocks: list = [
        Text(f"Forward{_intro(layer)}:"),
        Math(rows),
        Text("These are the layer's own index-form equations, proved equal to its equations "
             f"over arrays on {form.forward_verified_by}."),
    ]  # fmt: skip
    inner = getattr(layer, "inner", None)
    paths = _PATHS.get(
        f"residual({inner.kind})" if isinstance(inner, Attention) else layer.kind, ""
    )
    for quantity in form.quantities():
        if quantity == "input" and position == 1:
            blocks.append(Text("Layer 1 reads the data, so nothing below it needs a gradient; "
                               "a layer that reads another layer passes it this one:"))  # fmt: skip
        blocks += _quantity(form, quantity, printer, paths)
        blocks += _array_form(array_steps, position, quantity)
    return blocks


def _quantity(form, quantity: str, printer: MultiPrinter, paths: str) -> list:
    steps = form.steps_for(quantity)
    rows = [((printer.doprint(s.lhs) if n == 0 else ""), "= " + printer.doprint(s.rhs), s.rule)
            for n, s in enumerate(steps)]  # fmt: skip
    title = _TITLE[quantity] + (paths if quantity == "input" else "")
    if quantity == "delta" and not isinstance(form.layer, Residual):  # dense on a sequence
        title = title.replace(" of the inner layer", " of the layer")
    proofs = "; ".join(sorted({s.verified_by for s in steps}))
    return [Text(f"{title}:"), Math(rows), Text(f"Each step proved on {proofs}.")]


def _array_form(array_steps: list, position: int, quantity: str) -> list:
    """The array operation the recogniser proved this quantity to be over a batch."""
    name = _ARRAY.get(quantity, "").format(p=position)
    return blocks_array_form(array_steps, position, name)
