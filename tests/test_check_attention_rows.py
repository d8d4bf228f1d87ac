"""``symbp check``: attention's softmax Jacobian written per row, diag(p) - p p^T (issue 11):
``dS_{i,:} = dP_{i,:} (diag(P_{i,:}) - P_{i,:}^T P_{i,:})`` is proved for every row; taking the
Jacobian as diagonal is invalid with a counterexample and the hint that names it; a wrong sign
or p^T p for p p^T is invalid; a row without its left-side row is not read."""

from __future__ import annotations

import pytest

from symbp.check.report import check_text
from symbp.model import layered_network

NET = layered_network("3x2", "attention(2) meanpool dense(2,softmax)", "cce")
J = r"\left(\operatorname{diag}(P_{i,:}) - P_{i,:}^T P_{i,:}\right)"


def _verdict(step: str):
    (verdict,) = check_text(f"$${step}$$", NET, "wikipedia").steps
    return verdict


@pytest.mark.parametrize("step", [
    rf"dS_{{i,:}} = dP_{{i,:}} {J}",
    rf"(dS_{{i,:}})^T = {J} (dP_{{i,:}})^T",  # columns: J is symmetric
    rf"\frac{{\partial C}}{{\partial S_{{i,:}}}} = \frac{{\partial C}}{{\partial P_{{i,:}}}} {J}",
    r"dS_{i,:} = P_{i,:} \odot (dP_{i,:} - dP_{i,:} P_{i,:}^T)",
])  # fmt: skip
def test_the_per_row_jacobian_is_proved(step) -> None:
    verdict = _verdict(step)
    assert verdict.verdict == "valid" and verdict.method.startswith("proved exactly"), verdict


@pytest.mark.parametrize("step, hint", [
    (r"dS_{i,:} = dP_{i,:} \operatorname{diag}(P_{i,:})", "the softmax Jacobian is not diagonal"),
    (r"dS_{i,:} = P_{i,:} \odot dP_{i,:}", "the softmax Jacobian is not diagonal"),
    (r"dS_{i,:} = dP_{i,:} \left(\operatorname{diag}(P_{i,:}) + P_{i,:}^T P_{i,:}\right)", None),
    (r"dS_{i,:} = dP_{i,:} \left(\operatorname{diag}(P_{i,:}) - P_{i,:} P_{i,:}^T\right)", None),
])  # fmt: skip
def test_wrong_per_row_steps_are_invalid_at_a_row(step, hint) -> None:
    verdict = _verdict(step)
    assert verdict.verdict == "invalid", verdict.method
    example = verdict.counterexample
    assert example["indices"] == {"i": 1} and example["left"] != example["right"]
    if hint is None:
        assert verdict.hint is None or "diagonal" not in verdict.hint
    else:
        assert hint in (verdict.hint or "")


def test_a_row_on_the_right_only_is_not_read() -> None:
    verdict = _verdict(r"dS = dP_{i,:} \operatorname{diag}(P_{i,:})")
    assert verdict.verdict == "unreadable"
