"""A canonical form of LaTeX text, to compare symbp's output with the sources' TeX.

It removes what does not change the rendered formula, and nothing else: the MediaWiki
``{\\displaystyle ...}`` wrapper, whitespace and thin spaces (``\\,``; a control word keeps
the one space it needs), braces that group nothing (``{\\frac {a}{b}}``, ``^{{l}}``), the order
of a subscript and a superscript on one base (``x^a_b`` is ``x_b^a``), and punctuation that ends
the formula or a line of an ``aligned`` block. An argument of ``^``, ``_``, ``\\frac`` and the
like is always braced (``^l`` becomes ``^{l}``, ``\\frac \\partial {x}`` becomes
``\\frac{\\partial}{x}``).

>>> normalise(r"{\\displaystyle \\delta ^{l-1}:=(f^{l-1})'\\cdot (W^{l})^{T}\\cdot \\delta ^{l}.}")
"\\\\delta^{l-1}:=(f^{l-1})'\\\\cdot(W^{l})^{T}\\\\cdot\\\\delta^{l}"
>>> normalise(r"\\delta^l_j = a^{l-1}_k") == normalise(r"\\delta_{j}^{l}=a_{k}^{l-1}")
True
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|[{}]|\S", re.S)
_ARGUMENTS = {
    "^": 1,
    "_": 1,
    "\\frac": 2,
    "\\dfrac": 2,
    "\\tfrac": 2,
    "\\begin": 1,
    "\\end": 1,
    "\\sqrt": 1,
    "\\vec": 1,
    "\\text": 1,
    "\\mathrm": 1,
    "\\operatorname": 1,
    "\\mathbf": 1,
    "\\hat": 1,
}
_PUNCTUATION = {".", ","}
_ENDS = {"\\end", "\\\\"}

Tree = list  # of str tokens and nested Tree groups


def _parse(tokens: list[str], start: int = 0) -> tuple[Tree, int]:
    out: Tree = []
    i = start
    while i < len(tokens):
        tok = tokens[i]
        if tok == "{":
            group, i = _parse(tokens, i + 1)
            out.append(group)
        elif tok == "}":
            return out, i + 1
        else:
            out.append(tok)
            i += 1
    return out, i


def _canonical(tree: Tree) -> Tree:
    """Splice non-argument groups, brace every argument, put ``_`` before ``^``."""
    out: Tree = []
    i = 0
    while i < len(tree):
        item = tree[i]
        if isinstance(item, list):
            out.extend(_canonical(item))
            i += 1
            continue
        out.append(item)
        i += 1
        for _ in range(_ARGUMENTS.get(item, 0)):
            if i >= len(tree):
                break
            arg = tree[i]
            out.append(_canonical(arg) if isinstance(arg, list) else [arg])
            i += 1
    return _script_order(out)


def _script_order(tree: Tree) -> Tree:
    i = 0
    while i + 3 < len(tree):
        if tree[i] == "^" and tree[i + 2] == "_":
            tree[i : i + 4] = ["_", tree[i + 3], "^", tree[i + 1]]
            i += 4
        else:
            i += 1
    return tree


def _strip_punctuation(tree: Tree) -> Tree:
    """Drop a ``.``/``,`` that ends the formula or stands just before ``\\end``/``\\\\``."""
    out: Tree = []
    for i, item in enumerate(tree):
        following = tree[i + 1] if i + 1 < len(tree) else None
        ends = following is None or (isinstance(following, str) and following in _ENDS)
        if isinstance(item, str) and item in _PUNCTUATION and ends:
            continue
        out.append(_strip_punctuation(item) if isinstance(item, list) else item)
    return out


def _serialise(tree: Tree) -> str:
    text = ""
    for item in tree:
        piece = "{" + _serialise(item) + "}" if isinstance(item, list) else item
        if re.search(r"\\[a-zA-Z]+$", text) and re.match(r"[a-zA-Z]", piece):
            text += " "
        text += piece
    return text


def _unwrap_displaystyle(text: str) -> str:
    stripped = text.strip()
    prefix = "{\\displaystyle"
    if stripped.startswith(prefix) and stripped.endswith("}"):
        return stripped[len(prefix) : -1]
    return stripped


_THIN_SPACES = {"\\,", "\\;", "\\:", "\\!"}


def normalise(text: str) -> str:
    """The canonical form of ``text`` (see the module docstring)."""
    tokens = [t for t in _TOKEN.findall(_unwrap_displaystyle(text)) if t not in _THIN_SPACES]
    tree, _ = _parse(tokens)
    return _serialise(_strip_punctuation(_canonical(tree)))
