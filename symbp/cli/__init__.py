"""The ``symbp`` command: ``derive``, ``check``, ``compile`` and ``train`` share the network flags.

Every error a user can cause ends as one line on stderr and a non-zero exit status, never a
traceback. Each subcommand lives in its own module with ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from symbp.activations import ACTIVATIONS
from symbp.errors import SymbpError
from symbp.layers import LAYERS
from symbp.losses import LOSSES
from symbp.model import LayeredNetwork, Network, layered_network, network

EXIT_ERROR = 2


def add_network_flags(parser: argparse.ArgumentParser, layers: str | None = "2,3,2") -> None:
    """The flags every subcommand shares to describe a network."""
    acts = ", ".join(ACTIVATIONS.choices())
    group = parser.add_argument_group("network")
    group.add_argument("--layers", default=layers, help=f"layer sizes n0,...,nL (default {layers})")
    group.add_argument("--hidden", default="sigmoid", help=f"hidden activation: {acts}")
    group.add_argument("--output", default=None, help="output activation (default: as --hidden)")
    group.add_argument(
        "--loss", default="mse", help=f"loss: {', '.join(LOSSES.choices())} (default mse)"
    )
    group.add_argument("--bias", default="explicit", help="explicit (b^l) or unit (Ng's a_0 = 1)")
    group.add_argument("--examples", type=int, default=1, metavar="M", help="mean over m examples")
    group.add_argument("--l2", default="0", metavar="LAMBDA", help="L2 strength lambda (default 0)")
    group.add_argument(
        "--input", metavar="SHAPE", help="with --net: one example's shape (64, 1x8x8, 2x9, 4x3)"
    )
    group.add_argument(
        "--net", metavar="SPEC", help=f"layers, e.g. 'conv2d(8,3,relu) maxpool2d(2) flatten "
        f"dense(10,softmax)'; known: {', '.join(LAYERS.choices())} (replaces --layers)",
    )  # fmt: skip


def network_from_args(args: argparse.Namespace) -> Network | LayeredNetwork:
    if getattr(args, "net", None) is not None or getattr(args, "input", None) is not None:
        if args.net is None or args.input is None:
            raise SymbpError("--net and --input go together: --input 1x8x8 --net 'conv2d(...) ...'")
        return layered_network(args.input, args.net, args.loss, examples=args.examples)
    return network(
        args.layers,
        hidden=args.hidden,
        output=args.output or args.hidden,
        loss=args.loss,
        bias=args.bias,
        examples=args.examples,
        l2=args.l2,
    )


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, as for every other user error
        raise SymbpError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    from symbp.cli import check, compile, derive, train

    parser = _Parser(prog="symbp", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in (derive, check, compile, train):
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``symbp`` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.handler(args) or 0)
    except SymbpError as error:
        print(f"symbp: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except FileNotFoundError as error:
        print(f"symbp: error: no such file: {error.filename}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("symbp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
