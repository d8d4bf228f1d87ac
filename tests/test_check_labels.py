"""A step's label that says it is about a hidden layer restricts its layer letter l to l < L
(symbp's own writeups label a hidden layer's forward pass so), in the row or in reason rows
below it, also when the Markdown layout breaks the label over two rows; without it, or with
a wrong step, the output layer or the wrong activation still makes it invalid."""

from __future__ import annotations

import pytest

from symbp.check.report import check_text
from symbp.model import network

NET = network([2, 3, 3], hidden="tanh", output="softmax", loss="cce")
SAME_ROW = r"a^{l} &= \tanh(z^{l}) && \text{forward pass: the activation of a hidden layer}"
SPLIT = (r"a^{l} &= \tanh(z^{l}) \\" "\n"
         r" &\qquad \text{forward pass: the activation of a hidden} \\" "\n"
         r" &\qquad \text{layer}")  # fmt: skip


def _verdicts(rows: str):
    text = "```math\n\\begin{aligned}\n" + rows + "\n\\end{aligned}\n```\n"
    return check_text(text, NET, "nielsen").steps


@pytest.mark.parametrize("rows", [SAME_ROW, SPLIT])
def test_a_hidden_layer_label_restricts_l(rows) -> None:
    (verdict,) = _verdicts(rows)
    assert verdict.verdict == "valid" and "l < L" in verdict.method, verdict.method


@pytest.mark.parametrize("rows", [
    r"a^{l} &= \tanh(z^{l}) && \text{forward pass: the activation}",  # every l: softmax at L
    SAME_ROW.replace(r"\tanh", r"\operatorname{ReLU}"),
    SPLIT.replace(r"\tanh", r"\operatorname{ReLU}"),
    r"a^{l} &= \tanh(z^{l}) && \text{not a hidden-layer statement: the output layer}",
])  # fmt: skip
def test_without_the_label_or_with_a_wrong_step_it_is_invalid(rows) -> None:
    (verdict,) = _verdicts(rows)
    assert verdict.verdict == "invalid", verdict.method
    assert verdict.counterexample["left"] != verdict.counterexample["right"]


SOFTMAX = network([2, 3, 3], output="softmax", loss="cce")


@pytest.mark.parametrize("step, verdict", [
    (r"\delta^{L}_{j} = \sum_{i} J^{L}_{ij} \frac{\partial C}{\partial a^{L}_{i}}", "valid"),
    (r"J^{L}_{ij} = a^{L}_{i} ([i = j] - a^{L}_{j})", "valid"),
    (r"J^{L}_{ij} = a^{L}_{i} (1 - a^{L}_{j})", "invalid"),  # the softmax Jacobian as diagonal
    (r"\delta^{L}_{j} = \sum_{i} J^{L}_{ij} a^{L}_{i}", "invalid"),
    (r"J^{L}_{i} = 1", "unreadable"),
])  # fmt: skip
def test_an_entry_of_the_output_jacobian_is_a_number(step, verdict) -> None:
    """J^{L}_{ij} is da^L_i/dz^L_j (it was read as the whole matrix: a shape mismatch)."""
    (got,) = check_text(f"$${step}$$", SOFTMAX, "nielsen").steps
    assert got.verdict == verdict, got.method
