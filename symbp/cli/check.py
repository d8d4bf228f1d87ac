"""``symbp check FILE|-``: a verdict for every step of a hand derivation written in LaTeX."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from symbp.check.report import check_text
from symbp.check.split import header_flags
from symbp.cli import add_network_flags, network_from_args
from symbp.errors import SymbpError
from symbp.notation import NOTATIONS


def _flags(parser: argparse.ArgumentParser) -> None:
    add_network_flags(parser)
    parser.add_argument(
        "--notation", default=None, help=f"{', '.join(NOTATIONS)} (default wikipedia)"
    )
    parser.add_argument("--json", action="store_true", help="print the verdicts as JSON")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="check a hand derivation written in LaTeX")
    parser.add_argument("file", help=".tex or Markdown file with $$ blocks, or - for stdin")
    _flags(parser)
    parser.set_defaults(handler=run)


def _read(name: str) -> str:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SymbpError(f"no such file: {name}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SymbpError(f"cannot read {name}: {error}") from None
    if not text.strip():
        raise SymbpError(f"{name} is empty")
    return text


def run(args: argparse.Namespace) -> int:
    text = _read(args.file)
    flags = header_flags(text)
    if flags:
        from symbp.cli import _Parser

        header = _Parser(prog="symbp check (line 1)")
        _flags(header)
        defaults = vars(header.parse_args([]))
        from_file = vars(header.parse_args(flags))
        for key, value in from_file.items():
            if value != defaults[key] and getattr(args, key) == defaults[key]:
                setattr(args, key, value)
    report = check_text(text, network_from_args(args), args.notation or "wikipedia")
    if args.json:
        print(report.to_json())
    else:
        print(report.human(colour=sys.stdout.isatty()))
    return report.exit_status
