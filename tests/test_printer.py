"""The generic printer, its styles and the LaTeX normaliser the golden test relies on."""

from __future__ import annotations

import pytest

from symbp.derive import chains
from symbp.derive import matrix as mx
from symbp.derive.generic import derive_generic
from symbp.derive.matrix import DEPTH, LAYER
from symbp.errors import SpecError
from symbp.latex.printer import GenericPrinter, print_node, style_for
from symbp.latex.printer_normalise import normalise
from symbp.latex.printer_sources import DEVIATIONS, SOURCE_STYLES, deviations, equations
from symbp.losses import fitting_pairs


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (r"{\displaystyle \delta ^{l}}", r"\delta^l"),
        (r"x = y.", "x=y"),
        (r"x = y,", "x=y"),
        (r"{\frac {dC}{da^{L}}}", r"\frac{dC}{da^L}"),
        (r"\frac \partial {\partial w}", r"\frac{\partial}{\partial w}"),
        (r"a^{l-1}_k", r"a_{k}^{l-1}"),
        (r"a^{{l}}", r"a^l"),
        (r"\begin{aligned}x&=1,\end{aligned}", r"\begin{aligned}x&=1\end{aligned}"),
        (r"a_{\rm in}", r"a_{\rm  in}"),
    ],
)
def test_normalise_ignores_what_does_not_render(a, b):
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (r"\delta^{l}", r"\delta^{l+1}"),
        (r"(W^{l})^{T}", r"W^{lT}"),
        (r"x=y.z", r"x=yz"),
        (r"\frac{a}{b}", r"\dfrac{a}{b}"),
        (r"\rm in", r"\rmin"),
        (r"a^{b_c}", r"a^b_c"),
    ],
)
def test_normalise_keeps_what_renders_differently(a, b):
    assert normalise(a) != normalise(b)


def test_every_node_class_has_a_printer_method():
    classes = [
        c
        for c in vars(mx).values()
        if isinstance(c, type)
        and issubclass(c, mx.Node)
        and not c.__name__.startswith("_")
        and c is not mx.Node
    ]
    for cls in classes:
        assert hasattr(GenericPrinter, f"_print_{cls.__name__}"), cls.__name__


def test_softmax_output_prints_its_jacobian_transposed():
    der = derive_generic(output="softmax", loss="cross-entropy")
    tex = print_node(der.equations["delta_L"], "wikipedia", "circ")
    assert normalise(tex) == normalise(r"\delta^{L} = (J^{L})^{T}\cdot \nabla_{a^{L}}C")
    simplified = print_node(der.equations["delta_L_simplified"], "ng")
    assert normalise(simplified) == normalise(r"\delta^{(L)} = a^{(L)} - y")


def test_hadamard_styles_and_names_per_notation():
    recursion = derive_generic().equations["delta_recursion"]
    cdot = print_node(recursion, "wikipedia", "cdot")
    assert "\\circ" not in cdot and cdot.count("\\cdot") == 2
    assert "\\odot" in print_node(recursion, "nielsen")
    assert "\\ .*\\ " in print_node(recursion, "ng")
    assert "\\Theta^{(l)}" in print_node(recursion, "ng")
    assert "(W^{(l)})^{T}" in print_node(recursion, "ufldl")


def test_output_form_of_the_hidden_derivative_follows_the_activation():
    tanh = derive_generic(hidden="tanh").equations["fprime_output_form"]
    assert normalise(print_node(tanh, "ng")) == normalise(r"g'(z^{(l)}) = 1 - a^{(l)}\ .*\ a^{(l)}")
    assert "fprime_output_form" not in derive_generic(hidden="relu").equations


def test_unrolled_products_are_short_when_the_depth_is_known():
    der = derive_generic()
    assert mx.ELLIPSIS in chains.delta_product(der, LAYER).chain(3, 5).items
    known = chains.delta_product(der, DEPTH - 2).chain(3, 5)
    assert mx.ELLIPSIS not in known.items
    assert len(known.items) == 6


def test_nielsen_diagonal_form():
    der = derive_generic()
    tex = print_node(chains.diagonal_form(der.equations["delta_L"]), "nielsen")
    assert normalise(tex) == normalise(r"\delta^L = \Sigma'(z^L) \nabla_a C")


def test_style_and_notation_errors_are_one_clear_line():
    der = derive_generic()
    with pytest.raises(SpecError, match="known: cdot, circ"):
        style_for("wikipedia", "dot")
    with pytest.raises(SpecError, match="known: wikipedia, ng, nielsen, ufldl"):
        equations(der, "bishop")
    with pytest.raises(SpecError, match="wikipedia notation"):
        equations(der, "nielsen", hadamard="circ")
    with pytest.raises(SpecError, match="unknown notation"):
        print_node(der.equations["grad_W"], "bishop")


def _balanced(tex: str) -> bool:
    depth = 0
    for ch in tex.replace("\\{", "").replace("\\}", ""):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0 and tex.count("\\left") == tex.count("\\right")


def test_deviations_are_printable_notes():
    assert {d.label for d in deviations("wikipedia", "cdot")} == {"1A.6"}
    for d in DEVIATIONS:
        assert d.note.endswith(".") and d.reference != d.symbp
        assert _balanced(d.reference) and _balanced(d.symbp), d.label
        assert not set(d.note) & set("\\^{}$"), d.note  # plain prose: writeups print it as text


def test_equations_carry_source_references():
    for eq in equations(derive_generic(loss="mse"), "nielsen"):
        assert eq.source_ref.startswith("Nielsen") and eq.latex
    labels = [e.label for e in equations(derive_generic(), "wikipedia", "circ")]
    assert labels == [f"1B.{i}" for i in range(1, 10)]


