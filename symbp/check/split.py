"""A document (.tex, Markdown with ``$$`` or ```` ```math ```` blocks) -> its steps, in order.

Every display equation, every row of align/aligned/eqnarray/gather, and every relation in a
chain ``a = b = c`` is one step; a row that starts with ``=`` (``&= ...``) continues the chain of
the row above. Each side keeps its offset so that verdicts can name the line.

>>> doc = "% symbp: --layers 2,3,2\\n$$ y = a^L = x $$"
>>> [(s.left.text, s.right.text, s.line) for s in extract_steps(doc)]
[('y', 'a^L', 2), ('a^L', 'x', 2)]
>>> header_flags(doc)
['--layers', '2,3,2']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from symbp.flags import header_flags  # the one reader of the header, shared with the CLI

__all__ = ["Side", "Step", "extract_steps", "header_flags"]

_DISPLAY = re.compile(
    r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\begin\{(equation|align|eqnarray|gather|multline|displaymath)"
    r"(\*?)\}(.+?)\\end\{\3\4\}|^```math[ \t]*\n(.+?)^```",
    re.S | re.M,
)
_RELATION = re.compile(r":=|\\coloneqq|\\equiv|\\approx|=")
_DROP = re.compile(
    r"\\(label|tag)\{[^}]*\}|\\nonumber|\\notag|\\begin\{(aligned|split|gathered)\}"
    r"(\[[a-z]\])?|\\end\{(aligned|split|gathered)\}"
)


@dataclass(frozen=True)
class Side:
    text: str
    offset: int  # in the document


@dataclass(frozen=True)
class Step:
    """``left REL right``; ``line`` is the 1-based line of the relation sign."""

    left: Side
    right: Side
    relation: str
    line: int
    chain: int  # steps of one chain share this number

    @property
    def source(self) -> str:
        return f"{self.left.text} {self.relation} {self.right.text}"


def _top_level(text: str, pattern: re.Pattern) -> list[tuple[int, int]]:
    """(start, end) of every match of ``pattern`` outside braces and nested environments."""
    spans, depth, i = [], 0, 0

    def match_at(start: int) -> int | None:
        """End of a non-empty match of ``pattern`` at ``start`` (recorded), else None."""
        m = pattern.match(text, start)
        if m and m.end() > start:
            spans.append((start, m.end()))
            return m.end()
        return None

    while i < len(text):
        if text.startswith("\\begin{", i) or text.startswith("\\left", i):
            depth += 1
        elif text.startswith("\\end{", i) or text.startswith("\\right", i):
            depth -= 1
        c = text[i]
        if c == "\\" and i + 1 < len(text) and not text[i + 1].isalpha():
            end = match_at(i) if depth == 0 else None
            i = end if end is not None else i + 2
            continue
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth = max(depth - 1, 0)
        elif depth == 0 and (end := match_at(i)) is not None:
            i = end
            continue
        i += 1
    return spans


def _pieces(text: str, start: int, pattern: re.Pattern) -> list[tuple[str, int]]:
    out, last = [], 0
    for a, b in _top_level(text, pattern):
        out.append((text[last:a], start + last))
        last = b
    out.append((text[last:], start + last))
    return out


_ROW = re.compile(r"\\\\(\[[^\]]*\])?")
_SEPARATOR = re.compile(r",?\s*\\q?quad|,\s*\\(,|;|\s)|;")


def _trim(text: str, offset: int) -> tuple[str, int]:
    stripped = text.lstrip()
    offset += len(text) - len(stripped)
    stripped = stripped.rstrip().rstrip(".,;").rstrip()
    return stripped, offset


def extract_steps(document: str) -> list[Step]:
    """Every step of every display equation in ``document`` (see the module docstring)."""
    steps: list[Step] = []
    chain = 0
    for m in _DISPLAY.finditer(document):
        group = next(i for i in (1, 2, 5, 6) if m.group(i) is not None)
        body, body_start = m.group(group), m.start(group)
        body = _DROP.sub(lambda d: " " * len(d.group(0)), body)
        previous: Side | None = None
        for row, row_start in _pieces(body, body_start, _ROW):
            row = row.replace("&", " ")
            for piece, piece_start in _pieces(row, row_start, _SEPARATOR):
                sides = []
                relations = _top_level(piece, _RELATION)
                if not relations:
                    continue
                parts = _pieces(piece, piece_start, _RELATION)
                for text, offset in parts:
                    text, offset = _trim(text, offset)
                    sides.append(Side(text, offset))
                if not sides[0].text and previous is not None:
                    sides[0] = previous
                else:
                    chain += 1
                for (a, b), left, right in zip(relations, sides, sides[1:], strict=False):
                    line = document.count("\n", 0, piece_start + a) + 1
                    steps.append(Step(left, right, piece[a:b], line, chain))
                previous = sides[-1]
    return steps
