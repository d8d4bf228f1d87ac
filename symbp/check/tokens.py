"""LaTeX math text -> tokens, with the offset of each token in the text.

Spacing commands, ``\\left``/``\\right`` and size commands carry no meaning for the checker and are
dropped here; ``\\mathrm{..}``, ``\\operatorname{..}``, ``\\text{..}`` and ``\\rm`` become one
``name`` token.

>>> [t.text for t in tokenize(r"\\left(W^{l}\\right)^T \\, .* x")]
['(', 'W', '^', '{', 'l', '}', ')', '^', 'T', '.*', 'x']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from symbp.errors import SymbpError


class Unreadable(SymbpError):
    """The text cannot be read as a statement about the network; ``pos`` is an offset in it."""

    def __init__(self, message: str, pos: int = 0) -> None:
        super().__init__(message)
        self.pos = pos


@dataclass(frozen=True)
class Token:
    kind: str  # "cmd" (\name), "num", "name" (\operatorname{..}), "char"
    text: str
    pos: int


_SKIP = {
    "left",
    "right",
    "displaystyle",
    "textstyle",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "biggl",
    "biggr",
    "quad",
    "qquad",
    "limits",
    "nolimits",
    "vec",
    "raggedright",
    "footnotesize",
    "scriptsize",
    "small",
    "tiny",
    "normalsize",
    "hfill",
    "cal",
    "bf",
    "it",
}
# A font around a name keeps the name: \mathbf{a}^{(l)} is a^{(l)}, {\cal C} is C.
_FONTS = {"boldsymbol", "mathbf", "bm", "mathcal", "mathsf", "mathbb", "mathscr", "mathit"}
_FONTS |= {"hat", "widehat", "tilde", "bar", "overline", "mathnormal", "pmb"}
_NAMED = {"mathrm", "operatorname", "text", "textrm", "mbox", "textit", "textbf", "textsf"}
_PROSE = {"intertext", "hbox", "emph", "texttt", "parbox", "hspace", "vspace", "makebox"}
_MATRICES = {"pmatrix", "bmatrix", "matrix", "Bmatrix", "vmatrix"}
_CASE_WORDS = {"for": "\\if", "if": "\\if", "when": "\\if", "for all": "\\if"}
_CASE_WORDS |= {"otherwise": "\\otherwise", "else": "\\otherwise"}
_TOKEN = re.compile(r"\\([A-Za-z]+)|\\(.)|(\d+(?:\.\d+)?)|(\.\*)|(\s+)|(.)", re.S)


def _braced_text(text: str, start: int) -> tuple[str, int]:
    """The text inside ``{...}`` starting at ``start`` (spaces allowed) and the offset after it."""
    i = start
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text) or text[i] != "{":
        raise Unreadable("expected {...} after a name command", start)
    depth, end = 0, i
    while end < len(text):
        if text[end] == "\\":
            end += 2
            continue
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
        end += 1
    if depth:
        raise Unreadable("unclosed {", i)
    return text[i + 1 : end].strip(), end + 1


def _skip_optional(text: str, i: int) -> int:
    """The offset after an optional ``[...]`` argument at ``i`` (spaces allowed)."""
    j = i
    while j < len(text) and text[j].isspace():
        j += 1
    if j < len(text) and text[j] == "[":
        close = text.find("]", j)
        return close + 1 if close >= 0 else i
    return i


def tokenize(text: str) -> list[Token]:
    """Split LaTeX math into tokens (see the module docstring)."""
    out: list[Token] = []
    i = cases = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        cmd, sym, num, dotstar, space, char = m.groups()
        pos, i = i, m.end()
        if space:
            continue
        if cmd in _NAMED:
            name, i = _braced_text(text, i)
            if cmd.startswith("text") or cmd == "mbox":
                name = name.strip()
                if name in ("ReLU", "diag", "sech", "softplus", "LeakyReLU", "softmax"):
                    out.append(Token("name", name, pos))
                elif cases and name in _CASE_WORDS:  # a row of \begin{cases}: "for", "otherwise"
                    out.append(Token("char", _CASE_WORDS[name], pos))
                else:
                    out.append(Token("prose", name, pos))  # \text{for } j \neq 0, a label
                continue
            out.append(Token("name", name, pos))
        elif cmd in _PROSE:
            i = _skip_optional(text, i)
            for _ in range(2 if cmd in ("parbox", "makebox") else 1):
                _, i = _braced_text(text, i)
        elif cmd in ("begin", "end"):
            env, i = _braced_text(text, i)
            if env == "cases":
                cases += 1 if cmd == "begin" else -1
                out.append(Token("char", "\\cases" if cmd == "begin" else "\\endcases", pos))
                continue
            if env.rstrip("*") not in _MATRICES:
                raise Unreadable(f"cannot read \\{cmd}{{{env}}} inside an equation", pos)
            out.append(Token("char", "\\matrix" if cmd == "begin" else "\\endmatrix", pos))
        elif cmd in _FONTS:
            j = i
            while j < len(text) and text[j].isspace():
                j += 1
            if j < len(text) and text[j] == "{":
                inner, i = _braced_text(text, j)
                if cmd in ("hat", "widehat") and inner == "y":  # the prediction: a^L
                    out += [Token("char", c, pos) for c in ("a", "^", "{", "L", "}")]
                    continue
                out += [Token(t.kind, t.text, t.pos + j + 1) for t in tokenize(inner)]
        elif cmd == "prime":
            out.append(Token("char", "'", pos))
        elif cmd in ("Vert", "lVert", "rVert"):
            out.append(Token("cmd", "\\|", pos))
        elif cmd in ("lbrack", "rbrack"):
            out.append(Token("char", "[" if cmd == "lbrack" else "]", pos))
        elif cmd == "rm":
            m2 = re.compile(r"\s*([A-Za-z]+)").match(text, i)
            if m2 is None:
                raise Unreadable("expected a name after \\rm", pos)
            out.append(Token("name", m2.group(1), pos))
            i = m2.end()
        elif cmd is not None:
            if cmd in _SKIP:
                if cmd in ("left", "right") and text[i : i + 1] == ".":
                    i += 1
                continue
            out.append(Token("cmd", "\\" + cmd, pos))
        elif sym is not None:
            if sym in ",;:! ":
                continue
            if sym == "|":
                out.append(Token("cmd", "\\|", pos))
            elif sym in "{}":
                out.append(Token("char", "(" if sym == "{" else ")", pos))
            elif sym == "\\":
                out.append(Token("cmd", "\\\\", pos))
            else:
                raise Unreadable(f"unknown command \\{sym}", pos)
        elif num is not None:
            out.append(Token("num", num, pos))
        elif dotstar:
            out.append(Token("char", ".*", pos))
        else:
            out.append(Token("char", char, pos))
    return out
