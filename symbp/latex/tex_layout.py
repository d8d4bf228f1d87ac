"""Display rows that fit the page: an estimate of how wide LaTeX math prints, and the breaking
of a row too wide for the page at its top-level ``+`` / ``-`` (or, inside an ``aligned`` block,
at its relation signs), as a textbook breaks a long sum.

The estimate is in points at 11 pt (Computer Modern, display style), meant to err on the wide
side; ``tests/test_latex_layout.py`` compiles writeups with pdflatex and fails on any overfull
box, which is what keeps it honest.

>>> round(width(r"a_{1}^{2} + b"))
30
>>> for left, right in break_row("C", "= " + " + ".join(["x_{%d} y_{%d}" % (i, i) for i in
...         range(12)]), 200):
...     print(repr(left), right[:24].rstrip())
'C' = x_{0} y_{0} + x_{1} y_
'' \\quad {}+ x_{5} y_{5} +
'' \\quad {}+ x_{10} y_{10}
"""

from __future__ import annotations

import re

# The page of symbp's LaTeX writeups: A4, 2 cm margins (481 pt), less the 1 em display indent
# of fleqn, less a margin for the estimate's error.
ROW_WIDTH = 440.0

_CHAR = 6.0  # an average letter or digit
_REL = 14.5  # a relation with its spaces (=, :=)
_BIN = 13.0  # a binary operator with its spaces (+, -, \cdot)
_WIDE = {
    "log": 15.0, "exp": 17.0, "sum": 14.5, "prod": 13.0, "nabla": 8.5, "partial": 6.0,
    "cdots": 15.0, "ldots": 15.0, "dots": 15.0, "vdots": 4.0, "ddots": 15.0, "quad": 11.0,
    "qquad": 22.0, "infty": 11.0, "max": 20.0, "min": 17.0, "tanh": 24.0, "diag": 22.0,
    "operatorname": 0.0, "mathrm": 0.0, "Theta": 8.5, "Delta": 9.5, "Sigma": 8.0,
}  # fmt: skip
_BINARY = {"cdot", "circ", "odot", "times", "pm"}
_RELATIONS = {"leq", "geq", "neq", "coloneqq", "equiv", "approx", "le", "ge", "ne"}
_SPACES = {",": 1.8, ";": 3.0, ":": 2.4, "!": -1.8, " ": 3.7}
_TOKEN = re.compile(r"\\([A-Za-z]+)\*?|\\(.)|(\s+)|(.)", re.S)


def _group(text: str, start: int) -> tuple[str, int]:
    """The braced group at ``start`` (or the single token there) and the offset after it."""
    while start < len(text) and text[start].isspace():
        start += 1
    if start >= len(text):
        return "", start
    if text[start] != "{":
        m = _TOKEN.match(text, start)
        return m.group(0), m.end()
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(c, 0)
        i += 1
        if depth == 0:
            break
    return text[start + 1 : i - 1], i


def _environment(text: str, start: int, name: str) -> tuple[str, int]:
    """The body of ``\\begin{name}`` whose ``{name}`` ends at ``start`` and the offset after its
    ``\\end{name}`` (nested environments of the same name included)."""
    depth, i = 1, start
    opener, closer = f"\\begin{{{name}}}", f"\\end{{{name}}}"
    while i < len(text):
        if text.startswith(opener, i):
            depth += 1
            i += len(opener)
        elif text.startswith(closer, i):
            depth -= 1
            if depth == 0:
                return text[start:i], i + len(closer)
            i += len(closer)
        else:
            i += 1
    return text[start:], len(text)


def _rows_of(body: str) -> list[list[str]]:
    return [_top_split(row, "&") for row in _top_split(body, "\\\\")]


