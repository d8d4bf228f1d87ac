"""Display rows that fit GitHub's Markdown column (890 px, MathJax 3 at 16 px): a row too wide
is broken at its sums as in the LaTeX writeups (:func:`symbp.latex.tex_layout.break_row`), and
a reason that does not fit beside its row moves below it, wrapped at its spaces, as a text row
of its own (``symbp check`` reads only rows with a relation, so it skips these).

Widths are :func:`symbp.latex.tex_layout.width`'s estimate (points at 11 pt), scaled to
MathJax's 16 px; ``benchmarks/writeup_layout.py --markdown`` measures the rendered blocks in a
browser, which is what keeps the estimate honest.

>>> out = fit([("C", "= a - y", "differentiate the loss " * 12)], lambda reason: reason)
>>> out[0], out[1][1][:22], len(out)
(('C', '= a - y', ''), '\\\\qquad differentiate t', 9)
"""

from __future__ import annotations

import re
from collections.abc import Callable

from symbp.latex.tex_layout import _top_split, break_row, width

COLUMN_PX = 890.0
PX_PER_PT = 1.75  # MathJax at 16 px against the estimate (points at 11 pt): measured 1.5-1.85
ROOM = 0.95 * COLUMN_PX / PX_PER_PT  # points, with a margin for the estimate's error
GAP = 22.0  # aligned's 2 em between the equation and its reason
_INDENT = "\\qquad "
_WORDS = re.compile(r"\$[^$]*\$|\S+")

Row = tuple[str, str, str]


def _wrapped(reason: str, room: float) -> list[str]:
    """The reason in pieces no wider than ``room`` (cut at spaces, never inside ``$...$``)."""
    lines, line = [], ""
    for word in _WORDS.findall(reason):
        trial = f"{line} {word}" if line else word
        if line and width(f"\\text{{{trial}}}") > room:
            lines.append(line)
            line = word
        else:
            line = trial
    return lines + [line] if line else lines


def _first_column(right: str) -> float:
    """The width of an ``aligned`` block's first column, which each of its rows sits after
    (its lines are measured alone when they are broken)."""
    head, found, body = right.partition("\\begin{aligned}")
    if not found or head.strip(" =:"):
        return 0.0
    return width(body.split("&", 1)[0])


def _at_relations(left: str, right: str) -> list[str]:
    """A chain ``a = b = c = d`` too wide for the column, cut before its later ``=`` (each
    later line ``= c``, which ``symbp check`` reads as a step from the line above)."""
    parts = _top_split(right, " = ")
    if len(parts) < 3 or "\\begin{aligned}" in right or width(left + right) <= ROOM:
        return [right]
    lines = [parts[0] + " = " + parts[1]]
    for part in parts[2:]:
        if width(left + lines[-1] + " = " + part) <= ROOM:
            lines[-1] += " = " + part
        else:
            lines.append("= " + part)
    return lines


def _at_sums(left: str, right: str) -> list[tuple[str, str]]:
    """:func:`break_row` at the row's sums, unless a cut would fall inside parentheses."""
    parts = break_row(left, right, room=ROOM - _first_column(right))
    if any(b.count("(") != b.count(")") for _, b in parts):
        return [(left, right)]
    return parts


def fit(rows: list[Row], as_text: Callable[[str], str]) -> list[Row]:
    """``rows`` (left, right, reason) as rows no wider than the column; a reason moved below
    its row becomes rows ``("", "\\qquad " + as_text(piece), "")``. Reasons sit in one column
    after the widest right side, so the longest ones move first, until the block fits."""
    lead = max((width(left) for left, _, _ in rows), default=0.0)
    broken: list[Row] = []
    for left, right, reason in rows:
        parts = []
        for k, line in enumerate(_at_relations(left, right)):
            parts += _at_sums(left if k == 0 else "", line)
        broken += [(a, b, "") for a, b in parts[:-1]] + [(*parts[-1], reason)]
    # a moved reason wraps to the width the right sides already take (at least half the room)
    equations = max((width(right) for _, right, _ in broken), default=0.0)
    room = min(max(equations, ROOM / 2), ROOM - lead) - width(_INDENT)
    below: set[int] = set()
    while True:
        out = _placed(broken, below, room, as_text)
        right_width = max((width(right) for _, right, _ in out), default=0.0)
        beside = {
            k: width(as_text(reason))
            for k, (_, _, reason) in enumerate(broken)
            if reason and k not in below
        }
        if not beside or lead + right_width + GAP + max(beside.values()) <= ROOM:
            return out
        below.add(max(beside, key=beside.__getitem__))


def _placed(
    rows: list[Row], below: set[int], room: float, as_text: Callable[[str], str]
) -> list[Row]:
    out: list[Row] = []
    for k, (left, right, reason) in enumerate(rows):
        if k not in below:
            out.append((left, right, reason))
            continue
        out.append((left, right, ""))
        out += [("", _INDENT + as_text(piece), "") for piece in _wrapped(reason, room)]
    return out
