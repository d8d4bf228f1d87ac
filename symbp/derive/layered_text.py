"""Plain-text report of a layered network's derivation: shapes, each layer's derived index
form, the array operation recognised for it, and how many entries the proof covered.

>>> from symbp.model import layered_network
>>> text = report(layered_network("1x3", "conv1d(1,2) flatten dense(1,identity)"))
>>> "dC/dW1 = correlate_input_delta(X, DZ, k, stride, padding)" in text
True
"""

from __future__ import annotations

import numpy as np

from symbp.derive.layered import LayeredDerivation, derive_layers
from symbp.derive.recognise import recognise
from symbp.layers.base import shape_text
from symbp.model import LayeredNetwork

FULL_SIZE_PARAMETERS = 200
"""Larger networks are derived and proved on their separated instance (``net.skeleton()``)."""


def instance_statement(der: LayeredDerivation) -> str:
    """What the proof covered and why it holds at the real size (one paragraph).

    >>> from symbp.derive.layered import derive_layers
    >>> from symbp.model import layered_network
    >>> net = layered_network("1x28x28", "conv2d(4,5,relu) flatten dense(2,softmax)", "cce")
    >>> print(instance_statement(derive_layers(net, net.skeleton())))  # doctest: +ELLIPSIS
    derived and proved on a separated instance, each layer on its own small input: \
layer 1 conv2d(2,5,relu) on 1x9x9, ... layer 3 dense(2,softmax) on 3; ...
    """
    instance = der.forward.network
    if not instance.pieces:
        count = instance.parameter_count
        return f"derived and proved at the network's own size ({count} parameters)"
    pieces = ", ".join(
        f"layer {p} {layer.spec()} on {shape_text(shape)}"
        for p, (layer, shape) in enumerate(zip(instance.layers, instance.pieces, strict=True), 1)
    )
    return (
        f"derived and proved on a separated instance, each layer on its own small input: "
        f"{pieces}; every entry of each recognised array form is proved equal to the chain "
        f"rule's index form there. The instance has every boundary case (padding, edges, "
        f"stride phase) of the real sizes, so the proof holds per layer kind and its k, stride "
        f"and padding, not per input size (symbp.derive.recognise explains why)"
    )


def report(net: LayeredNetwork) -> str:
    """Derive, recognise and prove ``net`` (or its skeleton) and say what was shown."""
    small = net.parameter_count > FULL_SIZE_PARAMETERS
    instance = net.skeleton() if small else net
    der = derive_layers(net, instance)
    steps = recognise(der)
    lines = [f"network {net.describe()}", "shapes: " + " -> ".join(map(shape_text, net.shapes))]
    lines.append(instance_statement(der))
    if der.forward.batched:
        m = der.forward.x.shape[0]
        lines.append(
            f"derived over a batch of m = {m} examples: a batch layer couples them, so the loss "
            f"is a function of the whole batch (C = the sum of the m examples' losses)"
        )
    for data in der.forward.layers:
        lines.append(f"\nlayer {data.position}: {data.layer.spec()}")
        for step in (s for s in steps if s.position == data.position):
            head = {"z": "forward z", "a": "forward a", "dz": "dC/dz", "dx": "dC/d(input)"}.get(
                step.quantity, f"dC/d{step.quantity[1:]}" if step.quantity != "dh" else "dC/dh"
            )
            if not step.quantity.startswith("d"):  # a forward quantity: z, a, mu, sigma, ...
                head = f"forward {step.quantity}"
            if step.template is not None and head.startswith("forward"):
                lines.append(f"  {head} = {step.template}    [elementwise, read off the forward]")
                continue
            if step.template is not None:
                hidden = data.position != len(der.forward.layers)
                shown = f"DA * ({step.template})" if hidden else str(step.template)
                lines.append(f"  {head} = {shown}    [elementwise, read off the derivation]")
                continue
            calls = " + ".join(
                f"{op}({', '.join(r)})" for op, r in zip(step.ops, step.operands, strict=True)
            )
            proved = f"proved on {step.proved} entries" if step.proved else "same symbols"
            lines.append(f"  {head} = {calls}    [{step.text}; {proved}]")
        example = _example(der, data)
        if example:
            lines.append(f"  derived, e.g. {example}")
    if der.assumptions:
        lines.append("\nassumed: " + "; ".join(a.name for a in der.assumptions))
    return "\n".join(lines)


def _example(der, data) -> str:
    """One derived index-form entry of the layer's input gradient."""
    x = data.arrays["x"]
    part = der.part(data.position, x)
    for idx, value in np.ndenumerate(part):
        if value != 0:
            return f"dC/d{x[idx]} = {value}"
    return ""
