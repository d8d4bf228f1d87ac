"""The matrix-form rows of a network whose hidden layers have different activations: each
hidden layer's activation, error recursion and output form printed for that layer, by its own
name (Nielsen's sigma and Ng's g are the sigmoid; a ReLU layer is never written with them).

The generic derivation has one hidden activation; for such a network the rows that depend on
it are instantiated at each hidden layer, each from the generic derivation of that layer's own
activation (its output form f'(z) = g(a) is that activation's, derived and proved there).

>>> from symbp.activations import get_activation
>>> from symbp.derive.generic import derive_generic
>>> from dataclasses import replace
>>> relu, tanh = get_activation("relu"), get_activation("tanh")
>>> gder = replace(derive_generic(relu, "sigmoid", "bce"), layers=(relu, tanh))
>>> rows = layer_rows(gder, "delta_recursion", "nielsen", None, "error recursion", derive_generic)
>>> [r[1] for r in rows]
["= ((w^{3})^{T} \\\\delta^{3}) \\\\odot \\\\operatorname{ReLU}'(z^{2})", \
"= ((w^{4})^{T} \\\\delta^{4}) \\\\odot \\\\tanh'(z^{3})"]
"""

from __future__ import annotations

from collections.abc import Callable

import sympy

from symbp import notation
from symbp.activations import ACTIVATIONS, Activation
from symbp.derive import matrix as mx
from symbp.derive.generic_data import GenericDerivation
from symbp.latex.printer import print_node

HIDDEN = ("forward_a", "delta_recursion", "fprime_output_form", "delta_recursion_output_form")
"""The results that name the hidden activation (instantiated at every hidden layer)."""
OWN_LETTER = ("fprime_output_form", "delta_recursion_output_form")
"""The results whose form is the hidden activation's own, in every notation (Wikipedia's
f^l names each layer's function, but a^l (1 - a^l) is the sigmoid's alone)."""
DerivedFor = Callable[[Activation], GenericDerivation]


def is_mixed(gder: GenericDerivation) -> bool:
    """Do the network's hidden layers have different activations?"""
    return len({a.latex for a in gder.layers}) > 1


def per_layer(gder: GenericDerivation, name: str, notation_name: str) -> bool:
    """Is the result ``name`` printed once per hidden layer in this notation?"""
    if not is_mixed(gder):
        return False
    if name in OWN_LETTER:  # derived for each layer's own activation (none for a custom one)
        return all(a.name in ACTIVATIONS for a in gder.layers)
    own = notation.get_notation(notation_name).names_each_activation
    return name in HIDDEN and name in gder.equations and own


def _split(latex: str) -> tuple[str, str]:
    for relation in (" := ", " \\equiv ", " = "):
        if relation in latex:
            lhs, rhs = latex.split(relation, 1)
            return lhs, relation.strip() + " " + rhs
    raise ValueError(latex)  # every result has a relation


def layer_rows(
    gder: GenericDerivation,
    name: str,
    notation_name: str,
    style: str | None,
    what: str,
    derived_for: DerivedFor,
) -> list[tuple[str, str, str]]:
    """The result ``name`` at each hidden layer, with that layer's activation (and, for the
    forward pass, the output layer's); ``derived_for`` gives an activation's derivation."""
    output = gder.spec[1].latex
    rows = []
    for layer, act in enumerate(gder.layers, start=1):
        own = derived_for(act) if name in OWN_LETTER else gder
        if name not in own.equations:
            continue  # this activation has no output form (ReLU)
        # the forward pass is written for layer l, the recursion for layer l - 1
        at = layer if name == "forward_a" else layer + 1
        node = mx.substitute(own.equations[name], {mx.LAYER: sympy.Integer(at)})
        tex = print_node(node, notation_name, style, activations=(act.latex, output))
        label = notation.layer_label(layer, notation_name)
        rows.append((*_split(tex), f"{what}, layer {label}"))
    if name == "forward_a":
        node = mx.substitute(gder.equations[name], {mx.LAYER: mx.DEPTH})
        tex = print_node(node, notation_name, style, activations=(output, output))
        rows.append((*_split(tex), f"{what} of the output layer"))
    return rows
