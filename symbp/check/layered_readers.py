"""The readers a layered network's step is tried with when the index reader of conv, pool,
dense and rnn layers (:mod:`symbp.check.layered`) cannot place it, in order: the writeups'
multi-index notation (:mod:`symbp.check.multi`), the output layer's generic steps
(:mod:`symbp.check.output_layer`), a staged batch-norm / layer-norm derivation
(:mod:`symbp.check.staged`), and attention's staged steps (:mod:`symbp.check.attention`).

>>> from symbp.model import layered_network
>>> net = layered_network("3x2", "attention(2) meanpool dense(2,softmax)", "cce")
>>> [what for what, _ in fallbacks(net, "wikipedia", {})]
['a step of a multi-equation layer', 'an output layer step', 'an attention step']
"""

from __future__ import annotations

from collections.abc import Callable

from symbp.check.attention import attention_checker
from symbp.check.multi import check_multi_step, multi_layers
from symbp.check.output_layer import OutputChecker, output_network
from symbp.check.split import Step
from symbp.check.staged import StagedChecker, norm_layer
from symbp.check.verdict import Verdict


def fallbacks(net, notation: str, heads: dict[int, Step]) -> list[tuple[str, Callable]]:
    """(what a reader reads, its check) for ``net``; ``heads``: each chain's first step, as
    the caller records them."""
    found: list[tuple[str, Callable[[Step], Verdict]]] = []
    multi = multi_layers(net, notation)
    if multi:

        def multi_step(step: Step) -> Verdict:
            return check_multi_step(step, multi, heads.get(step.chain))

        found.append(("a step of a multi-equation layer", multi_step))
    if output_network(net) is not None:
        found.append(("an output layer step", OutputChecker(net, notation).check))
    norm = norm_layer(net)
    if norm is not None:
        found.append((f"a staged {norm.kind} step", StagedChecker(norm).check))
    attention = attention_checker(net)  # attention(d_k) or residual(attention(d))
    if attention is not None:
        found.append(("an attention step", attention.check))
    return found


__all__ = ["fallbacks"]
