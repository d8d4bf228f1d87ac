"""What a worker process runs: the ``symbp`` command line itself, or a writeup as HTML.

The API answers with exactly what the command line prints, because it *is* the command line:
:func:`cli` calls :func:`symbp.cli.main` with the request's flags, the LaTeX on its stdin, and
keeps what it writes. Before that, :func:`refuse_large` turns away a network larger than the
server's limits, naming the limit.

>>> status, out, err = cli(["check", "-", "--json"], "$$ a^L_j = \\\\sigma(z^L_j) $$")
>>> status, err, '"verdict": "valid"' in out
(0, '', True)
>>> cli(["derive", "--layers", "40,40,40"])[2].strip()
'symbp: error: a 40-40-40 network has 3280 parameters; the server takes at most 100'
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

from symbp.errors import SpecError

MAX_LAYERS = 5  # layers of weights
MAX_PARAMETERS = 100  # weights and biases: the symbolic proof's own limit
MAX_EXAMPLES = 10
# A --net network past 200 parameters is derived and proved on its skeleton (at most 2 channels,
# 3 units, short inputs; symbp.derive.layered_text), so its size costs little beyond the
# trainer's arrays; below that it is derived at full size, where the values of one layer count.
MAX_NET_LAYERS = 8  # layers of a --net spec, pooling and flatten included
MAX_NET_PARAMETERS = 100_000  # every parameter array of a --net network, by its own shapes
MAX_NET_VALUES = 20_000  # the values of one example in the largest layer of a --net network


def _flag(argv: list[str], name: str) -> str | None:
    """The value of ``--name`` in ``argv`` (the last one wins, as in argparse)."""
    value = None
    for i, token in enumerate(argv):
        if token == f"--{name}" and i + 1 < len(argv):
            value = argv[i + 1]
        elif token.startswith(f"--{name}="):
            value = token.split("=", 1)[1]
    return value


def refuse_large(argv: list[str], document: str = "") -> None:
    """Raise SpecError when the network of a command line (or of the ``% symbp:`` header of
    the checked document, where the command line leaves a flag out) exceeds the limits.

    >>> refuse_large(["derive", "--layers", "2,3,2"])
    >>> refuse_large(["check", "-"], "% symbp: --layers 2,2,2,2,2,2,2")
    Traceback (most recent call last):
    symbp.errors.SpecError: a network of 6 weight layers is over the server's limit of 5
    >>> refuse_large(["derive", "--input=1x8x8", "--net=conv2d(64,3) flatten dense(50)"])
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    symbp.errors.SpecError: the --net network has 115,890 parameters (W1 64x1x3x3, ...); \
the server takes at most 100,000
    """
    from symbp.check.split import header_flags
    from symbp.model import parse_sizes

    header = header_flags(document) if document else []
    examples = _flag(argv, "examples") or _flag(header, "examples") or "1"
    if examples.isdigit() and int(examples) > MAX_EXAMPLES:
        raise SpecError(f"--examples {examples} is over the server's limit of {MAX_EXAMPLES}")
    if _flag(argv, "net") is not None or _flag(argv, "input") is not None:
        _refuse_large_net(_flag(argv, "input"), _flag(argv, "net"))
        return
    layers = _flag(argv, "layers") or _flag(header, "layers") or "2,3,2"
    try:
        sizes = parse_sizes(layers)
    except SpecError:
        return  # the command line says what is wrong with it
    if len(sizes) - 1 > MAX_LAYERS:
        raise SpecError(
            f"a network of {len(sizes) - 1} weight layers is over the server's limit of "
            f"{MAX_LAYERS}"
        )
    count = sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))
    if count > MAX_PARAMETERS:
        shown = "-".join(map(str, sizes))
        raise SpecError(
            f"a {shown} network has {count} parameters; the server takes at most {MAX_PARAMETERS}"
        )


def _refuse_large_net(shape: str | None, spec: str | None) -> None:
    """The limits of a ``--input SHAPE --net SPEC`` network, read by the command line's own
    parser (:func:`symbp.model.layered_network`) and counted by the network's own parameter
    shapes. A spec the parser refuses passes here: the command line says what is wrong."""
    import math

    from symbp.errors import SymbpError
    from symbp.layers.spec import parse_net

    if shape is None or spec is None:
        return  # the command line asks for both
    try:
        layers = parse_net(spec)
    except SymbpError:
        return
    if len(layers) > MAX_NET_LAYERS:
        raise SpecError(
            f"a --net network of {len(layers)} layers is over the server's limit of "
            f"{MAX_NET_LAYERS}"
        )
    try:
        net = _any_loss_network(shape, layers)
    except SymbpError:
        return
    count = net.parameter_count
    if count > MAX_NET_PARAMETERS:
        arrays = ", ".join(f"{k} {'x'.join(map(str, v))}" for k, v in net.parameter_shapes.items())
        raise SpecError(
            f"the --net network has {count:,} parameters ({arrays}); the server takes at most "
            f"{MAX_NET_PARAMETERS:,}"
        )
    widest = max(math.prod(s) for s in net.shapes)
    if widest > MAX_NET_VALUES:
        raise SpecError(
            f"a layer of the --net network holds {widest:,} values per example; the server "
            f"takes at most {MAX_NET_VALUES:,}"
        )


def _any_loss_network(shape: str, layers: tuple):
    """The network with a loss its output fits (its parameters do not depend on the loss)."""
    from symbp.errors import SymbpError
    from symbp.model import layered_network

    try:
        return layered_network(shape, layers, "mse")
    except SymbpError:
        return layered_network(shape, layers, "cross-entropy")


def warm_up() -> None:
    """Load what the first check would (the LaTeX reader's tables, the network's truth), so
    that a fresh worker answers its first request as fast as its hundredth.

    >>> warm_up()
    """
    cli(["check", "-", "--json"], "$$ a^L_j = \\sigma(z^L_j) $$")


def cli(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """Run ``symbp ARGV`` with ``stdin``; returns (exit status, stdout, stderr)."""
    from symbp.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        refuse_large(argv, stdin)
        status = main(argv)
    except SpecError as error:
        print(f"symbp: error: {error}", file=err)
        status = 2
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return status, out.getvalue(), err.getvalue()


def cli_files(argv: list[str], name: str) -> tuple[int, dict[str, bytes], str]:
    """Run ``symbp ARGV -o NAME`` in an empty folder; returns (status, the files it wrote by
    name, stderr). The bytes are the command line's, ``-o NAME`` in the header included.

    >>> status, files, err = cli_files(["compile", "--layers", "2,2"], "trainer.py")
    >>> status, sorted(files), b"def step" in files["trainer.py"]
    (0, ['trainer.py'], True)
    """
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="symbp-web-") as folder:
        os.chdir(folder)  # a worker runs one job at a time: its working folder is its own
        try:
            status, _, err = cli([*argv, "-o", name])
            files = {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}
        finally:
            os.chdir(here)
    return status, files, err


def writeup_html(argv: list[str]) -> dict[str, str]:
    """The writeup ``symbp derive ARGV --format markdown`` makes, as HTML for the page:
    ``{"title", "html", "command", "layered"}``; raises SymbpError (one line) for a bad network.
    A ``--net`` network gets its index-form writeup (:mod:`symbp.latex.writeup_layers`) and
    then what ``symbp derive ARGV --format text`` reports (:mod:`symbp.web.layered`).

    >>> writeup_html(["--layers", "2,1", "--notation", "ng"])["title"]
    "Backpropagation for a 2-1 network in Andrew Ng's notation"
    >>> writeup_html(["--input=1x3", "--net=conv1d(1,2) flatten dense(1)"])["command"][:60]
    "symbp derive --input 1x3 --net 'conv1d(1,2,identity) flatten"
    """
    import shlex
    from html import escape as html_escape

    from symbp.cli import build_parser, network_from_args
    from symbp.latex import writeup_cli
    from symbp.latex.writeup_layers import layer_blocks
    from symbp.model import LayeredNetwork
    from symbp.web.html import blocks_html, document_html
    from symbp.web.layered import layered_html

    refuse_large(argv)
    args = build_parser().parse_args(["derive", *argv, "--format", "markdown"])
    net = network_from_args(args)
    if isinstance(net, LayeredNetwork):
        if args.generic:
            raise SpecError("a --net network is derived at its own sizes: leave generic unticked")
        text_command = shlex.join(["symbp", "derive", *_text_argv(argv), "--format", "text"])
        arrays = layered_html(net, text_command)
        blocks = layer_blocks(net, args.notation, writeup_cli.layered_command(args, net))
        shown = (
            f"{blocks_html(blocks)}\n<h2>The array form symbp compiles</h2>\n"
            f"<p>The same as <code>{html_escape(text_command)}</code>:</p>\n{arrays['html']}"
        )
        command = writeup_cli.layered_command(args, net)
        return {"title": blocks[0].text, "html": shown, "command": command, "layered": "1"}
    command = writeup_cli.command_line(args, net)
    parts = document_html(net, args.notation, args.hadamard, args.generic, command)
    return {**parts, "layered": ""}


def _text_argv(argv: list[str]) -> list[str]:
    """``--name=value`` flags as the command line a user would type (``--name value``)."""
    out = []
    for token in argv:
        name, has_value, value = token.partition("=")
        out.extend([name, value] if has_value and name.startswith("--") else [token])
    return out
