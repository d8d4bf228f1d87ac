"""The proof by induction over the layers: it proves what the composed loss proves, scales past
it, and refuses a tampered delta or gradient."""

from __future__ import annotations

import pytest
import sympy

from symbp.derive.concrete import derive
from symbp.derive.proof import prove
from symbp.derive.proof_induction import local_derivative, monomial_lemma, prove_by_induction
from symbp.model import network

NETWORKS = [
    ([2, 3, 2], dict(hidden="sigmoid", output="softmax", loss="cross-entropy")),
    ([2, 3, 1], dict(hidden="relu", output="sigmoid", loss="bce")),
    ([3, 2, 2, 2], dict(hidden="tanh", output="identity", loss="mse")),
    ([2, 2, 1], dict(hidden="softplus", output="sigmoid", loss="bce", bias="unit")),
    ([2, 2, 2], dict(hidden="leaky_relu(0.1)", output="tanh", loss="mse", examples=3, l2="0.5")),
    ([2, 3, 3], dict(activations=["softmax", "softmax"], loss="cross-entropy")),
]


def _everything(der):
    return {p.name for p in der.forward.parameters} | {x.name for x in der.forward.x}


@pytest.mark.parametrize(("sizes", "options"), NETWORKS)
def test_induction_proves_every_quantity_and_every_delta(sizes, options):
    der = derive(network(sizes, **options))
    result = prove_by_induction(der)
    assert result.quantities == _everything(der)
    assert result.deltas == set(der.forward.delta.values())
    report = prove(der, method="induction")
    assert report.ok and report.count("symbolic") == len(report.lines) == len(_everything(der))
    assert all(line.argument == "induction" for line in report.lines)
    assert ("kink convention" in report.lines[0].detail) == (options.get("hidden") == "relu")


def test_past_the_composed_limit_auto_proves_by_induction_and_says_so():
    der = derive(network([6, 10, 8, 4], "sigmoid", "softmax", "cross-entropy"))
    assert der.network.parameter_count > 100
    report = prove(der)
    assert report.ok and report.count("symbolic") == len(report.lines) == report.total == 200
    assert "200 of 200 quantities proved symbolically (200 by induction over the layers)" in (
        report.summary()
    )
    assert report.lines[0].detail.startswith("by induction over the layers")


def test_a_tampered_gradient_is_not_proved_and_fails_numerically():
    der = derive(network([6, 10, 8, 4], "sigmoid", "softmax", "cross-entropy"))
    w = sympy.Symbol("w2_3_4", real=True)
    der.gradients[w] = der.gradients[w] * (1 + sympy.Rational(1, 10**6))
    assert "w2_3_4" not in prove_by_induction(der).quantities
    report = prove(der)
    failed = [line for line in report.lines if not line.holds]
    assert [line.quantity for line in failed] == ["w2_3_4"] and failed[0].method == "numeric"
    assert report.count("symbolic") == len(report.lines) - 1


def test_a_tampered_hidden_delta_fails_every_quantity_that_rests_on_it():
    der = derive(network([3, 4, 3, 2], "tanh", "sigmoid", "bce"))
    delta = der.forward.delta[(2, 2)]
    der.deltas[(2, 2)] = der.deltas[(2, 2)] + sympy.Symbol("a2_2", real=True) / 999
    result = prove_by_induction(der)
    assert delta not in result.deltas
    assert not {der.forward.delta[(1, j)] for j in range(1, 5)} & result.deltas
    # delta^1 rests on delta^2_2, so every layer-1 quantity and every input does too
    resting = {"w2_2_1", "w2_2_2", "w2_2_3", "w2_2_4", "b2_2"}
    resting |= {p.name for p in der.forward.parameters if p.name.startswith(("w1_", "b1_"))}
    resting |= {"x1", "x2", "x3"}
    assert _everything(der) - result.quantities == resting
    report = prove(der, method="induction")
    failed = {line.quantity for line in report.lines if not line.holds}
    assert failed == resting and report.count("symbolic") == len(_everything(der) - resting)


def test_a_tampered_output_delta_and_swapped_indices_are_caught():
    der = derive(network([2, 3, 2], "sigmoid", "softmax", "cross-entropy"))
    y1 = der.forward.y[0]
    der.deltas[(2, 1)] = der.deltas[(2, 1)] + y1 / 100
    assert der.forward.delta[(2, 1)] not in prove_by_induction(der).deltas
    der = derive(network([2, 3, 2], "sigmoid", "softmax", "cross-entropy"))
    d21, d22 = der.forward.delta[(2, 1)], der.forward.delta[(2, 2)]
    der.deltas[(1, 3)] = der.deltas[(1, 3)].xreplace({d21: d22, d22: d21})
    result = prove_by_induction(der)
    assert der.forward.delta[(1, 3)] not in result.deltas
    assert {"w1_3_1", "w1_3_2", "b1_3", "x1", "x2"} == _everything(der) - result.quantities


def test_a_network_that_is_not_layered_is_left_to_other_methods():
    der = derive(network([2, 2, 1], "sigmoid", "sigmoid", "mse"))
    x1 = der.forward.x[0]
    der.forward.z_def[(2, 1)] = der.forward.z_def[(2, 1)] + x1  # a skip connection
    assert prove_by_induction(der).quantities == set()


def test_the_local_derivative_lemma():
    assert all(monomial_lemma(n) for n in (1, 2, 3))
    w, a, b = sympy.symbols("w a b", real=True)
    assert local_derivative(w * a, a) == w and local_derivative(b, b) == 1
    assert local_derivative(w * a, b) == 0
    assert local_derivative(3 * w**2, w) == 6 * w  # not an instance: sympy.diff
