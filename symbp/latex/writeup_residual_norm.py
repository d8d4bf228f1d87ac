"""The writeup of a ``residual(layernorm)`` layer in a ``--net`` writeup: a = x + y with y the
layer norm of x, its forward equations in index form and its backward pass derived by
:mod:`symbp.derive.layer_index_residual_norm` (dC/dy from the sum, the layer norm's stages,
then dC/dx along its four paths), each step with its rule and how it was proved, printed as
the layer norm's own writeup prints its steps (:class:`symbp.latex.writeup_norm.NormPrinter`).

>>> from symbp.model import layered_network
>>> net = layered_network("3", "residual(layernorm) dense(2,softmax)", "cce")
>>> blocks = residual_norm_blocks(net, 1, "wikipedia")
>>> [b.text for b in blocks if "four paths" in getattr(b, "text", "")][0][:52]
'The gradient passed to the layer below, along its fo'
"""

from __future__ import annotations

import sympy

from symbp.derive import layer_index_residual_norm as rn
from symbp.derive import norm_steps as ns
from symbp.latex.layer_printer import LayerPrinter
from symbp.latex.writeup_blocks import Math, Text
from symbp.latex.writeup_norm import NormPrinter
from symbp.latex.writeup_norm import array_form as norm_array_form  # dx, dgamma, dbeta alike
from symbp.model import LayeredNetwork

_TITLES = {
    "y": "The gradient of the layer norm's output $y$ (from the sum $a = x + y$)",
    "x_hat": "The gradient of the normalised input $\\hat{x}$",
    "sigma": "The gradient of $\\sigma$",
    "var": "The gradient of the variance $\\sigma^{2}$",
    "mu": "The gradient of the mean $\\mu$",
    "x": "The gradient passed to the layer below, along its four paths (the identity, from "
    "the term $x$ of $a = x + y$, and through $\\hat{x}$, $\\mu$ and $\\sigma^{2}$)",
    "gamma": "The gradient of the scale $\\gamma$",
    "beta": "The gradient of the shift $\\beta$",
}


def _setting(position: int, notation: str, printer: NormPrinter) -> Text:
    outer, k = LayerPrinter(position, notation), sympy.Symbol("i", integer=True)
    x_in, a_out = outer.entry("x", [k]), outer.entry("a", [k])
    return Text(
        "A residual layer norm adds its input to the layer norm of it, $a = x + y$: the layer "
        "norm normalises each example (each position of a sequence) over its own $n$ features "
        "with their mean and variance "
        f"(the variance the biased one, $\\epsilon = 10^{{-5}}$, as in PyTorch). $x_{{i}}$ is "
        f"${x_in}$ (the layer's input), $a_{{i}}$ is ${a_out}$ (its output), $y_{{i}}$ the "
        "layer norm's output; $i$, $j$, $k$ run over the features $0, \\ldots, n - 1$, and "
        "$\\gamma_{i}$, $\\beta_{i}$ are one per feature."
    )


def _reason(step: ns.NormStep, printer: NormPrinter) -> str:
    if step.uses is None:
        return step.rule
    left, right = (printer.doprint(e) for e in step.uses)
    return f"{step.rule}: ${left} = {right}$"


def _quantity(form: ns.NormForm, quantity: str, printer: NormPrinter) -> list:
    steps = form.steps_for(quantity)
    rows = [(printer.doprint(s.lhs) if n == 0 else "", "= " + printer.doprint(s.rhs),
             _reason(s, printer)) for n, s in enumerate(steps)]  # fmt: skip
    proofs = "; ".join(sorted({s.verified_by for s in steps}))
    return [Text(f"{_TITLES[quantity]}:"), Math(rows),
            Text(f"Each step (and each identity it used) proved {proofs}.")]  # fmt: skip


def residual_norm_blocks(net: LayeredNetwork, position: int, notation: str, array_steps=()) -> list:
    """The blocks of layer ``position`` (a residual(layernorm)) after its heading;
    ``array_steps``: the recogniser's, to name each gradient's array form."""
    form = rn.residual_norm_form()
    printer = NormPrinter(LayerPrinter(position, notation).cost)
    rows = [(printer.doprint(lhs), "= " + printer.doprint(rhs), "")
            for lhs, rhs in form.definitions]  # fmt: skip
    blocks = [
        _setting(position, notation, printer),
        Text("Forward:"),
        Math(rows),
        Text("These are the layer's own forward equations in index form, proved equal to its "
             f"equations over arrays on {form.forward_verified_by}. Sums run over "
             "$0, \\ldots, n - 1$."),
    ]  # fmt: skip
    for quantity in rn.ORDER:
        if quantity == "x" and position == 1:
            blocks.append(Text("Layer 1 reads the data, so nothing below it needs a gradient; "
                               "a layer that reads another layer passes it this one:"))  # fmt: skip
        blocks += _quantity(form, quantity, printer)
        blocks += norm_array_form(list(array_steps), position, quantity)
    return blocks
