"""How each source writes the generic equations: one :class:`Style` per notation.

>>> style_for("nielsen").hadamard, style_for("ng").cost
('\\\\odot', 'J')
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symbp import notation as nt
from symbp.derive.matrix import COL, DEPTH, ROW, SUM

_NG_INDEX = {ROW: "i", COL: "j", SUM: "k"}
_WIKI_INDEX = {ROW: "j", COL: "k", SUM: "i"}


@dataclass(frozen=True)
class Style:
    """How one source writes the generic equations.

    ``ellipsis``: ``"spaced"`` (``X \\circ \\cdots \\circ Y``, today's Wikipedia), ``"old"``
    (the source images: ``X\\cdots Y`` in a row product, ``X\\cdots \\cdot Y`` in a column
    product) or ``"plain"`` (``X \\ldots Y``, Nielsen's juxtaposed products).
    ``weight_entry``: the letter of one weight (Wikipedia's matrix is ``W^{l}``, its entry
    ``w_{jk}^{l}``). ``learning_rate``: the step size of the update (Ng's ``\\alpha``).
    ``activations``: the registry's LaTeX names of the hidden and the output activation, where
    the printer knows them; Nielsen's ``\\sigma`` is the logistic function, so there each
    layer is named by its own activation (a ReLU layer is never ``\\sigma``).
    """

    notation: str
    hadamard: str
    matmul: str = ""
    ellipsis: str = "spaced"
    ellipsis_tex: str = "\\cdots"
    define: str = ":="
    fprime_first: bool = False
    fprime_argument: bool = True
    paren_product_in_hadamard: bool = True
    cost: str = "C"
    mean_cost: str = "J"
    frac: str = "\\frac"
    operator_derivative: bool = False
    delta_first: bool = False
    transpose_merged: bool = False
    sum_bounds: bool = False
    sum_parens: bool = False
    index_comma: bool = False
    shorthand: bool = False
    target_example: str = ""
    output_layer: str = "L"
    one: str = "1"
    plain_activation_entries: bool = False
    paren_activation_in_partial: bool = False
    bracket_numerator: bool = False
    product: str = ""
    hypothesis: bool = False
    sum_brackets: bool = False
    weight_entry: str = "W"
    learning_rate: str = "\\eta"
    indices: tuple[tuple[sympy.Symbol, str], ...] = tuple(_WIKI_INDEX.items())
    activations: tuple[str, str] = ()


def style_for(notation: str, hadamard: str | None = None) -> Style:
    """The default style of a notation; Wikipedia takes ``hadamard="circ"`` or ``"cdot"``.

    >>> style_for("wikipedia", "cdot").hadamard
    '\\\\cdot'
    """
    nt.check_generic_notation(notation)
    if notation == "wikipedia":
        old = (hadamard or "circ") == "cdot"
        if hadamard not in (None, "circ", "cdot"):
            raise nt.SpecError(f"unknown Hadamard style {hadamard!r}; known: cdot, circ")
        return Style(
            "wikipedia",
            nt.HADAMARD_TEX["cdot" if old else "circ"],
            matmul="\\cdot",
            ellipsis="old" if old else "spaced",
            fprime_first=True,
            fprime_argument=False,
            paren_product_in_hadamard=False,
            weight_entry="w",
        )
    if notation == "ng":
        return Style(
            "ng",
            nt.HADAMARD_TEX["ng"],
            cost="J",
            frac="\\dfrac",
            index_comma=True,
            indices=tuple(_NG_INDEX.items()),
            learning_rate="\\alpha",
        )
    if notation == "nielsen":
        return Style(
            "nielsen",
            nt.HADAMARD_TEX["nielsen"],
            ellipsis="plain",
            ellipsis_tex="\\ldots",
            define="\\equiv",
        )
    return Style(
        "ufldl",
        nt.HADAMARD_TEX["ufldl"],
        matmul="\\cdot",
        cost="J(W,b;x,y)",
        operator_derivative=True,
        sum_bounds=True,
        sum_parens=True,
        output_layer="n_l",
        indices=tuple(_NG_INDEX.items()),
    )


def layer_tex(layer: sympy.Expr, output: str = "L") -> str:
    """``l+1``, ``L-1``, ``2``: a layer label as the sources write it (no spaces)."""
    if layer.is_Integer or layer.is_Symbol:
        return output if layer == DEPTH else str(layer)
    constant, rest = layer.as_coeff_Add()
    sign = "+" if constant > 0 else "-"
    return f"{layer_tex(rest, output)}{sign}{abs(constant)}"
