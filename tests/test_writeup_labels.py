"""Step labels are words and math, never ASCII math inside \\text{} (issue 8)."""

from __future__ import annotations

import re

import pytest

from symbp.derive.generic import derive_generic
from symbp.latex.writeup_blocks import _reason_text, escape_tex
from symbp.latex.writeup_steps import step_rows

_TEXT = re.compile(r"\\text\{((?:[^{}]|\{[^{}]*\})*)\}")
_ASCII_MATH = re.compile(r"\^\(|_\d|\bdelta\b|\bTheta\b|\(W\^")


def _words(label: str) -> str:
    return re.sub(r"\$[^$]+\$", "", label)


@pytest.mark.parametrize("notation", ["wikipedia", "ng", "nielsen"])
def test_bias_unit_assumptions_are_math_in_the_documents_notation(notation):
    der = derive_generic("sigmoid", "sigmoid", "bce", bias="unit", examples=True, l2=True)
    reasons = [r[2] for q in ("delta_recursion", "grad_W") for r in step_rows(der, q, notation)]
    assumed = [r for r in reasons if "assuming" in r]
    assert len(assumed) == 2, reasons
    for reason in assumed:
        assert not _ASCII_MATH.search(_words(reason)), reason
    # each step's own layer: Nielsen's recursion gives delta^l (bias unit a^l_0), its
    # gradient of w^l reads a^{l-1}; Ng's Theta^{(l)} reads a^{(l)} in both
    bias_unit = {
        "ng": ("a_{0}^{(l)} = 1", "a_{0}^{(l)} = 1"),
        "nielsen": ("a^{l}_{0} = 1", "a^{l-1}_{0} = 1"),
        "wikipedia": ("a_{0}^{l-1} = 1", "a_{0}^{l-1} = 1"),
    }[notation]
    assert [f"${b}$" in r for b, r in zip(bias_unit, assumed, strict=True)] == [True, True]


def test_a_reason_keeps_its_math_and_escapes_its_words():
    reason = "assuming $a_{0}^{(l)} = 1$ (50% of {x})"
    assert _reason_text(reason, escape_tex) == "assuming $a_{0}^{(l)} = 1$ (50\\% of \\{x\\})"


def test_no_golden_document_has_ascii_math_in_a_label():
    from pathlib import Path

    for path in sorted((Path(__file__).parent.parent / "derivations").glob("*.md")):
        for label in _TEXT.findall(path.read_text(encoding="utf-8")):
            assert not _ASCII_MATH.search(_words(label)), (path.name, label)
