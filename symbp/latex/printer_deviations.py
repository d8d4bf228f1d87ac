"""Where symbp's LaTeX deliberately differs from a source's, and why (printed by the writeups).

>>> [d.label for d in deviations("wikipedia", "cdot")]
['1A.6']
"""

from __future__ import annotations

from dataclasses import dataclass

from symbp import notation as nt


@dataclass(frozen=True)
class Deviation:
    """Where symbp's LaTeX deliberately differs from a source: replacing ``reference`` by
    ``symbp`` in the source's TeX gives symbp's text; ``note`` says why (for the writeups).
    Both fragments are balanced TeX, so that a writeup can typeset them. ``with_examples``:
    the difference is there only where the derivation has a mean over m examples."""

    notation: str
    label: str
    reference: str
    symbp: str
    note: str
    with_examples: bool = False


def _one_example_cost() -> tuple[Deviation, ...]:
    """The post writes J for one example's cost from 2A.9 on (its J^{(t)}, 2A.8); with m
    examples symbp's J is the mean, as in Ng's notes (J(Theta)), so one example's is J^{(t)}."""
    example = nt.NG.cost_name("example", examples=True)
    first = (
        "From 2A.9 on the post writes J for the cost of one example, the cost of example t "
        "that 2A.8 sums; here J is the mean over the m examples (the notes' J(Theta)), so "
        "symbp indexes the one example's cost by t throughout."
    )
    labels = ("2A.10", "2A.12", "2A.13", "2A.14", "2A.15")
    return tuple(
        Deviation(nt.NG.name, label, "J", example, first if i == 0 else "As in 2A.10.", True)
        for i, label in enumerate(labels)
    )


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        nt.WIKIPEDIA.key("cdot"),
        "1A.6",
        "(W^{l+1})^{T}\\cdots \\cdot (W^{L-1})^{T}",
        "(W^{l+1})^{T}\\cdot (f^{l+1})'\\cdots \\cdot (W^{L-1})^{T}",
        "The old revision (the source note's image) leaves out the activation derivative of "
        "layer l+1 after the transposed weights of layer l+1, a typo that today's article has "
        "fixed; symbp derives that factor from the recursion.",
    ),
    Deviation(
        nt.WIKIPEDIA.key("circ"),
        "1B.2",
        "\\cdot \\ldots \\cdot",
        "\\cdot \\cdots \\cdot",
        "Today's article writes a low ellipsis (ldots) here and in the gradient of the input "
        "but a centred one (cdots) in its other products; symbp writes the centred one in "
        "every product.",
    ),
    Deviation(
        nt.WIKIPEDIA.key("circ"),
        "1B.4",
        "\\circ \\ldots \\circ",
        "\\circ \\cdots \\circ",
        "Today's article writes a low ellipsis (ldots) here but a centred one (cdots) in its "
        "other products; symbp writes the centred one in every product.",
    ),
    Deviation(
        nt.NG.name,
        "2A.12",
        "\\partial\\left(\\Theta^{(l)}\\begin{pmatrix}1\\\\ g(z^{(l)})\\end{pmatrix}\\right)",
        "\\partial\\,\\Theta^{(l)}\\begin{pmatrix}1\\\\ g(z^{(l)})\\end{pmatrix}",
        "The post puts parentheses around the product of Theta and the stacked column (1, "
        "g(z)) where it first differentiates it, and leaves them out in the next steps; symbp "
        "writes a differentiated product without them throughout.",
    ),
    Deviation(
        nt.NG.name,
        "2A.12",
        "\\frac{\\partial(\\Theta^{(l)}\\cdot g(z^{(l)}))}{\\partial g(z^{(l)})}",
        "\\frac{\\partial\\,\\Theta^{(l)}\\cdot g(z^{(l)})}{\\partial(g(z^{(l)}))}",
        "In this factor the post parenthesises the product and not the activation g(z) below "
        "the fraction bar, the opposite of the factor before it; symbp parenthesises the "
        "activation, as the post does elsewhere.",
    ),
    Deviation(
        nt.NG.name,
        "2A.15",
        "(1-y)",
        "(\\vec{1}-y)",
        "In this derivation the post writes the vector of ones as a plain 1; in its vector "
        "form of the cost (2A.14) it writes it with an arrow. symbp writes the arrow for the "
        "vector throughout.",
    ),
    Deviation(
        nt.NG.name,
        "2A.15",
        "\\log(1-a^{(L)})",
        "\\log(\\vec{1}-a^{(L)})",
        "The same vector of ones inside the logarithm, written with an arrow as in 2A.14.",
    ),
    Deviation(
        nt.UFLDL.name,
        "U1",
        "\\frac{\\partial}{\\partial z_i^{n_l}}",
        "\\frac{\\partial}{\\partial z_i^{(n_l)}}",
        "The slide writes the layer of z_i as a bare n_l in its first two steps and in "
        "parentheses everywhere else; symbp writes the parentheses throughout.",
    ),
    Deviation(
        nt.NG.name,
        "2B.7",
        "(\\Theta^{(3)})^T\\delta^{(4)}\\ .*\\ g'(z^{(3)}),\\quad "
        "\\delta^{(2)} = (\\Theta^{(2)})^T\\delta^{(3)}\\ .*",
        "((\\Theta^{(3)})^T\\delta^{(4)})\\ .*\\ g'(z^{(3)}),\\quad "
        "\\delta^{(2)} = ((\\Theta^{(2)})^T\\delta^{(3)})\\ .*",
        "The slide's four-layer instance drops the parentheses around the matrix-vector "
        "product that the notes' general rule has; symbp keeps them.",
    ),
    Deviation(
        nt.NG.name,
        "2B.9c",
        "\\frac \\partial {\\partial \\Theta_{ij}^{(l)}} J(\\Theta) = D_{ij}^{(l)}",
        "\\frac \\partial {\\partial \\Theta_{i,j}^{(l)}} J(\\Theta) = D_{i,j}^{(l)}",
        "The notes write the indices i,j with a comma in Delta and D and without one in this "
        "last line; symbp writes the comma throughout.",
    ),
    *_one_example_cost(),
)


def deviations(
    notation: str, hadamard: str | None = None, examples: bool = True
) -> list[Deviation]:
    """The documented differences for one notation (Wikipedia: per Hadamard style); without
    ``examples`` (no mean over m examples), those that only a mean brings are left out."""
    key = nt.get_notation(notation).key(hadamard)
    return [d for d in DEVIATIONS if d.notation == key and (examples or not d.with_examples)]
