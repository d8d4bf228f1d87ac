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
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace

from symbp.flags import header_flags  # the one reader of the header, shared with the CLI

__all__ = ["Side", "Step", "extract_steps", "header_flags"]

_OPENER = re.compile(
    r"\$\$|\\\[|\\begin\{(equation|align|eqnarray|gather|multline|displaymath)(\*?)\}"
    r"|^```math[ \t]*\n",
    re.M,
)
_FENCE = re.compile(r"^```", re.M)


def displays(document: str) -> Iterator[tuple[str, int]]:
    """(body, offset of the body) of every display block, in order, in one pass: an opener
    without its closer is skipped, and once a closer is known to be absent past some point no
    later opener of that kind searches for it again (so unclosed blocks cost linear time).

    >>> [body for body, _ in displays(r"$$ a $$ \\[ b \\] $$ c")]
    [' a ', ' b ']
    """
    absent_after: dict[str, int] = {}  # closer -> a position past which it does not occur
    pos = 0
    while (m := _OPENER.search(document, pos)) is not None:
        opener = m.group(0)
        if opener == "$$":
            closer = "$$"
        elif opener == "\\[":
            closer = "\\]"
        elif opener.startswith("```"):
            closer = "```"
        else:
            closer = f"\\end{{{m.group(1)}{m.group(2)}}}"
        start = m.end()
        end = -1
        if closer not in absent_after or start < absent_after[closer]:
            if closer == "```":
                fence = _FENCE.search(document, start)
                end = fence.start() if fence else -1
            else:
                end = document.find(closer, start)
            if end < 0:
                absent_after[closer] = start
        if end < 0:
            pos = m.start() + 1
            continue
        yield document[start:end], start
        pos = end + len(closer)


_RELATION = re.compile(r":=|\\coloneqq|\\equiv|\\approx|=")
_ENVS = r"(aligned|split|gathered|align|equation|gather|eqnarray|multline|alignat)\*?"
_DROP = re.compile(
    r"\\label\{[^}]*\}|\\nonumber|\\notag|\\begin\{" + _ENVS + r"\}(\[[a-z]\]|\{\d+\})?"
    r"|\\end\{" + _ENVS + r"\}"
)


_TAG = re.compile(r"\\tag\*?\s*\{")


_LABEL_IF = re.compile(
    r"\b(?:if|for|when)\s*\$\s*([a-zA-Z])\s*(\\neq|\\ne|\\geq|\\ge|\\leq|\\le|>|<|=)\s*(-?\d+)\s*\$"
)
_LABEL_ROW = re.compile(r"\s*(?:\\q?quad\s*)*\\text\{[^{}]*\}\s*")


def _tag_condition(tag: str) -> str:
    """A tag blanked to spaces, but for the condition it states (``2B.9a, if $j \\neq 0$``),
    kept as ``(j \\neq 0)`` at its start so that the step before it is read under it.

    >>> _tag_condition(r"\\tag*{\\parbox{5cm}{2B.9a, if $j \\neq 0$}}").split()
    ['(j', '\\\\neq', '0)']
    """
    m = _LABEL_IF.search(tag)
    kept = "" if m is None else f"({m.group(1)} {m.group(2)} {m.group(3)})"
    return kept + " " * (len(tag) - len(kept)) if len(kept) <= len(tag) else " " * len(tag)


def _label_row_condition(row: str) -> tuple[tuple[str, str, str], ...] | None:
    """A row that is only a label stating a condition (``\\qquad \\text{2B.9b, if $j = 0$}``,
    Markdown writeups put the reason on its own row): the condition of the row above."""
    if _LABEL_ROW.fullmatch(row) is None or (m := _LABEL_IF.search(row)) is None:
        return None
    return ((m.group(1), _OPS.get(m.group(2), m.group(2)), m.group(3)),)


_HIDDEN = re.compile(r"\b(?:a|every|each) hidden layer\b|\b(?:the|all|for) hidden layers\b")
_TEXT = re.compile(r"\\(?:text|mbox|textrm)\{([^{}]*)\}")
HIDDEN = (("l", "<", "L"),)
"""A label that says its step is about a hidden layer (``\\text{the activation of a hidden
layer}``, also when the layout breaks it over two reason rows): the layer letter l runs below
the output layer L."""


