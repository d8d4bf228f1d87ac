"""``symbp check --net`` on the staged steps of batch norm, layer norm and residual(layernorm)
as their writeups print them: local derivatives (dy_j/dx_hat_i, dsigma/dsigma^2), Iverson
brackets, 0-based sums, layer norm's gamma_i; symbp's own writeups valid, wrong variants
invalid with a counterexample, and a local derivative through other quantities unreadable."""

from __future__ import annotations

import pytest

from symbp.check.report import check_text
from symbp.latex.writeup_layers import render_layers
from symbp.model import layered_network

BATCH = ("3", "dense(3,relu) batchnorm dense(2,softmax)")
LAYER = ("3", "dense(3,tanh) layernorm dense(2,softmax)")
RESIDUAL = ("3x2", "residual(layernorm) meanpool dense(2,softmax)")
D = r"\frac{\partial C}{\partial "


def _verdict(net, step: str):
    (verdict,) = check_text(f"$${step}$$", layered_network(*net, "cce"), "wikipedia").steps
    return verdict


@pytest.mark.parametrize("net", [BATCH, LAYER, RESIDUAL])
def test_every_printed_step_of_a_norm_writeup_is_valid(net) -> None:
    network = layered_network(*net, "cce")
    report = check_text(render_layers(network, "wikipedia", "markdown"), network, "wikipedia")
    assert [v.verdict for v in report.steps].count("valid") == len(report.steps), [
        (v.line, v.method[:80]) for v in report.steps if v.verdict != "valid"
    ]


VALID = [
    (BATCH, D + r"\hat{x}_{i}} = \sum_{j=0}^{m - 1} " + D + r"y_{j}} \frac{\partial y_{j}}"
            r"{\partial \hat{x}_{i}}"),
    (BATCH, r"\sum_{j=0}^{m - 1} \gamma " + D + r"y_{j}} [i = j] = \gamma " + D + "y_{i}}"),
    (BATCH, D + r"\sigma^{2}} = \frac{1}{2 \sigma} " + D + r"\sigma}"),
    (LAYER, D + r"\gamma_{i}} = " + D + r"y_{i}} \hat{x}_{i}"),  # every i, not only the first
    (RESIDUAL, D + r"y_{i}} = " + D + r"a_{i}}"),
    # Ioffe and Szegedy's local derivative by the variance (through sigma = sqrt(var + eps))
    (BATCH, r"\frac{\partial \hat{x}_{i}}{\partial \sigma^{2}} = -\frac{1}{2} (x_i - \mu) "
            r"(\sigma^{2} + \epsilon)^{-3/2}"),
    (BATCH, D + r"\sigma^{2}} = \sum_{i} " + D + r"\hat{x}_{i}} \frac{\partial \hat{x}_{i}}"
            r"{\partial \sigma^{2}}"),
]  # fmt: skip


@pytest.mark.parametrize("net, step", VALID)
def test_valid_steps(net, step) -> None:
    verdict = _verdict(net, step)
    assert verdict.verdict == "valid", verdict.method


WRONG = [
    (BATCH, r"\sum_{j=0}^{m - 1} \gamma " + D + r"y_{j}} [i \neq j] = \gamma " + D + "y_{i}}"),
    (BATCH, D + r"\sigma^{2}} = \frac{1}{\sigma} " + D + r"\sigma}"),  # the 1/2 left out
    (BATCH, D + r"\hat{x}_{i}} = \sum_{j=0}^{m - 1} " + D + r"y_{j}} \frac{\partial y_{j}}"
            r"{\partial \hat{x}_{j}}"),  # the local derivative at the wrong entry
    (LAYER, D + r"\gamma_{i}} = " + D + r"y_{i}}"),
    (RESIDUAL, D + r"y_{i}} = 2 " + D + r"a_{i}}"),
    (BATCH, r"\frac{\partial \hat{x}_{i}}{\partial \sigma^{2}} = -\frac{1}{2} (x_i - \mu) "
            r"(\sigma^{2} + \epsilon)^{-1/2}"),  # the exponent one off
]  # fmt: skip


@pytest.mark.parametrize("net, step", WRONG)
def test_wrong_steps_are_invalid_with_a_counterexample(net, step) -> None:
    verdict = _verdict(net, step)
    assert verdict.verdict == "invalid", verdict.method
    assert verdict.counterexample["left"] != verdict.counterexample["right"]


def test_a_local_derivative_through_other_quantities_is_unreadable() -> None:
    """sigma reads x only through the variance: dsigma/dx_i of sigma's own equation would be
    0, which is not what the step means."""
    step = D + r"x_{i}} = " + D + r"\sigma} \frac{\partial \sigma}{\partial x_{i}}"
    verdict = _verdict(BATCH, step)
    assert verdict.verdict == "unreadable" and "only through" in verdict.method
