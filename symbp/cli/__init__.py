"""The ``symbp`` command: ``derive``, ``check``, ``compile`` and ``train`` share the network flags.

Every error a user can cause ends as one line on stderr and a non-zero exit status, never a
traceback. Each subcommand lives in its own module with ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from symbp.errors import SymbpError
from symbp.flags import FlagParser, add_network_flags, network_from_args

__all__ = ["EXIT_ERROR", "add_network_flags", "build_parser", "main", "network_from_args"]

EXIT_ERROR = 2
_Parser = FlagParser  # the name the subcommands knew


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
    except MemoryError:
        print(
            "symbp: error: out of memory; see symbp.limits for the sizes it allows", file=sys.stderr
        )
        return EXIT_ERROR
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("symbp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