def _words(text: str) -> str:
    """The words of every ``\\text{...}`` in ``text``, joined by spaces."""
    return " ".join(m.group(1) for m in _TEXT.finditer(text))


def _blank_tags(body: str) -> str:
    """``\\tag{...}`` and ``\\tag*{...}`` (braces nested, as in a tag that holds a ``\\parbox``,
    the reasons of symbp's LaTeX writeups) replaced by spaces, so that offsets keep their lines.

    >>> _blank_tags(r"a = b \\tag*{\\parbox{2cm}{x = y}} \\\\ c").split()
    ['a', '=', 'b', '\\\\\\\\', 'c']
    """
    out, pos = [], 0
    while (m := _TAG.search(body, pos)) is not None:
        depth, end = 1, m.end()
        while end < len(body) and depth:
            if body[end] == "\\":
                end += 2
                continue
            depth += {"{": 1, "}": -1}.get(body[end], 0)
            end += 1
        out += [body[pos : m.start()], _tag_condition(body[m.start() : end])]
        pos = end
    return "".join(out) + body[pos:]


_CONTINUED = re.compile(r"\s*(&\s*(\\q?quad\s*)?|\\q?quad\s*)(\{\}\s*)?(?=[+-]|\\cdot(?![A-Za-z]))")


def _join_continued(body: str) -> str:
    """A row that continues a long right side (``\\\\ &\\quad {}+ ...``, a sum broken to fit
    the page) joined to the row above: its row break, ``&``, ``\\quad`` and ``{}`` become spaces
    (a break inside brackets too: ``[t = \\tau \\\\ &\\quad {}- 1]`` is one bracket).

    >>> _join_continued(r"a &= b \\\\ &\\quad {}+ c \\\\ &= d").split()
    ['a', '&=', 'b', '+', 'c', '\\\\\\\\', '&=', 'd']
    """
    for start, end in reversed(_top_level(body, _ROW, brackets=False)):
        m = _CONTINUED.match(body, end)
        if m is not None:
            body = body[:start] + " " * (m.end() - start) + body[m.end() :]
    return body


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
    conditions: tuple[tuple[str, str, str], ...] = ()  # (j, "!=", "0"): where the step holds

    @property
    def source(self) -> str:
        return f"{self.left.text} {self.relation} {self.right.text}"


def _top_level(text: str, pattern: re.Pattern, brackets: bool = True) -> list[tuple[int, int]]:
    """(start, end) of every match of ``pattern`` outside braces and nested environments (and,
    with ``brackets``, outside parentheses, square brackets and ``\\left ... \\right``)."""
    spans, depth, i = [], 0, 0

    def match_at(start: int) -> int | None:
        """End of a non-empty match of ``pattern`` at ``start`` (recorded), else None."""
        m = pattern.match(text, start)
        if m and m.end() > start:
            spans.append((start, m.end()))
            return m.end()
        return None

    while i < len(text):
        if text.startswith("\\begin{", i) or (brackets and text.startswith("\\left", i)):
            depth += 1
        elif text.startswith("\\end{", i) or (brackets and text.startswith("\\right", i)):
            depth -= 1
        c = text[i]
        if c == "\\" and i + 1 < len(text) and not text[i + 1].isalpha():
            end = match_at(i) if depth == 0 else None
            i = end if end is not None else i + 2
            continue
        if c in ("{([" if brackets else "{"):
            depth += 1
        elif c in ("})]" if brackets else "}"):
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


_COMPARE = r"(\\neq|\\ne|\\geq|\\ge|\\leq|\\le|>|<|=)"
_CONDITION = re.compile(
    r"(?:\\(?:text|mbox|textrm)\{\s*(?:for(?: all)?|if|when|where)\s*\}(?:\\[:;,! ]|\s)*"
    r"|\(\s*|\\text\{\s*\(\s*\}\s*)"
    r"([a-zA-Z])\s*" + _COMPARE + r"\s*(-?\d+)\s*\)?\s*$"
)
_BARE_CONDITION = re.compile(r"^\s*([a-zA-Z])\s*" + _COMPARE + r"\s*(-?\d+)\s*$")
_RANGE = re.compile(r"^\s*(-?\d+)\s*,\s*\\[lc]?dots\s*,\s*[^,]+$")
_OPS = {"\\neq": "!=", "\\ne": "!=", "\\geq": ">=", "\\ge": ">=", "\\leq": "<=", "\\le": "<="}


