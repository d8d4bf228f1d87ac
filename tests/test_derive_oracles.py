"""Every gradient symbp derives, against two independent oracles, over every registry pair."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.activations import ACTIVATIONS, get_activation
from symbp.derive.concrete import derive
from symbp.losses import fitting_pairs
from symbp.model import network
from tests.oracles import (
    backprop_values,
    close,
    finite_difference_values,
    random_point,
    sympy_diff_values,
)

PAIRS = fitting_pairs()


def _check_against_oracles(net, seed=0):
    der = derive(net)
    point = random_point(der, seed)
    got = backprop_values(der, point)
    direct = sympy_diff_values(der, point)
    fd = finite_difference_values(der, point)
    for v, value in got.items():
        assert close(value, direct[v], 1e-9), (v, value, direct[v])
        assert close(value, fd[v], 1e-5, 1e-7), (v, value, fd[v])
    return der


@pytest.mark.parametrize(("output", "loss"), PAIRS)
def test_every_output_loss_pair_matches_both_oracles(output, loss):
    _check_against_oracles(network([2, 3, 2], "tanh", output, loss))


@pytest.mark.parametrize("hidden", list(ACTIVATIONS))
def test_every_hidden_activation_matches_both_oracles(hidden):
    if not get_activation(hidden).elementwise:
        _check_against_oracles(network([2, 3, 2], hidden, "sigmoid", "mse"))
    else:
        _check_against_oracles(network([2, 3, 1], hidden, "sigmoid", "bce"))


def test_at_least_the_documented_pairs_fit():
    assert ("sigmoid", "binary_cross_entropy") in PAIRS
    assert ("softmax", "categorical_cross_entropy") in PAIRS
    assert ("tanh", "binary_cross_entropy") not in PAIRS


def test_bias_unit_and_three_layers_match_both_oracles():
    _check_against_oracles(network([2, 2, 2, 1], "sigmoid", "sigmoid", "bce", bias="unit"))


@pytest.mark.parametrize(("output", "loss"), [("sigmoid", "bce"), ("softmax", "cross-entropy")])
def test_output_delta_is_a_minus_y(output, loss):
    der = derive(network([2, 3, 3], "tanh", output, loss))
    for j in range(1, 4):
        a, y = sympy.Symbol(f"a2_{j}", real=True), sympy.Symbol(f"y{j}", real=True)
        assert der.deltas[(2, j)] == a - y


def test_softmax_cross_entropy_records_the_targets_sum_assumption():
    der = derive(network([2, 2], "sigmoid", "softmax", "cross-entropy"))
    assert [a.latex for a in der.assumptions] == [r"\sum_j y_j = 1"]
    assert derive(network([2, 1], "sigmoid", "sigmoid", "bce")).assumptions == []


def test_squared_error_sigmoid_delta_keeps_the_activation_derivative():
    der = derive(network([1, 1], "sigmoid", "sigmoid", "mse"))
    a, y = sympy.Symbol("a1_1", real=True), sympy.Symbol("y1", real=True)
    assert sympy.expand(der.deltas[(1, 1)] - (a - y) * a * (1 - a)) == 0


def test_hidden_delta_is_the_weighted_sum_times_the_derivative():
    der = derive(network([2, 2, 3], "tanh", "identity", "mse"))
    s = {name: sympy.Symbol(name, real=True) for name in ("a1_2",)}
    weighted = sum(
        sympy.Symbol(f"w2_{k}_2", real=True) * sympy.Symbol(f"delta2_{k}", real=True)
        for k in range(1, 4)
    )
    assert sympy.expand(der.deltas[(1, 2)] - weighted * (1 - s["a1_2"] ** 2)) == 0


def test_weight_gradient_is_delta_times_previous_activation():
    der = derive(network([3, 2, 2], "sigmoid", "sigmoid", "mse"))
    for (layer, j, k), w in der.forward.weights.items():
        prev = der.forward.previous(layer - 1)[k - 1]
        assert der.gradients[w] == der.forward.delta[(layer, j)] * prev
    for (layer, j), b in der.forward.biases.items():
        assert der.gradients[b] == der.forward.delta[(layer, j)]


def test_steps_name_rules_and_sources():
    der = derive(network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
    rules = [s.rule.value for s in der.steps_for("delta2_1")]
    assert rules[:4] == [
        "definition",
        "chain rule",
        "differentiate the loss",
        "derivative of the activation",
    ]
    assert rules[-1] == "simplify"
    steps = der.steps_for("w1_2_1")
    assert steps[0].source.startswith("z1_2 = ")
    assert steps[-1].rhs == sympy.Symbol("delta1_2", real=True) * sympy.Symbol("x1", real=True)
    with pytest.raises(Exception, match="not a delta, parameter or input"):
        der.steps_for("w9_9_9")


FITTING_OUTPUTS = [(o, lo) for o, lo in PAIRS]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
    hidden=st.sampled_from([a for a in ACTIVATIONS if get_activation(a).elementwise]),
    pair=st.sampled_from(FITTING_OUTPUTS),
    seed=st.integers(0, 10_000),
)
def test_random_architectures_match_finite_differences(sizes, hidden, pair, seed):
    output, loss = pair
    if not get_activation(output).elementwise and sizes[-1] < 2:
        sizes = [*sizes[:-1], 2]
    der = derive(network(sizes, hidden, output, loss))
    point = random_point(der, seed)
    got = backprop_values(der, point)
    fd = finite_difference_values(der, point)
    for v, value in got.items():
        assert close(value, fd[v], 1e-4, 1e-6), (v, value, fd[v])


def test_direct_gradient_is_sympy_diff_of_the_composed_loss():
    der = derive(network([2, 2, 1], "tanh", "sigmoid", "bce"))
    w = sympy.Symbol("w1_2_1", real=True)
    assert der.direct_gradient("w1_2_1") == sympy.diff(der.forward.composed_loss(), w)


def test_a_custom_pair_goes_through_the_same_path_to_a_minus_y():
    from symbp.activations import custom_activation
    from symbp.losses import custom_loss

    t, a, y = sympy.symbols("t a y")
    sig = custom_activation(1 / (1 + sympy.exp(-t)), t, name="mysig", output_range=(0, 1))
    bce = custom_loss(-y * sympy.log(a) - (1 - y) * sympy.log(1 - a), a, y)
    der = _check_against_oracles(network([2, 2, 1], "tanh", sig, bce))
    assert der.deltas[(2, 1)] == sympy.Symbol("a2_1", real=True) - sympy.Symbol("y1", real=True)
