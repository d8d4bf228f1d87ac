"""The "symbols used" items of a generic writeup: every symbol a document uses that its
equations do not define themselves (Iverson brackets, the elementwise product, J^L,
Sigma', Ng's s_l, the L2 term R), each in the document's own notation.

>>> from symbp.derive.generic import derive_generic
>>> print(symbol_items(derive_generic(), "wikipedia", "cdot")[1])  # doctest: +ELLIPSIS
$\\cdot$ is written for both the matrix product and the elementwise product, as in ...
"""

from __future__ import annotations

from symbp.activations import Activation
from symbp.derive import matrix as mx
from symbp.derive.generic import GenericDerivation
from symbp.latex.printer import GenericPrinter, style_for
from symbp.notation import get_notation

_IVERSON = (
    "$[P]$ is 1 where the statement $P$ holds and 0 elsewhere (the Iverson bracket), "
    "so $[i = j]$ keeps only the terms with $i = j$."
)


def _hadamard_item(notation_name: str, hadamard: str | None) -> str:
    had = style_for(notation_name, hadamard).hadamard
    if hadamard in get_notation(notation_name).double_duty:
        return (
            "$\\cdot$ is written for both the matrix product and the elementwise product, as in "
            "the source note's images; the shapes say which: between two vectors of one layer "
            "it is elementwise, $(u \\cdot v)_j = u_j v_j$, next to a matrix it is the matrix "
            "product."
        )
    return (
        f"${had}$ is the elementwise (Hadamard) product of two vectors of one layer: "
        f"$(u {had} v)_j = u_j v_j$."
    )


def activation_item(
    notation_name: str,
    hidden: Activation,
    output: Activation,
    layers: list[tuple[str, Activation]] | None = None,
) -> str | None:
    """What the notation's activation letter means here: Wikipedia's ``f^l`` is each layer's
    own function (``layers``: the label and activation of every layer of a sized network);
    Ng's ``g`` is the sigmoid, and a layer with another activation is named by it.

    >>> from symbp.activations import get_activation
    >>> item = activation_item("ng", get_activation("relu"), get_activation("sigmoid"))
    >>> item.split("; ")[1]
    'a layer with another activation is named by it: $\\\\operatorname{ReLU}$ (relu).'
    """
    source = get_notation(notation_name)
    if source.activation_has_layer:
        if layers:
            pairs = ", ".join(f"$f^{{{label}}} = {act.latex}$" for label, act in layers)
        else:
            pairs = (
                f"${hidden.latex}$ ({hidden.name}) in the hidden layers and "
                f"$f^{{L}} = {output.latex}$ ({output.name}) in the output layer"
            )
        return (
            "$f^{l}$ is the activation of layer $l$ and $(f^{l})'$ its derivative, taken at "
            f"$z^{{l}}$: here {pairs}."
        )
    if not source.sigmoid_letter:
        return None
    text = f"${source.sigmoid_letter} = \\sigma$ is the sigmoid, as in {source.notes}"
    others = []
    for act in [a for _, a in layers] if layers else (hidden, output):
        if act.name != "sigmoid" and act.elementwise and act.name not in [a.name for a in others]:
            others.append(act)
    if others:
        shown = ", ".join(f"${a.latex}$ ({a.name})" for a in others)
        text += f"; a layer with another activation is named by it: {shown}"
    return text + "."


def symbol_items(
    gder: GenericDerivation, notation_name: str, hadamard: str | None = None
) -> list[str]:
    """One sentence per symbol the document uses and its equations do not define."""
    source = get_notation(notation_name)
    style = style_for(source, source.hadamard_style(hadamard))
    printer = GenericPrinter(style)
    items = [_IVERSON, _hadamard_item(notation_name, hadamard)]
    if gder.spec is not None and not gder.spec[1].elementwise:
        jac = printer.doprint(mx.Jacobian(mx.DEPTH))
        a_i = printer.doprint(mx.Elem("a", mx.DEPTH, (mx.SUM,)))
        z_j = printer.doprint(mx.Elem("z", mx.DEPTH, (mx.ROW,)))
        items.append(
            f"${jac}$ is the Jacobian of the output activation, the matrix of the "
            f"$\\partial {a_i} / \\partial {z_j}$ (row ${printer.names[mx.SUM]}$, column "
            f"${printer.names[mx.ROW]}$)."
        )
    if source.diagonal_derivative:
        items.append(
            f"${source.diagonal_derivative}(z^{{l}})$ is the square matrix with the activation's "
            "derivatives at the $z^{l}_j$ on its diagonal and 0 elsewhere: multiplying by it "
            "is the elementwise product with those derivatives."
        )
    if gder.spec is not None:
        item = activation_item(notation_name, gder.spec[0], gder.spec[1])
        if item:
            items.append(item)
    if source.output_width:
        s_l, big_k = source.width_letter, source.output_width
        items.append(
            f"${s_l}_l$ is the number of units in layer $l$, not counting the bias unit; "
            f"${big_k} = {s_l}_L$ is the number of outputs."
        )
    return items
