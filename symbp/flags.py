"""One parser for the network flags: every subcommand's command line and a document's
``% symbp:`` header read them with the same definitions, and flags given on the command line
win over the header, which wins over the defaults.

>>> values = header_values("% symbp: --layers=3,2 --loss bce --notation ng\\n$$ a = b $$")
>>> values
{'layers': '3,2', 'loss': 'bce', 'notation': 'ng'}
>>> network_from_values(values).describe()
'3-2 (sigmoid; binary_cross_entropy; bias explicit)'
>>> network_from_values({"layers": "2,3,3,2", "hidden": "relu,leaky_relu(0.5)"}).describe()
'2-3-3-2 (relu, leaky_relu, leaky_relu; squared_error; bias explicit)'
>>> header_values("% symbp: --help")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symbp.errors.SymbpError: the % symbp: header (line 1): unrecognized arguments: --help
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Mapping

from symbp import limits, values
from symbp.activations import ACTIVATIONS
from symbp.errors import SymbpError
from symbp.layers import LAYERS
from symbp.losses import LOSSES
from symbp.model import LayeredNetwork, Network, layered_network, network, parse_sizes
from symbp.notation import NOTATIONS

DEFAULTS: dict[str, str | None] = {
    "layers": "2,3,2",
    "hidden": "sigmoid",
    "output": None,  # as --hidden
    "loss": "mse",
    "bias": "explicit",
    "examples": "1",
    "l2": "0",
}
"""Every network flag and its default; what a document's header may also set (and --notation)."""
HEADER_EXTRA = ("notation",)


class FlagParser(argparse.ArgumentParser):
    """argparse whose errors are one SymbpError line, never a usage dump and an exit."""

    def error(self, message: str) -> None:
        raise SymbpError(f"{self.prog}: {message}")


def add_network_flags(
    parser: argparse.ArgumentParser, layers: str | None = "2,3,2", *, layered: bool = True
) -> None:
    """The flags every subcommand shares to describe a network (their defaults: DEFAULTS).

    A flag left out stays None on the parsed namespace, so that :func:`resolve` can tell a flag
    the user gave from a default and let it win over a document's header.
    """
    acts = ", ".join(ACTIVATIONS.choices())
    group = parser.add_argument_group("network")
    group.add_argument("--layers", help=f"layer sizes n0,...,nL (default {layers})")
    group.add_argument(
        "--hidden",
        help=f"hidden activation: {acts} (default sigmoid); or one per hidden layer, "
        "in order: relu,tanh",
    )
    group.add_argument(
        "--output", help="output activation (default: as --hidden, or its last in a list)"
    )
    group.add_argument("--loss", help=f"loss: {', '.join(LOSSES.choices())} (default mse)")
    group.add_argument("--bias", help="explicit (b^l) or unit (Ng's a_0 = 1); default explicit")
    group.add_argument("--examples", metavar="M", help="mean over m examples (default 1)")
    group.add_argument("--l2", metavar="LAMBDA", help="L2 strength lambda (default 0)")
    if layered:  # command line only: a document's header describes a dense network
        group.add_argument(
            "--input", metavar="SHAPE", help="with --net: one example's shape (64, 1x8x8, 2x9, 4x3)"
        )
        group.add_argument(
            "--net",
            metavar="SPEC",
            help="layers, e.g. 'conv2d(8,3,relu) maxpool2d(2) flatten dense(10,softmax)'; "
            f"known: {', '.join(LAYERS.choices())} (replaces --layers)",
        )
    parser.set_defaults(_layers_default=layers)


def header_flags(document: str) -> list[str]:
    """The flags of a first line ``% symbp: --layers 2,3,2 ...`` (or ``<!-- symbp: ... -->``).

    >>> header_flags("% symbp: --layers 2,3,2 --hidden tanh")
    ['--layers', '2,3,2', '--hidden', 'tanh']
    """
    first = document[: limits.MAX_HEADER_CHARS + 2].lstrip("\ufeff").split("\n", 1)[0].strip()
    m = re.match(r"^(?:%|<!--)\s*symbp:(.*?)(?:-->)?$", first[: limits.MAX_HEADER_CHARS + 1])
    if m is None:
        return []
    if len(first) > limits.MAX_HEADER_CHARS:
        raise SymbpError(
            f"the % symbp: header (line 1) is longer than {limits.MAX_HEADER_CHARS} characters "
            "(symbp.limits.MAX_HEADER_CHARS)"
        )
    try:
        return shlex.split(m.group(1))
    except ValueError as error:
        raise SymbpError(f"cannot read the flags on line 1: {error}") from None


def _header_parser() -> FlagParser:
    parser = FlagParser(prog="the % symbp: header (line 1)", add_help=False, allow_abbrev=False)
    add_network_flags(parser, layered=False)
    parser.add_argument("--notation", choices=NOTATIONS)
    return parser


def header_values(document: str) -> dict[str, str]:
    """The flags a document's header sets (only those it sets), read by the CLI's definitions;
    ``--help`` or an unknown flag there is an error, never help text and an exit."""
    flags = header_flags(document)
    if not flags:
        return {}
    parsed = vars(_header_parser().parse_args(flags))
    names = (*DEFAULTS, *HEADER_EXTRA)
    return {name: parsed[name] for name in names if parsed.get(name) is not None}


