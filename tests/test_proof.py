"""The proof report: methods named honestly, and a wrong gradient caught."""

from __future__ import annotations

import pytest
import sympy

from symbp.derive.concrete import derive
from symbp.derive.proof import prove
from symbp.errors import SymbpError
from symbp.model import network


def test_small_sigmoid_network_is_proved_symbolically():
    report = prove(derive(network([2, 2, 1], "sigmoid", "sigmoid", "bce")))
    assert report.ok
    assert report.count("symbolic") == 11
    assert all("simplifies to 0" in line.detail for line in report.lines)


def test_softmax_proof_lists_the_assumption():
    report = prove(derive(network([2, 2], "tanh", "softmax", "cross-entropy")))
    assert report.ok and report.count("symbolic") == 8
    assert report.assumptions == [
        "the targets form a probability distribution: sum_j y_j = 1 (one-hot labels do)"
    ]


def test_relu_proof_states_the_kink_convention():
    report = prove(derive(network([2, 2, 1], "relu", "sigmoid", "bce")))
    assert report.ok
    first_layer = [line for line in report.lines if line.quantity == "w1_1_1"][0]
    assert first_layer.method == "symbolic"
    assert "kink convention" in first_layer.detail


def test_numeric_agreement_is_never_called_a_proof():
    report = prove(derive(network([2, 2, 1], "tanh", "sigmoid", "mse")), method="numeric")
    assert report.ok and report.count("numeric") == 11
    for line in report.lines:
        assert line.detail.endswith("not a proof")
        assert line.max_relative_error < 1e-30
    assert "0 of 11 quantities proved symbolically, 11 agreed numerically" in report.summary()


@pytest.mark.parametrize("method", ["symbolic", "numeric"])
def test_mean_over_examples_and_l2_with_the_bias_unit(method):
    net = network([2, 2, 1], "sigmoid", "sigmoid", "bce", bias="unit", examples=3, l2="0.5")
    report = prove(derive(net), method=method)
    assert report.ok and report.count(method) == 11


@pytest.mark.parametrize("method", ["symbolic", "numeric"])
def test_a_wrong_gradient_fails(method):
    der = derive(network([2, 2, 1], "sigmoid", "sigmoid", "mse"))
    w = sympy.Symbol("w1_1_2", real=True)
    der.gradients[w] = der.gradients[w] * 2
    report = prove(der, method=method)
    assert not report.ok
    failed = [line.quantity for line in report.lines if not line.holds]
    assert failed == ["w1_1_2"]


def test_unknown_method_is_an_error():
    with pytest.raises(SymbpError, match="unknown proof method 'guess'"):
        prove(derive(network([1, 1])), method="guess")


def test_softmax_networks_are_proved_symbolically_and_a_wrong_softmax_gradient_fails():
    net = network([2, 3, 3], "softmax", "softmax", "cross-entropy")
    der = derive(net)
    report = prove(der)
    assert report.ok and report.count("symbolic") == len(report.lines) == 23
    w = sympy.Symbol("w1_2_1", real=True)
    der.gradients[w] = der.gradients[w] + sympy.Symbol("a1_1", real=True) * 1e-3
    failed = [line for line in prove(der).lines if not line.holds]
    assert [line.quantity for line in failed] == ["w1_2_1"]
    assert failed[0].method == "numeric"


def test_an_explicit_sample_checks_a_seeded_subset_and_says_so():
    der = derive(network([2, 3, 2], "tanh", "sigmoid", "mse"))
    report = prove(der, sample=4)
    assert len(report.lines) == 4 and report.total == 19 and report.ok
    assert "a seeded random sample of 4 of the network's 19 quantities" in report.summary()
    assert [line.quantity for line in prove(der, sample=4).lines] == [
        line.quantity for line in report.lines
    ]
    assert len(prove(der, method="numeric").lines) == 19


def test_auto_compares_only_a_seeded_sample_of_what_no_proof_covered_and_says_so(monkeypatch):
    from symbp.derive import proof

    monkeypatch.setattr(proof, "SYMBOLIC_PARAMETER_LIMIT", 0)
    monkeypatch.setattr(proof, "AUTO_SAMPLE_ABOVE", 5)
    monkeypatch.setattr(proof, "AUTO_SAMPLE", 3)
    der = derive(network([2, 3, 2], "tanh", "sigmoid", "mse"))
    der.deltas[(2, 1)] = der.deltas[(2, 1)] * 2  # every hidden delta now rests on a wrong one
    report = prove(der)
    proved = report.count("symbolic")
    assert proved == 4  # w2_2_1..3 and b2_2 use only the output delta delta2_2
    assert len(report.lines) == proved + 3 and report.total == 19 and not report.ok
    assert report.summary().startswith("4 of 19 quantities proved symbolically (4 by induction")
    assert "numeric comparison ran on a seeded random sample of 3 of the 15 quantities" in (
        report.summary()
    )
