"""The section of a generic writeup that prints the source's own chain of equations (Wikipedia's
1A/1B, Nielsen's BP1-BP4, Ng's 2B and 2A, UFLDL's U1-U4), each from the derivation and labelled
as in seed_equations.md, with what a reader needs to read them against this network.

>>> from symbp.derive.generic import derive_generic
>>> blocks = source_equations(derive_generic(), "ufldl", "circ")
>>> blocks[0].text
'4. The derivation as the source writes it'
"""

from __future__ import annotations

from symbp.derive.generic import GenericDerivation
from symbp.latex.printer import print_node
from symbp.latex.printer_sources import (
    PrintedEquation,
    bias_unit_counted_in,
    deviations,
    equations,
)
from symbp.latex.writeup_blocks import Block, Heading, Items, Math, Text
from symbp.notation import get_notation


def _wikipedia_style(notation_name: str, hadamard: str) -> str | None:
    return get_notation(notation_name).hadamard_style(hadamard)


def source_equations(
    gder: GenericDerivation, notation_name: str, hadamard: str, number: int = 4
) -> list[Block]:
    """The source's own chain of equations, each printed from the derivation and labelled as
    in seed_equations.md, with every deliberate difference from the source noted."""
    style = _wikipedia_style(notation_name, hadamard)
    printed = equations(gder, notation_name, hadamard=style)
    if not printed:  # a notation with no transcribed source equations
        return []
    source = next(e for e in printed if e.from_source).source_ref.rsplit(",", 1)[0]
    text = f"Every equation below is printed from symbp's derivation; labels as in {source}."
    blocks: list[Block] = [
        Heading(2, f"{number}. The derivation as the source writes it"),
        Text(text),
    ]
    blocks += _source_blocks(gder, printed)
    blocks += [Text(t) for t in _source_prose(gder, notation_name, printed)]
    notes = [
        f"{d.label}: the source has ${d.reference}$ where symbp writes ${d.symbp}$. {d.note}"
        for d in deviations(notation_name, style, bool(gder.examples))
    ]
    if notes:
        blocks += [Text("Where symbp deliberately differs from the source:"), Items(notes)]
    return blocks


def _source_blocks(gder: GenericDerivation, printed: list[PrintedEquation]) -> list[Block]:
    """The source's equations in one block; a chain of its own (an ``aligned`` inside) in a
    block of its own, so that its width does not push every label of the others aside."""
    blocks: list[Block] = []
    rows: list[tuple[str, str, str]] = []
    for e in printed:
        row = ("", e.latex, e.label + _condition(gder, e.label))
        if "\\begin{aligned}" not in e.latex:
            rows.append(row)
            continue
        blocks += [Math(rows)] if rows else []
        blocks.append(Math([row]))
        rows = []
    return blocks + ([Math(rows)] if rows else [])


def _condition(gder: GenericDerivation, label: str) -> str:
    """Where the notes' D rows hold (they say it in prose beside the math: "If j != 0")."""
    if "mean_grad_bias" not in gder.entries:
        return ""
    return {"2B.9a": ", if $j \\neq 0$", "2B.9b": ", if $j = 0$ (the bias)"}.get(label, "")


def _source_prose(
    gder: GenericDerivation, notation_name: str, printed: list[PrintedEquation]
) -> list[str]:
    """What a reader needs to read the source's equations against this network."""
    out = []
    if get_notation(notation_name).bias_column and gder.bias == "unit":
        forward = gder.equations["forward_z"]
        explicit = print_node(forward, notation_name, shift=False)
        counted = print_node(bias_unit_counted_in(forward), notation_name, shift=False)
        out.append(
            f"The lecture notes' $a^{{(l)}}$ includes the bias unit $a_0^{{(l)}} = 1$, so their "
            f"${counted}$ (2B.1) is the forward step ${explicit}$, the bias unit stacked on "
            "top of the layer's activations as the post writes it."
        )
    ours = sorted({e.source_ref for e in printed if not e.from_source})
    if ours:
        out.append(
            "The rows labelled 'this network' are not the source's: "
            + "; ".join(r.removeprefix("symbp, for this network: ") for r in ours)
            + ", so symbp prints what holds here instead."
        )
    return out
