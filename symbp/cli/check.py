"""``symbp check FILE|-``: a verdict for every step of a hand derivation written in LaTeX."""

from __future__ import annotations

import argparse
import sys

from symbp import limits
from symbp.check.report import check_text
from symbp.cli import add_network_flags, network_from_args
from symbp.errors import SymbpError
from symbp.files import read_bounded
from symbp.flags import header_values, resolve
from symbp.notation import DEFAULT, NOTATIONS


def _flags(parser: argparse.ArgumentParser) -> None:
    add_network_flags(parser)
    parser.add_argument(
        "--notation", default=None, help=f"{', '.join(NOTATIONS)} (default {DEFAULT})"
    )
    parser.add_argument("--json", action="store_true", help="print the verdicts as JSON")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="check a hand derivation written in LaTeX")
    parser.add_argument("file", help=".tex or Markdown file with $$ blocks, or - for stdin")
    _flags(parser)
    parser.set_defaults(handler=run)


def _read(name: str) -> str:
    """The document, read only up to symbp.limits.MAX_DOCUMENT_BYTES (/dev/zero included)."""
    limit = limits.MAX_DOCUMENT_BYTES
    if name == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        data = stdin.read(limit + 1) if stdin else sys.stdin.read(limit + 1).encode("utf-8")
        if len(data) > limit:
            raise SymbpError(f"stdin is larger than the limit of {limit} bytes for a document")
    else:
        data = read_bounded(name, limit, "document")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SymbpError(f"cannot read {name}: not UTF-8 text ({error.reason})") from None
    if not text.strip():
        raise SymbpError(f"{name} is empty")
    return text


def run(args: argparse.Namespace) -> int:
    text = _read(args.file)
    resolve(args, header_values(text))  # flags given here win over the document's header
    net = network_from_args(args)
    report = check_text(text, net, args.notation or DEFAULT)
    if args.json:
        print(report.to_json())
    else:
        print(report.human(colour=sys.stdout.isatty()))
    return report.exit_status