def _top_split(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside braces, square brackets (an Iverson bracket
    ``[i = t]`` is never cut) and nested environments.

    >>> _top_split("a = [i = t] b = c", " = ")
    ['a', '[i = t] b', 'c']
    """
    out, depth, last, i = [], 0, 0, 0
    while i < len(text):
        if text.startswith(("\\begin{", "\\left"), i):
            depth += 1
        elif text.startswith(("\\end{", "\\right"), i):
            depth -= 1
        word_cut = sep[-1].isalpha() and text[i + len(sep) : i + len(sep) + 1].isalpha()
        if depth == 0 and text.startswith(sep, i) and not word_cut:
            out.append(text[last:i])
            i = last = i + len(sep)
            continue
        if text[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1, "[": 1, "]": -1}.get(text[i], 0)
        i += 1
    return out + [text[last:]]


def width(tex: str, scale: float = 1.0) -> float:
    """Estimated printed width of the math ``tex`` in points (display style at 11 pt)."""
    total, i, script = 0.0, 0, scale < 1
    while i < len(tex):
        m = _TOKEN.match(tex, i)
        cmd, sym, space, char = m.groups()
        i = m.end()
        if space:
            continue
        if cmd in ("frac", "dfrac", "tfrac"):
            num, i = _group(tex, i)
            den, i = _group(tex, i)
            inner = scale if cmd == "dfrac" or not script else scale * 0.75
            total += max(width(num, inner), width(den, inner)) + 3 * scale
        elif cmd == "begin":
            name, i = _group(tex, i)
            if name == "aligned" and tex.startswith("[", i):
                i = tex.index("]", i) + 1
            body, i = _environment(tex, i, name)
            rows = _rows_of(body)
            columns = max(len(r) for r in rows)
            widths = [max(width(r[k], scale) if k < len(r) else 0 for r in rows)
                      for k in range(columns)]  # fmt: skip
            if name == "aligned":
                total += sum(widths)
            else:  # a matrix or cases: its columns, their gaps and the delimiters
                total += sum(widths) + 11 * scale * (columns - 1) + 14 * scale
        elif cmd in ("text", "mathrm", "operatorname", "textrm", "mbox"):
            words, i = _group(tex, i)
            total += 5.3 * scale * len(words)
        elif cmd in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big"):
            delimiter, i = _group(tex, i)
            total += 0 if delimiter == "." else 6.0 * scale
        elif cmd in ("vec", "hat", "mathbf", "boldsymbol", "mathcal", "bar", "tilde"):
            inner, i = _group(tex, i)
            total += width(inner, scale)
        elif cmd in ("raggedright", "footnotesize", "displaystyle", "limits"):
            continue
        elif cmd in _BINARY:
            total += _CHAR * scale if script else _BIN
        elif cmd in _RELATIONS:
            total += _CHAR * scale if script else _REL
        elif cmd is not None:
            total += _WIDE.get(cmd, 6.5) * scale
        elif sym is not None:
            total += _SPACES.get(sym, _CHAR) * scale
        elif char in "^_":
            first, i = _group(tex, i)
            w = width(first, scale * 0.76)
            j = i
            while j < len(tex) and tex[j].isspace():
                j += 1
            if j < len(tex) and tex[j] in "^_" and tex[j] != char:  # stacked: the wider one
                second, i = _group(tex, j + 1)
                w = max(w, width(second, scale * 0.76))
            total += w + 0.5
        elif char in "{}&":
            continue
        elif char in "+-" and not script:
            total += _BIN
        elif char in "=<>" and not script:
            total += _REL
        elif char in "()[]|":
            total += 4.3 * scale
        elif char in ",;":
            total += 3.2 * scale
        elif char == "'":
            total += 2.8 * scale
        else:
            total += _CHAR * scale
    return total


def _top_level_terms(right: str) -> list[str]:
    """``right`` (``= t1 + t2 - t3``) cut before each top-level ``+`` or ``-`` that follows a
    term (never a sign that opens the side)."""
    cuts, depth, i = [], 0, 0
    while i < len(right):
        if right.startswith("\\left", i) or right.startswith("\\begin{", i):
            depth += 1
        elif right.startswith("\\right", i) or right.startswith("\\end{", i):
            depth -= 1
        c = right[i]
        if c == "\\":
            i += 2
            continue
        if c in "{":
            depth += 1
        elif c in "}":
            depth -= 1
        elif depth == 0 and c in "+-" and right[i - 1 : i] == " " and right[i + 1 : i + 2] == " ":
            before = right[:i].strip()
            if before and before[-1] not in "=(":
                cuts.append(i)
        i += 1
    bounds = [0, *cuts, len(right)]
    return [right[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False)]


def break_row(
    left: str, right: str, room: float = ROW_WIDTH, indent: float | None = None
) -> list[tuple[str, str]]:
    """``left right`` as rows of an ``align`` no wider than ``room`` points: the first keeps its
    left side, each later one continues with ``\\quad {}+ ...`` (``symbp check`` reads such a
    row as the rest of the one above). A row that fits, or that has no top-level sum to break
    at, comes back unchanged."""
    indent = width(left)
    if indent + width(right) <= room:
        return [(left, right)]
    if right.lstrip("=: ").startswith("\\begin{aligned}"):
        return [(left, _break_aligned(right, room - indent))]
    terms = _top_level_terms(right)
    if len(terms) < 2:
        return [(left, right)]
    lines, current = [], terms[0]
    for term in terms[1:]:
        if indent + width(current + " " + term) > room:
            lines.append(current)
            current = "\\quad {}" + term
        else:
            current += " " + term
    lines.append(current)
    return [(left if k == 0 else "", line) for k, line in enumerate(lines)]


def _break_aligned(right: str, room: float) -> str:
    """An ``aligned`` block whose lines are too wide, each line broken before its later
    relation signs (``&= A = B`` becomes ``&= A \\\\ &= B``), then, where a line is still too
    wide, before a top-level ``\\cdot`` (continued as ``&\\quad \\cdot ...``)."""
    head, _, rest = right.partition("\\begin{aligned}")
    body, end = _environment(rest, 0, "aligned")
    out = []
    for row in _top_split(body, "\\\\"):
        for line in _break_line(row, room, "=", "\\\\ &="):
            out += _break_line(line, room, "\\cdot", "\\\\ &\\quad \\cdot")
    return head + "\\begin{aligned}" + "\\\\".join(out) + "\\end{aligned}" + rest[end:]


def _break_line(row: str, room: float, sign: str, glue: str) -> list[str]:
    """``row`` cut before each top-level ``sign`` after its first where the line would be
    wider than ``room`` (never right after an ``&`` or a ``:``); the later pieces start with
    ``glue`` (its leading row break is where the cut is)."""
    if width(row) <= room:
        return [row]
    parts = _top_split(row, sign)
    lines, line = [], parts[0]
    for k, part in enumerate(parts[1:]):
        fits = width(line + sign + part) <= room
        if k == 0 and sign == "=" or fits or line.rstrip().endswith(("&", ":")):
            line += sign + part
        else:
            lines.append(line)
            line = glue.removeprefix("\\\\") + part
    return lines + [line]
