"""How each source writes the generic equations: one :class:`Style` per notation.

>>> style_for("nielsen").hadamard, style_for("ng").cost
('\\\\odot', 'J')
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symbp import notation as nt
from symbp.derive.matrix import COL, DEPTH, ROW, SUM

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

    @property
    def source(self) -> nt.Notation:
        """The notation object the style writes in."""
        return nt.get_notation(self.notation)


def style_for(notation: str | nt.Notation, hadamard: str | None = None) -> Style:
    """The default style of a notation, from its object's printer options; Wikipedia takes
    ``hadamard="circ"`` or ``"cdot"``.

    >>> style_for("wikipedia", "cdot").hadamard
    '\\\\cdot'
    """
    source = nt.get_notation(notation)
    letters = dict(zip((ROW, COL, SUM), source.index_letters, strict=True))
    return Style(
        source.name,
        source.hadamard_tex(hadamard),
        indices=tuple(letters.items()),
        **source.printer_options(hadamard),
    )


def layer_tex(layer: sympy.Expr, output: str = "L") -> str:
    """``l+1``, ``L-1``, ``2``: a layer label as the sources write it (no spaces)."""
    if layer.is_Integer or layer.is_Symbol:
        return output if layer == DEPTH else str(layer)
    constant, rest = layer.as_coeff_Add()
    sign = "+" if constant > 0 else "-"
    return f"{layer_tex(rest, output)}{sign}{abs(constant)}"