def resolve(args: argparse.Namespace, header: Mapping[str, str] | None = None) -> None:
    """Fill every network flag the command line left out: from ``header``, else the default."""
    header = header or {}
    for name in (*DEFAULTS, *HEADER_EXTRA):
        if hasattr(args, name) and getattr(args, name) is None and name in header:
            setattr(args, name, header[name])
    for name, default in DEFAULTS.items():
        if getattr(args, name, None) is None:
            if name == "layers":
                default = getattr(args, "_layers_default", default)
            setattr(args, name, default)
    if args.output is None:
        args.output = split_activations(args.hidden)[-1]


def split_activations(text: str) -> list[str]:
    """A ``--hidden`` value split at its commas, but not at one inside parentheses.

    >>> split_activations("relu, leaky_relu(0.5),tanh")
    ['relu', 'leaky_relu(0.5)', 'tanh']
    >>> split_activations("sigmoid")
    ['sigmoid']
    """
    items, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    return [*items, text[start:].strip()]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def hidden_activations(hidden: str, sizes: list[int]) -> list[str]:
    """One activation per hidden layer of ``sizes``: ``hidden`` for them all, or its list
    (which must have exactly one per hidden layer).

    >>> hidden_activations("tanh", [2, 3, 3, 1])
    ['tanh', 'tanh']
    >>> hidden_activations("relu,tanh", [2, 3, 2])
    Traceback (most recent call last):
    ...
    symbp.errors.SymbpError: --hidden has 2 activations but --layers 2,3,2 has 1 hidden layer
    """
    items, count = split_activations(hidden), len(sizes) - 2
    if len(items) == 1:
        return items * count
    if len(items) != count:
        raise SymbpError(
            f"--hidden has {_plural(len(items), 'activation')} but --layers "
            f"{','.join(map(str, sizes))} has {_plural(count, 'hidden layer')}"
        )
    return items


def _output_activation(output: str) -> str:
    items = split_activations(output)
    if len(items) != 1:
        raise SymbpError(
            f"--output is one activation (the output layer's), got {len(items)}: {output}"
        )
    return output


def network_from_values(given: Mapping[str, object]) -> Network:
    """The network that flag values describe (defaults for the ones missing)."""
    merged = {**DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
    if merged["layers"] is None:
        raise SymbpError("--layers is required here, e.g. --layers 2,3,2")
    sizes = parse_sizes(str(merged["layers"]))
    hidden = hidden_activations(str(merged["hidden"]), sizes)
    output = merged["output"] or split_activations(str(merged["hidden"]))[-1]
    return network(
        sizes,
        activations=[*hidden, _output_activation(str(output))],
        loss=merged["loss"],
        bias=merged["bias"],
        examples=values.parse_int(merged["examples"], "--examples", 1, limits.MAX_EXAMPLES),
        l2=values.parse_rational(merged["l2"], "--l2", limits.MAX_L2),
    )


def check_symbolic_size(net: Network, force: bool = False, *, proof: bool = True) -> None:
    """Refuse, before any work, a network too large to derive or check symbolically (the
    limits symbp.limits.MAX_SYMBOLIC_PARAMETERS and, with a proof, MAX_PROOF_EXAMPLES);
    ``force`` lifts them with a warning of the time it will take.

    >>> check_symbolic_size(network([784, 1024, 10]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.SymbpError: 784-1024-10 has 814,090 parameters, past the limit of 100,000 ...
    """
    sizes = "-".join(map(str, net.sizes))
    count = net.parameter_count
    limits.check_symbolic_parameters(sizes, count, force)
    if proof and net.examples > limits.MAX_PROOF_EXAMPLES and not force:
        raise SymbpError(
            f"--examples {net.examples} is past the limit of {limits.MAX_PROOF_EXAMPLES} for a "
            "proof or a check (symbp.limits.MAX_PROOF_EXAMPLES: the composed cost holds m copies "
            "of the network); symbp derive takes --proof none, or --force"
        )
    if count > limits.WARN_SYMBOLIC_PARAMETERS or net.examples > limits.MAX_PROOF_EXAMPLES:
        limits.warn(
            f"{sizes} with {count:,} parameters and m = {net.examples}: the derivation "
            "may take minutes and gigabytes of memory"
        )


def network_from_args(args: argparse.Namespace) -> Network | LayeredNetwork:
    """The network of a parsed command line (after :func:`resolve`, which it calls): a
    :class:`LayeredNetwork` when ``--input`` and ``--net`` are given."""
    resolve(args)
    net, shape = getattr(args, "net", None), getattr(args, "input", None)
    if net is not None or shape is not None:
        if net is None or shape is None:
            raise SymbpError("--net and --input go together: --input 1x8x8 --net 'conv2d(...) ...'")
        examples = values.parse_int(args.examples, "--examples", 1, limits.MAX_EXAMPLES)
        return layered_network(shape, net, args.loss, examples=examples)
    return network_from_values({name: getattr(args, name) for name in DEFAULTS})
