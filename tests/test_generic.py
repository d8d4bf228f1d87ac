"""The generic derivation: its equations, and their instances equal the concrete derivation."""

from __future__ import annotations

from functools import cache

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symbp.derive.concrete import derive
from symbp.derive.generic import derive_generic
from symbp.derive.instantiate import LAYER, evaluate
from symbp.errors import SpecError
from symbp.model import network

CASES = [
    ([2, 3, 2], "sigmoid", "sigmoid", "mse", "explicit"),
    ([3, 2, 2, 1], "tanh", "sigmoid", "bce", "explicit"),
    ([2, 3, 2], "relu", "softmax", "cross-entropy", "explicit"),
    ([3, 2, 2, 1], "sigmoid", "sigmoid", "bce", "unit"),
    ([2, 3, 2], "softplus", "identity", "mse", "unit"),
]


@cache
def _pair(sizes, hidden, output, loss, bias):
    net = network(list(sizes), hidden, output, loss, bias=bias)
    return net, derive(net), derive_generic(hidden, output, loss, bias)


def _in_z(expr, net):
    """Every activation symbol replaced by its definition in z; softmax targets sum to 1."""
    fwd = derive(net).forward
    out = sympy.sympify(expr).xreplace({fwd.a[key]: value for key, value in fwd.a_def.items()})
    if net.loss.assumptions:
        *first, last = fwd.y
        out = out.xreplace({last: 1 - sum(first)})
    return out


def _same(x, y, net) -> bool:
    return sympy.simplify(_in_z(x - y, net)) == 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_output_delta_equals_the_concrete_one(case):
    net, concrete, generic = _pair(tuple(case[0]), *case[1:])
    for name in ("delta_L", "delta_L_simplified"):
        column = evaluate(generic.equations[name].rhs, net, {})
        for j in range(net.sizes[-1]):
            assert _same(column[j], concrete.deltas[(net.L, j + 1)], net), (name, j)


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_delta_recursion_equals_the_concrete_one(case):
    net, concrete, generic = _pair(tuple(case[0]), *case[1:])
    for layer in range(2, net.L + 1):
        column = evaluate(generic.equations["delta_recursion"].rhs, net, {LAYER: layer})
        assert column.rows == net.sizes[layer - 1]
        for j in range(column.rows):
            assert _same(column[j], concrete.deltas[(layer - 1, j + 1)], net)


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_parameter_and_input_gradients_equal_the_concrete_ones(case):
    net, concrete, generic = _pair(tuple(case[0]), *case[1:])
    first = 0 if net.bias == "unit" else 1
    for layer in range(1, net.L + 1):
        grad_w = evaluate(generic.equations["grad_W"].rhs, net, {LAYER: layer})
        for (w_layer, j, k), w in concrete.forward.weights.items():
            if w_layer == layer:
                assert grad_w[j - 1, k - first] == concrete.gradients[w]
        if net.bias == "explicit":
            grad_b = evaluate(generic.equations["grad_b"].rhs, net, {LAYER: layer})
            for (b_layer, j), b in concrete.forward.biases.items():
                if b_layer == layer:
                    assert grad_b[j - 1] == concrete.gradients[b]
    grad_x = evaluate(generic.equations["grad_x"].rhs, net, {})
    assert list(grad_x) == [concrete.grad_x[k] for k in range(1, net.sizes[0] + 1)]


def test_ng_regularised_mean_leaves_the_bias_column_out():
    generic = derive_generic("sigmoid", "sigmoid", "bce", "unit", examples=True, l2=True)
    assert str(generic.equations["mean_grad"]) == "D^l := 1/m (Delta^l + lambda W^l)"
    assert str(generic.entries["mean_grad_bias"]) == "D^l_jk := 1/m (Delta^l_jk)"
    assert "column 0 of Theta (the bias) is not regularised" in generic.assumptions
    net = network([2, 2, 1], "sigmoid", "sigmoid", "bce", bias="unit", examples=4, l2="1/2")
    concrete = derive(net)
    lam, m = net.l2, net.examples
    for (_, _, k), w in concrete.forward.weights.items():
        assert concrete.regularisation(w) == (lam / m * w if k else 0)


def test_explicit_biases_are_not_regularised_and_have_no_bias_case():
    generic = derive_generic("sigmoid", "sigmoid", "bce", "explicit", examples=True, l2=True)
    assert "mean_grad_bias" not in generic.entries
    assert generic.assumptions == []


