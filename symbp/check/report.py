"""Check a whole document: the :class:`Report` (verdicts in document order) and its printers.

>>> from symbp.model import network
>>> text = r"$$\\delta^l_j = \\frac{\\partial C}{\\partial z^l_j}$$"
>>> report = check_text(text, network([2, 3, 2]), "nielsen")
>>> [(s.verdict, s.method) for s in report.steps]
[('valid', 'proved symbolically for all 5 index values')]
>>> report.exit_status
0
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from symbp import limits
from symbp.check.layered import check_layered
from symbp.check.split import extract_steps
from symbp.check.truth import Truth
from symbp.check.verdict import Verdict, check_step
from symbp.errors import SymbpError
from symbp.files import read_bounded
from symbp.flags import check_symbolic_size, header_values, network_from_values
from symbp.model import Network
from symbp.notation import DEFAULT, check_notation

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
_COLOURS = {"valid": "\033[32m", "invalid": "\033[31m", "unreadable": "\033[33m"}


class NothingToCheck(SymbpError):
    """The input has no equation the checker could read."""


@dataclass
class Report:
    network: Network
    notation: str
    steps: list[Verdict]

    @property
    def exit_status(self) -> int:
        """0 when every step is valid, 1 when any is invalid, 2 when none could be read."""
        if any(s.verdict == "invalid" for s in self.steps):
            return EXIT_INVALID
        if all(s.verdict == "valid" for s in self.steps):
            return EXIT_VALID
        if all(s.verdict == "unreadable" for s in self.steps):
            return EXIT_UNREADABLE
        return EXIT_INVALID

    def to_json(self) -> str:
        return json.dumps({"steps": [s.as_json() for s in self.steps]}, indent=2)

    def human(self, colour: bool = False) -> str:
        lines = [f"network: {self.network.describe()}; notation: {self.notation}"]
        for s in self.steps:
            mark = s.verdict.upper()
            if colour:
                mark = f"{_COLOURS[s.verdict]}{mark}\033[0m"
            lines.append(f"line {s.line}: {mark}  {s.source}")
            if s.read_as:
                lines.append(f"    read as: {s.read_as}")
            if s.method:
                lines.append(f"    {s.method}")
            if s.counterexample:
                c = s.counterexample
                if "left" in c:
                    where = f" entry {tuple(c['entry'])}" if "entry" in c else ""
                    lines.append(f"    left{where} = {c['left']}, right = {c['right']}")
                if c.get("indices"):
                    lines.append(f"    at {', '.join(f'{k}={v}' for k, v in c['indices'].items())}")
                if c.get("values"):
                    shown = ", ".join(f"{k}={v}" for k, v in c["values"].items())
                    lines.append(f"    with {shown}")
            if s.hint:
                lines.append(f"    hint: {s.hint}")
        counts = {v: sum(s.verdict == v for s in self.steps) for v in _COLOURS}
        lines.append(", ".join(f"{n} {v}" for v, n in counts.items()))
        return "\n".join(lines)


def check_text(document: str, net: Network, notation: str = DEFAULT) -> Report:
    """Check every step of a document against ``net``; raises NothingToCheck if it has none."""
    check_notation(notation)
    if len(document) > limits.MAX_DOCUMENT_BYTES:
        raise SymbpError(
            f"the document has {len(document):,} characters, past the limit of "
            f"{limits.MAX_DOCUMENT_BYTES:,} (symbp.limits.MAX_DOCUMENT_BYTES)"
        )
    steps = extract_steps(document)
    if not steps:
        raise NothingToCheck("no display equation with '=' found (use $$...$$ or \\[...\\])")
    if not isinstance(net, Network):  # a --input/--net network: index-form steps per layer
        return Report(net, notation, check_layered(steps, net, notation))
    check_symbolic_size(net)
    truth = Truth.of(net)
    deadline = time.monotonic() + limits.MAX_CHECK_SECONDS
    verdicts = []
    for step in steps:
        left = deadline - time.monotonic()
        if left <= 0:
            why = (
                f"not checked: the document's time limit of {limits.MAX_CHECK_SECONDS:g} s "
                "(symbp.limits.MAX_CHECK_SECONDS) ran out before this step"
            )
            verdicts.append(Verdict(step.source, step.line, "unreadable", why))
        else:
            verdicts.append(check_step(step, truth, notation, document, seconds=left))
    return Report(net, notation, verdicts)


def network_from_header(document: str) -> tuple[Network, str]:
    """The network and notation of a document's ``% symbp: --layers 2,3,2 ...`` first line
    (the CLI's defaults where a flag is absent: 2,3,2, sigmoid, mse, explicit biases), read by
    the CLI's own flag definitions (:mod:`symbp.flags`).

    >>> net, notation = network_from_header("% symbp: --layers 3,2 --loss bce --notation ng")
    >>> net.describe(), notation
    ('3-2 (sigmoid; binary_cross_entropy; bias explicit)', 'ng')
    """
    given = header_values(document)
    return network_from_values(given), check_notation(given.get("notation", DEFAULT))


def check_file(path: str, net: Network | None = None, notation: str | None = None) -> Report:
    """Check a .tex or Markdown file; the network and notation come from its first line unless
    given."""
    data = read_bounded(path, limits.MAX_DOCUMENT_BYTES, "document")
    try:
        document = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SymbpError(f"cannot read {path}: not UTF-8 text ({error.reason})") from None
    header_net, header_notation = network_from_header(document)
    return check_text(document, net or header_net, notation or header_notation)
