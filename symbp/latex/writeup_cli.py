"""The ``markdown`` and ``latex`` formats of ``symbp derive``: flags, the canonical command line
that each generated file names, and writing the document (never over an existing file unless
``--force``). The long name of ``-o`` is ``--output-file``: ``--output`` already names the
output activation among the network flags.

>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["--notation", "ng", "-o", "out.md"])
>>> (args.notation, args.hadamard, args.output_file, args.force)
('ng', 'circ', 'out.md', False)
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from symbp.derive.concrete import derive
from symbp.errors import SpecError
from symbp.files import check_outputs
from symbp.latex import writeup, writeup_generic
from symbp.model import Network
from symbp.notation import DEFAULT, GENERIC_NOTATIONS, NOTATIONS, get_notation

FORMATS = writeup.FORMATS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--notation``, ``--hadamard``, ``-o/--output-file`` and ``--force`` for the writeups."""
    group = parser.add_argument_group("writeup (--format markdown or latex)")
    group.add_argument(
        "--notation",
        default=DEFAULT,
        choices=GENERIC_NOTATIONS,
        help="whose symbols to write in (ufldl: with --generic only)",
    )
    group.add_argument(
        "--hadamard",
        default="circ",
        choices=writeup.HADAMARD,
        help="Wikipedia's elementwise product: circ (today's article) or cdot (the old one)",
    )
    group.add_argument(
        "-o",
        "--output-file",
        metavar="FILE",
        help="write the writeup here (and the picture beside)",
    )
    group.add_argument(
        "--force", action="store_true", help="overwrite existing files; go past the size limits"
    )


def command_line(args: argparse.Namespace, net: Network) -> str:
    """The canonical command that makes this document, every network flag spelled out."""
    generic = getattr(args, "generic", False)
    parts = ["symbp", "derive"]
    if not generic:  # the generic derivation has no sizes
        parts += ["--layers", ",".join(map(str, net.sizes))]
    parts += ["--hidden", args.hidden, "--output", args.output or args.hidden]
    parts += ["--loss", args.loss, "--bias", net.bias]
    if net.examples != 1:
        parts += ["--examples", str(net.examples)]
    if net.l2:
        parts += ["--l2", str(args.l2)]
    if generic:
        parts.append("--generic")
    parts += ["--notation", args.notation]
    if get_notation(args.notation).hadamard_styles:
        parts += ["--hadamard", args.hadamard]
    parts += ["--format", args.format]
    if args.output_file:
        parts += ["-o", args.output_file]
    return " ".join(shlex.quote(p) for p in parts)


def document(args: argparse.Namespace, net: Network) -> writeup.Document:
    """Derive and render the writeup the parsed command line asks for, without writing it."""
    svg_name = None
    if args.output_file:
        svg_name = Path(args.output_file).with_suffix(".svg").name
    _check_sized(args)
    if getattr(args, "generic", False):
        der = writeup_generic.for_network(net)
    else:
        der = derive(net, force=args.force)
    return writeup.render(
        der,
        notation=args.notation,
        fmt=args.format,
        hadamard=args.hadamard,
        command=command_line(args, net),
        svg_name=svg_name,
    )


def _check_sized(args: argparse.Namespace) -> None:
    """UFLDL's notation is written for a network of any depth only (``--generic``)."""
    if args.notation not in NOTATIONS and not getattr(args, "generic", False):
        raise SpecError(
            f"--notation {args.notation} writes only a network of any depth (--generic)"
        )


def run(args: argparse.Namespace, net: Network) -> int:
    """Write the writeup to ``--output-file`` (and its picture beside it) or to stdout."""
    if args.output_file:  # every file it will write, checked before the derivation
        picture = [Path(args.output_file).with_suffix(".svg")] if args.format == "markdown" else []
        check_outputs([args.output_file, *picture], args.force)
    doc = document(args, net)
    if args.output_file:
        writeup.write(doc, args.output_file, force=args.force)
    else:
        sys.stdout.write(doc.text)
    return 0


def layered_command(args: argparse.Namespace, net) -> str:
    """The command that makes a ``--net`` network's document."""
    parts = ["symbp", "derive", "--input", "x".join(map(str, net.input_shape)),
             "--net", " ".join(layer.spec() for layer in net.layers), "--loss", net.loss.name,
             "--notation", args.notation, "--format", args.format]  # fmt: skip
    if args.output_file:
        parts += ["-o", args.output_file]
    return " ".join(shlex.quote(p) for p in parts)


def run_layered(args: argparse.Namespace, net) -> int:
    """A ``--net`` network's writeup (:mod:`symbp.latex.writeup_layers`), to a file or stdout."""
    from symbp.latex.writeup_layers import layer_document

    _check_sized(args)
    svg_name = None
    if args.output_file:  # every file it will write, checked before the derivation
        picture = Path(args.output_file).with_suffix(".svg")
        check_outputs([args.output_file, *([picture] if args.format == "markdown" else [])],
                      args.force)  # fmt: skip
        svg_name = picture.name if args.format == "markdown" else None
    command = layered_command(args, net)
    doc = layer_document(net, args.notation, args.format, command, svg_name)
    if args.output_file:
        writeup.write(doc, args.output_file, force=args.force)
    else:
        sys.stdout.write(doc.text)
    return 0
