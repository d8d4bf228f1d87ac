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


def test_a_relu_hidden_layer_is_never_sigma_in_nielsens_notation():
    der = derive_generic("relu", "sigmoid", "bce")
    rows = step_rows(der, "delta_recursion", "nielsen")
    text = " ".join(r[1] for r in rows)
    assert "\\operatorname{ReLU}'(z^{l}_{j})" in text, text
    assert "\\sigma" not in text
    # the output layer keeps its own name
    assert "\\sigma'(z^{L}_{j})" in " ".join(r[1] for r in step_rows(der, "delta_L", "nielsen"))


def test_the_generic_leaky_relu_writeup_states_its_own_slope():
    from symbp.latex.writeup_generic import assumption_items

    der = derive_generic("leaky_relu(0.5)", "sigmoid", "bce")
    (kink,) = [item for item in assumption_items(der) if "kink" in item]
    assert "leaky_relu'(0) = 0.5: the left derivative, the slope 0.5 for z < 0" in kink
    assert "0.01" not in kink


@pytest.mark.parametrize("notation", ["wikipedia", "ng", "nielsen"])
def test_every_generic_document_defines_its_symbols_and_updates_the_biases(notation):
    from symbp.latex import writeup

    der = derive_generic("sigmoid", "softmax", "cross-entropy")
    text = writeup.render(der, notation=notation, fmt="markdown", hadamard="cdot").text
    assert "(the Iverson bracket)" in text
    assert "is the Jacobian of the output activation" in text
    assert "the gradient-descent update of the biases" in text
    if notation == "wikipedia":
        assert "is written for both the matrix product and the elementwise product" in text
    if notation == "ng":
        assert "$`s_l`$ is the number of units in layer $`l`$" in text
    # the softmax's own derivative is the activation's derivative, not "the forward equation"
    rows = step_rows(der, "delta_L", notation)
    assert [r[2] for r in rows if "e^{z" in r[1]] == ["derivative of the activation"]
