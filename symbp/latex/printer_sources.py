"""The generic derivation's equations as each source writes them, labelled by the source.

:func:`equations` is what the writeups call: ``equations(der, "wikipedia", hadamard="cdot")``
gives Wikipedia's matrix section as in the source note's images (1A.1-1A.9), ``"circ"`` as in
today's article (1B.1-1B.9), ``"nielsen"`` BP1-BP4 with equations 29-35 and 45, ``"ng"`` the
lecture notes' 2B.1 and 2B.4-2B.9 and the CSDN post's 2A.10-2A.16, ``"ufldl"`` the note's
appendix. Every equation is printed from the derivation's data (:mod:`symbp.derive.generic`,
:mod:`symbp.derive.chains`); the labels match ``seed_equations.md``. :data:`DEVIATIONS` says
where symbp's text deliberately differs from a source, and why. Only a source's equations that
hold for the network are listed: where Ng's assume his sigmoid with cross-entropy and the
network has another activation or loss, the equation that holds instead is listed with a label
that starts "this network" and ``from_source=False``.

>>> from symbp.derive.generic import derive_generic
>>> [e.label for e in equations(derive_generic(loss="mse"), "nielsen")][:4]
['29', 'BP1', 'BP1a', '30']
>>> equations(derive_generic(), "wikipedia", hadamard="cdot")[6].latex
'\\\\nabla_{W^{l}}C = \\\\delta^{l}(a^{l-1})^{T}'
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy

from symbp import notation as nt
from symbp.derive import chains
from symbp.derive import matrix as mx
from symbp.derive.diagform import hidden_delta_steps, output_delta_steps
from symbp.derive.generic import GenericDerivation
from symbp.derive.matrix import DEPTH, LAYER
from symbp.errors import SpecError
from symbp.latex.printer import GenericPrinter, Style, lhs_layer_shift, style_for
from symbp.latex.printer_deviations import DEVIATIONS, Deviation, deviations

__all__ = [
    "DEVIATIONS",
    "Deviation",
    "PrintedEquation",
    "bias_unit_counted_in",
    "deviations",
    "equations",
]


@dataclass(frozen=True)
class PrintedEquation:
    """One equation: its label in the source, its LaTeX, and where the source states it."""

    label: str
    latex: str
    source_ref: str
    from_source: bool = True
    """False for an equation that holds for this network in place of a source's own that
    does not (Ng's delta^{(L)} = a^{(L)} - y under the squared error)."""


_WIKI_REF = {
    "cdot": "Wikipedia, Backpropagation, Matrix multiplication (old revision, the note's images)",
    "circ": "Wikipedia, Backpropagation, Matrix multiplication (current article)",
}
_NIELSEN_REF = "Nielsen, Neural Networks and Deep Learning, ch. 2"
_NG_NOTES_REF = "Ng, Coursera Machine Learning, week 5 lecture notes"
_CSDN_REF = "CSDN post copied into the note (handwritten)"
_UFLDL_REF = "The note's appendix (UFLDL slides)"


def _printer(style: Style) -> GenericPrinter:
    return GenericPrinter(style)


def _shifted(node: mx.Node, style: Style) -> mx.Node:
    return mx.substitute(node, lhs_layer_shift(node, style))


def _shorthand(node: mx.Node, in_out: bool = False) -> mx.Node:
    """Nielsen's (31)/(32): indices and layers dropped; with ``in_out`` the activation is
    the weight's input a_in and the delta its output delta_out."""
    if isinstance(node, mx.Elem):
        if in_out and node.kind in ("a", "delta"):
            label = "\\rm in" if node.kind == "a" else "\\rm out"
            return mx.Elem(node.kind, None, (sympy.Symbol(label),))
        return mx.Elem(node.kind, None, ())
    if isinstance(node, (mx.Vec, mx.Mat)):
        return type(node)(node.kind, None)
    if isinstance(node, mx.Grad):
        return mx.Partial(node.cost, _shorthand(node.wrt))
    if isinstance(node, (mx.Product, mx.Add, mx.MatMul, mx.Hadamard)):
        return type(node)(*[_shorthand(a, in_out) for a in node.args])
    if isinstance(node, mx.Equation):
        return mx.Equation(_shorthand(node.lhs), _shorthand(node.rhs, in_out), node.relation)
    if isinstance(node, mx.Partial):
        return mx.Partial(node.num, _shorthand(node.den), node.total)
    if isinstance(node, mx.Neg):
        return mx.Neg(_shorthand(node.arg, in_out))
    return node


def _aligned(rows: list[tuple[str, str]]) -> str:
    lines = [f"{lhs}&={rhs}" if lhs else "&\\vdots " for lhs, rhs in rows]
    return "\\begin{aligned}" + "\\\\".join(lines) + "\\end{aligned}"


def _composition(inner: int) -> mx.Node:
    """f^L(W^L f^{L-1}(W^{L-1} ... f^inner(... f^1(W^1 x)) ...)): the forward pass composed."""

    def layer(k: sympy.Expr, arg: mx.Node) -> mx.Node:
        return mx.Apply(mx.Fn("f", k), (mx.MatMul(mx.Mat("W", k), arg),))

    core: mx.Node = mx.Vec("x")
    for k in range(1, inner + 1):
        core = layer(sympy.Integer(k), core)
    return layer(DEPTH, layer(DEPTH - 1, mx.Elided(core)))


def _wikipedia(der: GenericDerivation, hadamard: str) -> list[PrintedEquation]:
    style = style_for(nt.WIKIPEDIA, hadamard)
    p = _printer(style)
    ref = _WIKI_REF[hadamard]
    tag = "1A" if hadamard == "cdot" else "1B"
    eq = der.equations
    grad_x = mx.Equation(mx.Grad(mx.Vec("x")), chains.input_gradient_product(der).chain(2, 5))
    delta_l = mx.Equation(
        mx.Vec("delta", LAYER), chains.delta_product(der, LAYER).chain(3, 5), "def"
    )
    naive = [
        (p.doprint(lhs), p.doprint(rhs)) if rhs is not None else ("", "")
        for lhs, rhs in chains.naive_deltas(der)
    ]
    loss = mx.Apply(mx.Fn("C"), (mx.Vec("y"), _composition(2)))
    texts = [
        p.doprint(loss),
        p.doprint(chains.chain_rule_items(der, 5, 2)),
        p.doprint(chains.jacobian_items(der, 5, 2)),
        p.doprint(grad_x),
        p.doprint(mx.Vec("delta", LAYER)),
        p.doprint(delta_l),
        p.doprint(eq["grad_W"]),
        p.doprint(replace(eq["delta_recursion"], relation="def")),
        _aligned(naive),
    ]
    return [PrintedEquation(f"{tag}.{i}", t, f"{ref}, {tag}.{i}") for i, t in enumerate(texts, 1)]


def _nielsen(der: GenericDerivation) -> list[PrintedEquation]:
    style = style_for(nt.NIELSEN)
    p = _printer(style)
    eq, en = der.equations, der.entries

    def show(node: mx.Node) -> str:
        return p.doprint(_shifted(node, style))

    out = [
        ("29", show(en["delta_def"])),
        ("BP1", show(en["delta_L"])),
        ("BP1a", show(eq["delta_L"])),
    ]
    if der.loss == "squared_error" and "delta_L_loss" in eq:
        out.append(("30", show(eq["delta_L_loss"])))
    out.append(("BP2", show(eq["delta_recursion"])))
    if "grad_b" in en:
        out += [("BP3", show(en["grad_b"])), ("31", p.doprint(_shorthand(en["grad_b"])))]
    out += [
        ("BP4", show(en["grad_W"])),
        ("32", p.doprint(_shorthand(en["grad_W"], in_out=True))),
        ("33", show(chains.diagonal_form(eq["delta_L"]))),
        ("34", show(chains.diagonal_form(eq["delta_recursion"]))),
    ]
    unrolled = chains.diagonal_form(chains.delta_product(der, LAYER).chain(2, 4))
    out.append(("35", show(mx.Equation(mx.Vec("delta", LAYER), unrolled))))
    out.append(("45", show(en["delta_recursion"])))
    return [PrintedEquation(label, tex, f"{_NIELSEN_REF}, ({label})") for label, tex in out]


def _csdn_style(der: GenericDerivation) -> Style:
    """The CSDN post's matrix forms; from 2A.9 on it writes one example's cost, J^{(t)} where
    a mean J over m examples exists (its own letter there is J)."""
    return replace(
        style_for(nt.NG),
        cost=nt.NG.cost_name("example", bool(der.examples)),
        matmul="\\cdot",
        frac="\\frac",
        delta_first=True,
        product="\\cdot",
        transpose_merged=True,
        index_comma=False,
        one="\\vec{1}",
        hypothesis=True,
        sum_bounds=True,
        sum_brackets=True,
    )


def _csdn_derivation(der: GenericDerivation) -> Style:
    """The CSDN post's step-by-step derivations: activations parenthesised in derivatives."""
    return replace(
        _csdn_style(der), hypothesis=False, paren_activation_in_partial=True, bracket_numerator=True
    )


_NG_LAYER = sympy.Symbol("j", integer=True)
"""The notes' forward step (2B.1) names the layer j; their other equations name it l."""


def bias_unit_counted_in(node: mx.Node) -> mx.Node:
    """Ng's convention: a^{(l)} includes the bias unit a_0 = 1, so the stacked column
    (1; a^{(l)}) is written a^{(l)}.

    >>> from symbp.derive.generic import derive_generic
    >>> print(bias_unit_counted_in(derive_generic(bias="unit").equations["forward_z"]))
    z^l = W^l a^(l - 1)
    """
    if isinstance(node, mx.Stacked) and node.items[0] == mx.Scalar("1"):
        rest = node.items[1:]
        return rest[0] if len(rest) == 1 else mx.Stacked(rest)
    if isinstance(node, (mx.MatMul, mx.Add, mx.Hadamard, mx.Product)):
        return type(node)(*[bias_unit_counted_in(a) for a in node.args])
    if isinstance(node, mx.Equation):
        return replace(node, rhs=bias_unit_counted_in(node.rhs))
    return node


def _output_error_is_a_minus_y(der: GenericDerivation) -> bool:
    """Does delta^{(L)} = a^{(L)} - y (Ng's 2B.4, the post's 2A.16) hold for this network?
    It does where the derivation simplified delta^L to it: sigmoid with cross-entropy, as in
    the sources, but also softmax with categorical cross-entropy and identity with squared
    error."""
    simplified = der.equations.get("delta_L_simplified")
    a_minus_y = mx.Add(mx.Vec("a", DEPTH), mx.Neg(mx.Vec("y")))
    return simplified is not None and simplified.rhs == a_minus_y


_THIS_NETWORK = "this network"
_OUTPUT_REF = (
    "symbp, for this network: the sources' $\\delta^{(L)} = a^{(L)} - y$ (2B.4, 2A.16) "
    "does not hold for this output activation and loss"
)
_OUTPUT_FORM_REF = (
    "symbp, for this network: the notes' $g'(z) = a\\ .*\\ (1 - a)$ (2B.5b, 2B.6) "
    "is the sigmoid's; this is the hidden activation's own"
)


def _output_error(der: GenericDerivation, show) -> list[tuple[str, str, str]]:
    """delta^{(L)}: the notes' 2B.4 where it holds, else what holds for this loss."""
    eq = der.equations
    if _output_error_is_a_minus_y(der):
        return [("2B.4", show(eq["delta_L_simplified"]), _NG_NOTES_REF)]
    first = eq.get("delta_L_loss", eq["delta_L"])
    out = [(f"{_THIS_NETWORK}: output error", show(first), _OUTPUT_REF)]
    simplified = eq.get("delta_L_simplified")
    if simplified is not None and simplified != first:
        out.append((f"{_THIS_NETWORK}: simplified", show(simplified), _OUTPUT_REF))
    return out


def _recursion_output_form(der: GenericDerivation, show) -> list[tuple[str, str, str]]:
    """2B.5b and 2B.6, g'(z) = a .* (1 - a): the sigmoid's; another activation's own form."""
    eq = der.equations
    if "delta_recursion_output_form" not in eq:
        return []
    pairs = (
        ("2B.5b", eq["delta_recursion_output_form"], "recursion in a"),
        ("2B.6", eq["fprime_output_form"], "g' in a"),
    )
    if der.hidden == "sigmoid":
        return [(label, show(node), _NG_NOTES_REF) for label, node, _ in pairs]
    return [(f"{_THIS_NETWORK}: {what}", show(node), _OUTPUT_FORM_REF) for _, node, what in pairs]


def _ng(der: GenericDerivation) -> list[PrintedEquation]:
    """The notes' and the post's equations that hold for this network; where one of them
    assumes the sources' sigmoid with cross-entropy and this network has another activation
    or loss, the equation that holds here instead, labelled as symbp's."""
    notes = replace(style_for(nt.NG), target_example="^{(t)}" if der.examples else "")
    eq, en = der.equations, der.entries

    def show(node: mx.Node, style: Style = notes) -> str:
        return GenericPrinter(style).doprint(_shifted(node, style))

    out: list[tuple[str, str, str]] = []
    if der.bias == "unit":  # the notes count the bias unit in a^{(j)}; without it, z = W a + b
        forward = mx.substitute(bias_unit_counted_in(eq["forward_z"]), {LAYER: _NG_LAYER})
        out.append(("2B.1", GenericPrinter(notes).doprint(forward), _NG_NOTES_REF))
    out += _output_error(der, show)
    out.append(("2B.5a", show(eq["delta_recursion"]), _NG_NOTES_REF))
    out += _recursion_output_form(der, show)
    if _output_error_is_a_minus_y(der):
        slide = replace(notes, target_example="")
        four = {DEPTH: sympy.Integer(3)}
        parts = [show(mx.substitute(eq["delta_L_simplified"], four), slide)]
        for k in (3, 2):
            instance = mx.substitute(eq["delta_recursion"], {LAYER: sympy.Integer(k), **four})
            parts.append(GenericPrinter(slide).doprint(instance))
        out.append(("2B.7", ",\\quad ".join(parts), _NG_NOTES_REF + " (4-layer slide)"))
    if "accumulate" in eq:
        out.append(("2B.8a", show(en["accumulate"]), _NG_NOTES_REF))
        out.append(("2B.8b", show(eq["accumulate"]), _NG_NOTES_REF))
        out.append(("2B.9a", show(en["mean_grad"]), _NG_NOTES_REF))
        if "mean_grad_bias" in en:
            out.append(("2B.9b", show(en["mean_grad_bias"]), _NG_NOTES_REF))
        operator = replace(notes, operator_derivative=True, frac="\\frac", mean_cost="J(\\Theta)")
        out.append(("2B.9c", show(en["grad_J"], operator), _NG_NOTES_REF))
    csdn = _csdn_style(der)
    definition = show(en["delta_def"], csdn)
    out.append(("2A.10", f"{definition},\\qquad {show(en['grad_W'], csdn)}", _CSDN_REF))
    out.append(
        (
            "2A.11",
            show(mx.Equation(mx.Vec("delta", LAYER), mx.Column("delta", LAYER)), csdn),
            _CSDN_REF,
        )
    )
    if der.loss == "binary_cross_entropy" and "loss" in eq:
        out.append(("2A.13", show(en["loss"], csdn), _CSDN_REF))
        out.append(("2A.14", show(eq["loss"], csdn), _CSDN_REF))
    steps = hidden_delta_steps(der)
    if steps:
        chain = mx.Equalities(mx.Vec("delta", LAYER - 1), tuple(steps), (1, 3, 4, 6))
        out.append(("2A.12", show(chain, _csdn_derivation(der)), _CSDN_REF))
    steps = output_delta_steps(der) if der.loss == "binary_cross_entropy" else []
    if steps:
        chain = mx.Equalities(mx.Vec("delta", DEPTH), tuple(steps), (1, 3, 4, 5))
        diagonal = replace(_csdn_derivation(der), plain_activation_entries=True)
        out.append(("2A.15", show(chain, diagonal), _CSDN_REF))
    if _output_error_is_a_minus_y(der):
        out.append(("2A.16", show(eq["delta_L_simplified"], csdn), _CSDN_REF))
    return [
        PrintedEquation(label, tex, ref, False)
        if label.startswith(_THIS_NETWORK)
        else PrintedEquation(label, tex, f"{ref}, {label}")
        for label, tex, ref in out
    ]


def _residual(node: mx.Node) -> mx.Node:
    """UFLDL writes the error as -(y - a): a - y becomes -(y - a) (the same value)."""
    if isinstance(node, mx.Add) and len(node.args) == 2 and isinstance(node.args[1], mx.Neg):
        return mx.Neg(mx.Add(node.args[1].arg, mx.Neg(node.args[0])))
    if isinstance(node, mx.Product):
        return mx.Product(*[_residual(a) for a in node.args])
    return node


def _as_norm(node: mx.Node) -> mx.Node | None:
    """c u^T u as c ||u||^2, the residual written y - a^L(x)."""
    if not (isinstance(node, mx.Scaled) and isinstance(node.arg, mx.MatMul)):
        return None
    left, right = node.arg.args
    if not (isinstance(left, mx.T) and left.arg == right):
        return None
    residual = _residual(right)
    inner = residual.arg if isinstance(residual, mx.Neg) else residual
    inner = mx.replace_nodes(inner, {mx.Vec("a", DEPTH): mx.Output()})
    return mx.Scaled(node.coefficient, mx.Power(mx.Norm(inner), 2))


def _ufldl_output(der: GenericDerivation) -> mx.Node | None:
    """delta^L_i from its definition through the squared error to -(y_i - a_i) f'(z_i)."""
    loss, delta = der.equations.get("loss"), der.entries.get("delta_L_loss")
    norm = None if loss is None else _as_norm(loss.rhs)
    if norm is None or delta is None:
        return None
    j = delta.lhs.indices[0]
    z_j = mx.Elem("z", DEPTH, (j,))
    in_outputs = _residual(delta.rhs)
    in_z = mx.replace_nodes(
        in_outputs, {mx.Elem("a", DEPTH, (j,)): mx.Apply(mx.Fn("f", DEPTH), (z_j,))}
    )
    steps = (mx.Partial(mx.Cost(), z_j), mx.Partial(norm, z_j), in_z, in_outputs)
    return mx.Equalities(delta.lhs, steps)


def _ufldl(der: GenericDerivation) -> list[PrintedEquation]:
    style = style_for(nt.UFLDL)
    en = der.entries

    def show(node: mx.Node, s: Style = style) -> str:
        return GenericPrinter(s).doprint(_shifted(node, s))

    out = []
    output = _ufldl_output(der)
    if output is not None:
        out.append(("U1", show(output, replace(style, product="\\cdot"))))
    out.append(("U2", show(en["delta_recursion"])))
    pair = [show(en["grad_W"])]
    if "grad_b" in en:
        pair.append(show(en["grad_b"]))
    out.append(("U3", ",\\qquad ".join(pair)))
    note = replace(style, cost="C", operator_derivative=False, notation=nt.NIELSEN.name)
    update = der.equations["update_W"]
    grad_j = en.get("grad_J")
    if grad_j is not None:  # over m examples the step is D = dJ/dW (2B.9c), dJ/dw on the slide
        update = mx.replace_nodes(update, {mx.Mat(grad_j.rhs.kind, grad_j.rhs.layer): grad_j.lhs})
    shown = _shorthand(replace(update, relation="update"))
    out.append(("U4", GenericPrinter(note).doprint(shown)))
    return [PrintedEquation(label, tex, f"{_UFLDL_REF}, {label}") for label, tex in out]


SOURCE_STYLES: tuple[tuple[str, str | None], ...] = tuple(
    (n.name, style) for n in nt.REGISTRY.values() for style in n.hadamard_styles or (None,)
)
"""Every (notation, Hadamard style) :func:`equations` prints: the sources' own equation sets."""


def equations(
    derivation: GenericDerivation, notation: str, hadamard: str | None = None
) -> list[PrintedEquation]:
    """The derivation's equations as the source of ``notation`` writes them, in its order.

    ``hadamard`` picks Wikipedia's revision: ``"cdot"`` (the note's images) or ``"circ"``.
    A notation with no transcribed source of its own (no builder here) has none.
    """
    source = nt.get_notation(notation)
    builder = _BUILDERS.get(source.name)
    if source.hadamard_styles:
        return builder(derivation, source.hadamard_style(hadamard)) if builder else []
    if hadamard is not None:
        raise SpecError("the Hadamard style (cdot, circ) is a choice of the wikipedia notation")
    return builder(derivation) if builder else []


_BUILDERS = {
    nt.WIKIPEDIA.name: _wikipedia,
    nt.NIELSEN.name: _nielsen,
    nt.NG.name: _ng,
    nt.UFLDL.name: _ufldl,
}
"""The function that prints each source's own equation set."""
