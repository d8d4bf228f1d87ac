"""The output layer's generic steps in a layered writeup (``dC/dz^L`` through the softmax's
Jacobian, ``\\delta^L = (J^L)^T \\nabla_{a^L} C``, ``\\delta^L = a^L - y``), checked by the dense
checker (:mod:`symbp.check.verdict`) on the one-layer dense network the output layer is.

A last ``dense(n, act)`` layer reading a vector of k entries is, with the loss, exactly a
one-layer dense network k-n: z^L = W^L a^{L-1} + b^L, a^L = act(z^L), C = loss(a^L, y). A step
that names only these (every layer label ``L`` or ``L-1``, sums up to ``n_L``; no other layer
number, no ``l``, no ``x``, which there would be the network's input) says the same in both,
so its verdict there is its verdict here. Any other step is not read this way.

>>> from symbp.model import layered_network
>>> net = layered_network("3x2", "attention(2) meanpool dense(2,softmax)", "cce")
>>> output_network(net).describe()
'2-2 (softmax; categorical_cross_entropy; bias explicit)'
>>> speaks_of_output_only(r"\\delta^{L} = a^{L} - y"), speaks_of_output_only(r"\\delta^{2} = a^{L}")
(True, False)
"""

from __future__ import annotations

import re

from symbp.check.split import Step
from symbp.check.truth import Truth
from symbp.check.verdict import Verdict, check_step
from symbp.layers.dense import Dense
from symbp.model import Network, network

_LABELS = {"L", "L-1", "T", "\\top"}
_LIMIT = re.compile(r"[ns]_\{?L\}?")  # \sum_{i=1}^{n_{L}}, Ng's s_L
_LETTER_X = re.compile(r"(?<![A-Za-z\\{])x(?![A-Za-z])|\\hat\{x\}")
_POWERED = re.compile(r"\\(tanh|cosh|sech|sigma|sin|cos)\s*$")
_OUTPUT_LABEL = re.compile(r"[\^_]\{?\(?L(?![A-Za-z])")


def output_network(net) -> Network | None:
    """The one-layer dense network of a layered network's last layer (None if it is not a
    dense layer on a vector, or the network averages over several examples)."""
    last = net.layers[-1]
    if not isinstance(last, Dense) or len(net.shapes[-2]) != 1 or net.examples != 1:
        return None
    return network([net.shapes[-2][0], net.shapes[-1][0]], output=last.act, loss=net.loss)


def _scripts(text: str) -> list[tuple[str, str]]:
    """(the text before, the content) of every top-level superscript ``^{...}`` or ``^x``."""
    found, pos = [], 0
    while (pos := text.find("^", pos)) != -1:
        before, pos = text[:pos].rstrip(), pos + 1
        if text.startswith("{", pos):
            depth, start = 0, pos
            while pos < len(text):
                depth += {"{": 1, "}": -1}.get(text[pos], 0)
                pos += 1
                if depth == 0:
                    break
            found.append((before, text[start + 1 : pos - 1]))
        else:
            m = re.compile(r"\\[A-Za-z]+|.").match(text, pos)
            found.append((before, m.group(0) if m else ""))
    return found


def speaks_of_output_only(text: str) -> bool:
    """Whether a step names the output layer L (and its input L-1) and nothing else."""
    return bool(_OUTPUT_LABEL.search(text)) and not _LETTER_X.search(text) and _labels_ok(text)


def _labels_ok(text: str) -> bool:
    for before, content in _scripts(text):
        flat = re.sub(r"[\s()]", "", content)
        if flat in _LABELS or _LIMIT.fullmatch(flat):
            continue
        if before.endswith("e") and _labels_ok(content):  # e^{z_{i}^{L}}: an exponent
            continue
        if flat.isdigit() and (before.endswith(")") or _POWERED.search(before)):
            continue  # \left(...\right)^{2}, \tanh^{2}: a power
        return False
    return True


class OutputChecker:
    """The dense checker on the output layer's one-layer network."""

    def __init__(self, net, notation: str) -> None:
        self.notation = notation
        dense = output_network(net)
        self.truth = Truth.of(dense) if dense is not None else None

    def check(self, step: Step) -> Verdict:
        if self.truth is None or not speaks_of_output_only(step.source):
            return Verdict(step.source, step.line, "unreadable",
                           "not a step of the output layer alone (labels L, L-1)")  # fmt: skip
        verdict = check_step(step, self.truth, self.notation)
        if verdict.verdict != "unreadable":
            verdict.method += " (the output layer, as the one-layer dense network it is)"
        return verdict


__all__ = ["OutputChecker", "output_network", "speaks_of_output_only"]