def qualifier(text: str) -> tuple[str, tuple[str, str, str] | None]:
    """A condition written after a step (``(j \\geq 1)``, ``\\text{for } j \\neq 0``) split off
    its right side.

    >>> qualifier(r"\\delta^l_j a^{l-1}_k \\text{for } k \\neq 0")
    ('\\\\delta^l_j a^{l-1}_k', ('k', '!=', '0'))
    """
    m = _CONDITION.search(text)
    if m is None:
        return text, None
    letter, op, value = m.groups()
    return text[: m.start()].rstrip(), (letter, _OPS.get(op, op), value)


_NOTE_AFTER = re.compile(r"\\text\{[^{}]*\}\s*$")  # a row's reason: (j \neq 0) \text{why}


def _row_condition(piece: str) -> tuple[tuple[str, str, str], ...] | None:
    """A piece that only says where the step before it holds: ``j \\neq 0``,
    ``\\text{for } j \\geq 1``, ``j = 1, \\ldots, s_l``."""
    text = _NOTE_AFTER.sub("", piece).strip().rstrip(".,;")
    m = _BARE_CONDITION.match(text) or _BARE_CONDITION.match(qualifier(" " + text)[0] or "")
    rest, condition = qualifier(text)
    if condition is not None and not rest.strip():
        return (condition,)
    if m is not None and text.strip()[:1].isalpha():
        return ((m.group(1), _OPS.get(m.group(2), m.group(2)), m.group(3)),)
    if "=" in text:
        letter, _, values = text.partition("=")
        if len(letter.strip()) == 1 and letter.strip().isalpha():
            r = _RANGE.match(values)
            if r is not None:
                return ((letter.strip(), ">=", r.group(1)),)
    return None


def extract_steps(document: str) -> list[Step]:
    """Every step of every display equation in ``document`` (see the module docstring)."""
    steps: list[Step] = []
    chain = 0
    newlines = [i for i, c in enumerate(document) if c == "\n"]
    for body, body_start in displays(document):
        body = _join_continued(_DROP.sub(lambda d: " " * len(d.group(0)), _blank_tags(body)))
        previous: Side | None = None
        row_first = len(steps)  # a label row applies to the row above it, in this display
        words, hidden = "", False  # the reason rows under the row above, joined
        for row, row_start in _pieces(body, body_start, _ROW):
            row = row.replace("&", " ")
            if _LABEL_ROW.fullmatch(row) is not None:  # a reason row: of the row above
                words = f"{words} {_words(row)}"
                label = _label_row_condition(row) or ()
                if not hidden and _HIDDEN.search(words):
                    hidden, label = True, label + HIDDEN
                for k in range(row_first, len(steps)):
                    steps[k] = replace(steps[k], conditions=steps[k].conditions + label)
                continue
            words, hidden = "", False
            row_first = len(steps)
            for piece, piece_start in _pieces(row, row_start, _SEPARATOR):
                sides = []
                condition = _row_condition(piece)
                if condition is not None and len(steps) > row_first:
                    for k in range(row_first, len(steps)):  # "\quad j \neq 0" after the step
                        steps[k] = replace(steps[k], conditions=steps[k].conditions + condition)
                    continue
                piece, condition = qualifier(piece)
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
                conditions = (condition,) if condition else ()
                conditions += HIDDEN if _HIDDEN.search(_words(piece)) else ()
                for (a, b), left, right in zip(relations, sides, sides[1:], strict=False):
                    line = bisect_right(newlines, piece_start + a - 1) + 1
                    steps.append(Step(left, right, piece[a:b], line, chain, conditions))
                previous = sides[-1]
    return steps