def test_no_sympy_default_latex_leaks():
    der = derive_generic(
        output="softmax", loss="cross-entropy", bias="unit", examples=True, l2=True
    )
    for notation in ("wikipedia", "ng", "nielsen", "ufldl"):
        for eq in equations(der, notation):
            assert "mapsto" not in eq.latex and "operatorname{Piecewise}" not in eq.latex


@pytest.mark.slow
@pytest.mark.parametrize(("output", "loss"), fitting_pairs())
@pytest.mark.parametrize("hidden", ["sigmoid", "relu", "leaky_relu", "identity"])
def test_every_registry_pair_derives_and_prints_in_every_notation(hidden, output, loss):
    der = derive_generic(hidden, output, loss, bias="unit", examples=True, l2=True)
    assert {"delta_L", "delta_recursion", "grad_W", "grad_x"} <= set(der.equations)
    for notation, hadamard in SOURCE_STYLES:
        for eq in equations(der, notation, hadamard):
            assert eq.latex and "None" not in eq.latex


def _pairs_that_fit():
    """Every (output activation, loss) of the registries that a network accepts, built as
    tests/test_derive_oracles.py builds its PAIRS."""
    from symbp.activations import ACTIVATIONS
    from symbp.losses import LOSSES
    from symbp.model import network

    for output in ACTIVATIONS:
        for loss in LOSSES:
            try:
                network([2, 2, 2], "tanh", output, loss)
            except SpecError:
                continue
            yield output, loss


@pytest.mark.parametrize("bias", ["explicit", "unit"])
@pytest.mark.parametrize(("notation", "hadamard"), SOURCE_STYLES)
@pytest.mark.parametrize(("output", "loss"), list(_pairs_that_fit()))
def test_every_fitting_pair_prints_its_equations_in_every_notation(
    output, loss, notation, hadamard, bias
):
    printed = equations(derive_generic("tanh", output, loss, bias=bias), notation, hadamard)
    assert printed
    assert all(e.latex and e.label and e.source_ref for e in printed)


def _labels(der, notation="ng"):
    return [e.label for e in equations(der, notation)]


@pytest.mark.parametrize("output", ["sigmoid", "tanh"])
def test_ng_squared_error_prints_its_own_output_error_not_the_sources(output):
    printed = equations(derive_generic("sigmoid", output, "mse"), "ng")
    labels = [e.label for e in printed]
    assert not {"2B.4", "2B.7", "2A.16", "2A.13", "2A.15"} & set(labels)
    first = printed[0]
    assert first.label == "this network: output error" and not first.from_source
    assert first.latex == "\\delta^{(L)} = (a^{(L)} - y)\\ .*\\ g'(z^{(L)})"
    assert all(e.from_source for e in printed if not e.label.startswith("this network"))


@pytest.mark.parametrize(("output", "loss"), [("identity", "mse"), ("softmax", "cce")])
def test_ng_output_error_a_minus_y_is_printed_wherever_it_holds(output, loss):
    labels = _labels(derive_generic("sigmoid", output, loss))
    assert {"2B.4", "2B.7", "2A.16"} <= set(labels)


def test_ng_sigmoid_forms_are_the_sources_only_for_a_sigmoid_hidden_layer():
    assert {"2B.5b", "2B.6"} <= set(_labels(derive_generic("sigmoid", "sigmoid", "bce")))
    tanh = equations(derive_generic("tanh", "sigmoid", "bce"), "ng")
    assert not {"2B.5b", "2B.6"} & {e.label for e in tanh}
    own = [e for e in tanh if e.label == "this network: g' in a"]
    assert own[0].latex == "g'(z^{(l)}) = 1 - a^{(l)}\\ .*\\ a^{(l)}"


def test_weight_entries_are_lowercase_in_wikipedia_only():
    entry = mx.Elem("W", LAYER, (mx.ROW, mx.COL))
    assert print_node(entry, "wikipedia", shift=False) == "w_{jk}^{l}"
    assert print_node(mx.Mat("W", LAYER), "wikipedia", shift=False) == "W^{l}"
    assert print_node(entry, "nielsen", shift=False) == "w^{l+1}_{jk}"  # input is layer 1
    assert print_node(entry, "ng", shift=False) == "\\Theta_{i,j}^{(l)}"
    assert print_node(entry, "ufldl", shift=False) == "W_{ij}^{(l)}"


@pytest.mark.parametrize(
    ("notation", "rate"),
    [("wikipedia", "\\eta"), ("nielsen", "\\eta"), ("ng", "\\alpha"), ("ufldl", "\\eta")],
)
def test_update_uses_each_sources_learning_rate(notation, rate):
    update = print_node(derive_generic().equations["update_W"], notation)
    assert f" - {rate} \\nabla_" in update


def test_ng_forward_step_shows_the_bias_unit_and_2b1_counts_it_in():
    unit = derive_generic(bias="unit")
    forward = print_node(unit.equations["forward_z"], "ng", shift=False)
    assert forward == "z^{(l+1)} = \\Theta^{(l)} \\begin{pmatrix}1\\\\ a^{(l)}\\end{pmatrix}"
    printed = {e.label: e.latex for e in equations(unit, "ng")}
    assert printed["2B.1"] == "z^{(j+1)} = \\Theta^{(j)} a^{(j)}"
    assert "2B.1" not in _labels(derive_generic(bias="explicit"))
    explicit = print_node(derive_generic().equations["forward_z"], "ng", shift=False)
    assert explicit == "z^{(l+1)} = \\Theta^{(l)} a^{(l)} + b^{(l)}"