def test_softmax_cross_entropy_records_its_assumption():
    generic = derive_generic("sigmoid", "softmax", "cross-entropy")
    assert str(generic.equations["delta_L"]) == "delta^L = (J^L)^T grad_a^L C"
    assert str(generic.equations["delta_L_simplified"]) == "delta^L = a^L - y"
    assert any("sum_j y_j = 1" in a for a in generic.assumptions)


def test_sigmoid_cross_entropy_cancels_without_assumption():
    generic = derive_generic("sigmoid", "sigmoid", "bce")
    assert str(generic.equations["delta_L_simplified"]) == "delta^L = a^L - y"
    assert generic.assumptions == []


def test_steps_name_rules_and_sources():
    generic = derive_generic()
    rules = [s.rule.value for s in generic.steps_for("grad_W")]
    assert rules[0] == "chain rule" and rules[-1] == "simplify"
    assert "KroneckerDelta" in str(generic.steps_for("grad_W")[1].rhs)
    assert generic.steps_for("grad_W")[-1].matrix == generic.equations["grad_W"]
    text = str(generic)
    assert "grad_W^l C = delta^l (a^(l - 1))^T" in text


def test_bad_options_raise_one_clear_error():
    with pytest.raises(SpecError, match="known: explicit, unit"):
        derive_generic(bias="both")
    with pytest.raises(SpecError, match="must be elementwise"):
        derive_generic(hidden="softmax")
    with pytest.raises(SpecError, match="needs outputs in"):
        derive_generic(output="tanh", loss="bce")


def test_custom_activation_and_loss_go_through_the_same_path():
    import sympy

    from symbp.activations import custom_activation
    from symbp.latex.printer import print_node
    from symbp.losses import custom_loss

    t, a, y = sympy.symbols("t a y")
    cube = custom_activation(t**3 / 3, t, "cube")
    quartic = custom_loss((a - y) ** 4, a, y, "quartic")
    generic = derive_generic(cube, "sigmoid", quartic)
    assert generic.hidden == "cube" and generic.loss == "quartic"
    assert str(generic.equations["delta_L_loss"]) == (
        "delta^L = 4 ((a^L - y) o (a^L - y) o (a^L - y) o (f^L)')"
    )
    assert "\\frac{4}{1}" not in print_node(generic.equations["delta_L_loss"], "nielsen")


def test_generic_for_a_network_takes_its_options():
    from symbp.derive.generic import derive_generic_for

    net = network([3, 4, 2], "relu", "softmax", "cce", bias="unit", examples=8, l2="0.1")
    generic = derive_generic_for(net)
    assert (generic.hidden, generic.output, generic.bias) == ("relu", "softmax", "unit")
    assert "mean_grad_bias" in generic.entries


_PAIRS = [
    ("sigmoid", "mse"),
    ("sigmoid", "bce"),
    ("tanh", "mse"),
    ("identity", "mse"),
    ("softmax", "cross-entropy"),
]


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 3), min_size=2, max_size=4),
    hidden=st.sampled_from(["sigmoid", "tanh", "relu", "softplus"]),
    pair=st.sampled_from(_PAIRS),
    bias=st.sampled_from(["explicit", "unit"]),
)
def test_random_architectures_instantiate_to_the_concrete_derivation(sizes, hidden, pair, bias):
    output, loss = pair
    if output == "softmax":
        sizes = [*sizes[:-1], max(sizes[-1], 2)]
    net, concrete, generic = _pair(tuple(sizes), hidden, output, loss, bias)
    for j in range(net.sizes[-1]):
        column = evaluate(generic.equations["delta_L"].rhs, net, {})
        assert _same(column[j], concrete.deltas[(net.L, j + 1)], net)
    first = 0 if bias == "unit" else 1
    for layer in range(1, net.L + 1):
        if layer > 1:
            back = evaluate(generic.equations["delta_recursion"].rhs, net, {LAYER: layer})
            for j in range(back.rows):
                assert _same(back[j], concrete.deltas[(layer - 1, j + 1)], net)
        grad_w = evaluate(generic.equations["grad_W"].rhs, net, {LAYER: layer})
        for (w_layer, j, k), w in concrete.forward.weights.items():
            if w_layer == layer:
                assert grad_w[j - 1, k - first] == concrete.gradients[w]
