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

__all__ = [
    "EXIT_ERROR",
    "add_network_flags",
    "build_parser",
    "main",
    "network_from_args",
    "one_line",
]

EXIT_ERROR = 2
_Parser = FlagParser  # the name the subcommands knew


def build_parser() -> argparse.ArgumentParser:
    from symbp.cli import check, compile, derive, serve, train

    parser = _Parser(prog="symbp", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in (derive, check, compile, train, serve):
        module.register(subparsers)
    return parser


def one_line(text: str) -> str:
    r"""``text`` with every character that would break the line (a newline, a carriage return,
    a record separator) written as its escape, so that an error is always one line.

    >>> one_line("unrecognized arguments: \x1e0\r")
    'unrecognized arguments: \\x1e0\\r'
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``symbp`` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.handler(args) or 0)
    except SymbpError as error:
        print(f"symbp: error: {one_line(str(error))}", file=sys.stderr)
        return EXIT_ERROR
    except FileNotFoundError as error:
        print(f"symbp: error: no such file: {one_line(str(error.filename))}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as error:  # a file the user named: unreadable, a device, a full disk
        where = f" {error.filename}" if error.filename else ""
        print(f"symbp: error: cannot use{one_line(where)}: {error.strerror}", file=sys.stderr)
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
