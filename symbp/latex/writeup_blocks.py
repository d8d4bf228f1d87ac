"""A writeup as a list of blocks, and the three ways of printing them: GitHub Markdown, Jupyter
Markdown and a complete LaTeX document.

Text is plain prose in which ``$...$`` marks inline math and backticks mark code; display math is
a list of rows ``(left, right, reason)`` aligned at the ``=``.

GitHub runs its Markdown escapes *before* the math renderer sees a ``$$`` block, so ``\\\\``
(a row break) arrives as ``\\`` and ``\\{`` as ``{``. GitHub Markdown therefore gets display math
in ```` ```math ```` fences and inline math as ``$`...`$``, both passed through verbatim; Jupyter,
which protects math from Markdown, gets the ``$$`` and ``$`` forms.

>>> doc = [Heading(1, "Title"), Text("Let $a = 1$ and run `symbp`."), Math([("a", "= 1", "")])]
>>> print(markdown(doc, "jupyter"))
# Title
<BLANKLINE>
Let $a = 1$ and run `symbp`.
<BLANKLINE>
$$
\\begin{aligned}
a &= 1
\\end{aligned}
$$
<BLANKLINE>
>>> "\\\\title{Title}" in latex(doc, "Title")
True
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from symbp.errors import SpecError
from symbp.latex import markdown_layout, tex_layout

MARKDOWN_STYLES = ("github", "jupyter")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Text:
    """A paragraph; ``$...$`` is inline math, backticks are code."""

    text: str


@dataclass(frozen=True)
class Items:
    """A bulleted list of paragraphs."""

    items: tuple[str, ...]

    def __init__(self, items: list[str] | tuple[str, ...]) -> None:
        object.__setattr__(self, "items", tuple(items))


@dataclass(frozen=True)
class Math:
    """Display math: rows (left side, ``= right side``, reason); a blank left side continues."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    """A table of inline-markup cells, with a header row."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Picture:
    """The network picture: an SVG file beside the Markdown, TikZ inside the LaTeX."""

    svg_name: str
    svg: str
    tikz: str
    caption: str


@dataclass(frozen=True)
class Code:
    text: str


Block = Heading | Text | Items | Math | Table | Picture | Code

_INLINE = re.compile(r"(\$[^$]+\$|`[^`]+`)")


def array_form(array_steps, position: int, name: str, what: str = "this is") -> list:
    """The array operation the recogniser proved quantity ``name`` of layer ``position`` to be
    over a batch (what compile prints), as one Text block: the call, the operation's own
    description and how many entries the proof covered (nothing when it has no such form)."""
    step = next((s for s in array_steps if s.position == position and s.quantity == name), None)
    if step is None or not step.ops or step.template is not None or not step.proved:
        return []
    calls = " + ".join(
        f"`{op}({', '.join(r)})`" for op, r in zip(step.ops, step.operands, strict=True)
    )
    return [Text(f"Over a batch {what} {calls}: `{step.text.rstrip('.,')}` (the array form "
                 f"compile prints; proved equal to the derived entries, {step.proved} of "
                 "them, on the separated instance).")]  # fmt: skip


def _math_rows(rows: list[tuple[str, str, str]], tex: bool) -> list[str]:
    """Aligned rows; a reason is text (LaTeX's text mode needs its ^ _ { } escaped)."""
    lines = []
    if tex:  # rows too wide for the page are broken at their sums
        lead = max((tex_layout.width(left) for left, _, _ in rows), default=0.0)
        broken = []
        for left, right, reason in rows:
            parts = tex_layout.break_row(left, right, indent=lead)
            broken += [(a, b, "") for a, b in parts[:-1]] + [(*parts[-1], reason)]
        rows = broken
    else:  # and for GitHub's Markdown column; a reason too long beside its row goes below
        rows = markdown_layout.fit(rows, lambda r: "\\text{" + _reason_text(r, _no_braces) + "}")
    for left, right, reason in rows:
        line = f"{left} &{right}"
        if reason:
            if tex:  # a tag: amsmath sets it beside the row where it fits, else below it
                box = "\\parbox[t]{5.5cm}{\\raggedright\\footnotesize "
                line += f" \\tag*{{{box}{_reason_text(reason, escape_tex)}}}}}"
            else:
                line += " && \\text{" + _reason_text(reason, _no_braces) + "}"
        lines.append(line)
    return lines


def _no_braces(text: str) -> str:
    return text.replace("{", "(").replace("}", ")")


def _reason_text(reason: str, words: Callable[[str], str]) -> str:
    """A reason in text mode: its words through ``words``, its ``$math$`` kept as math (text
    mode in LaTeX and MathJax both read ``$...$`` inside ``\\text{}``)."""
    return "".join(
        part if part.startswith("$") and part.endswith("$") and len(part) > 1 else words(part)
        for part in re.split(r"(\$[^$]+\$)", reason)
    )


def _markdown_inline(text: str, style: str) -> str:
    if style == "jupyter":
        return text
    return "".join(
        f"$`{part[1:-1]}`$" if part.startswith("$") else part for part in _INLINE.split(text)
    )


def _markdown_block(block: Block, style: str) -> str:
    if isinstance(block, Heading):
        return "#" * block.level + " " + block.text
    if isinstance(block, Text):
        return _markdown_inline(block.text, style)
    if isinstance(block, Items):
        return "\n".join("- " + _markdown_inline(item, style) for item in block.items)
    if isinstance(block, Math):
        body = " \\\\\n".join(_math_rows(block.rows, tex=False))
        inner = f"\\begin{{aligned}}\n{body}\n\\end{{aligned}}"
        return f"```math\n{inner}\n```" if style == "github" else f"$$\n{inner}\n$$"
    if isinstance(block, Table):
        head = [_markdown_inline(h, style) for h in block.header]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(block.header)]
        for row in block.rows:
            lines.append("| " + " | ".join(_markdown_inline(c, style) for c in row) + " |")
        return "\n".join(lines)
    if isinstance(block, Picture):
        if style == "jupyter":  # a data URI: notebooks sanitise inline <svg> but keep <img>
            data = base64.b64encode(block.svg.encode()).decode()
            return f'<img alt="the network" src="data:image/svg+xml;base64,{data}"/>'

        caption = _markdown_inline(block.caption, style)
        return f"![the network]({block.svg_name})\n\n{caption}"
    return f"```\n{block.text}\n```"


def markdown(blocks: list[Block], style: str = "github") -> str:
    """The blocks as Markdown for GitHub (the files in derivations/) or for Jupyter."""
    if style not in MARKDOWN_STYLES:
        known = ", ".join(MARKDOWN_STYLES)
        raise SpecError(f"unknown Markdown style {style!r}; known: {known}")
    return "\n\n".join(_markdown_block(b, style) for b in blocks) + "\n"


_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "$": r"\$",
}


def escape_tex(text: str) -> str:
    """Plain text made safe for LaTeX.

    >>> escape_tex("50% of w_1 & more")
    '50\\\\% of w\\\\_1 \\\\& more'
    """
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)


def _latex_inline(text: str) -> str:
    out = []
    for part in _INLINE.split(text):
        if part.startswith("$") and part.endswith("$") and len(part) > 1:
            out.append(part)
        elif part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append("\\texttt{" + escape_tex(part[1:-1]) + "}")
        else:
            out.append(escape_tex(part))
    return "".join(out)


_SECTION = {1: "section*", 2: "subsection*", 3: "subsubsection*"}


def _latex_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"\\{_SECTION.get(block.level, 'paragraph')}{{{_latex_inline(block.text)}}}"
    if isinstance(block, Text) and block.text.startswith("> "):
        return "{\\raggedright\\emph{" + _latex_inline(block.text[2:]) + "}\\par}"
    if isinstance(block, Text):
        return _latex_inline(block.text)
    if isinstance(block, Items):
        items = "\n".join("  \\item " + _latex_inline(i) for i in block.items)
        return f"\\begin{{itemize}}\n{items}\n\\end{{itemize}}"
    if isinstance(block, Math):
        body = " \\\\\n".join(_math_rows(block.rows, tex=True))
        return f"\\begin{{align*}}\n{body}\n\\end{{align*}}"
    if isinstance(block, Table):
        spec = "l" * len(block.header)
        head = " & ".join(_latex_inline(h) for h in block.header)
        rows = "\n".join(" & ".join(_latex_inline(c) for c in row) + " \\\\" for row in block.rows)
        return (
            f"\\begin{{center}}\n\\begin{{tabular}}{{{spec}}}\n\\hline\n{head} \\\\\n\\hline\n"
            f"{rows}\n\\hline\n\\end{{tabular}}\n\\end{{center}}"
        )
    if isinstance(block, Picture):
        return (
            f"\\begin{{figure}}[h]\n\\centering\n{block.tikz}"
            f"\\caption*{{{_latex_inline(block.caption)}}}\n\\end{{figure}}"
        )
    return "\\begin{verbatim}\n" + block.text + "\n\\end{verbatim}"


PREAMBLE = r"""\documentclass[11pt,fleqn]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{caption}
\usepackage{tikz}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
\setlength{\mathindent}{1em}
\setlength{\emergencystretch}{3em}
"""


def latex(blocks: list[Block], title: str) -> str:
    """The blocks as a complete LaTeX document (pdflatex; packages from texlive-latex-extra)."""
    body = "\n\n".join(_latex_block(b) for b in blocks if not isinstance(b, Heading) or b.level > 1)
    heading = next((b for b in blocks if isinstance(b, Heading) and b.level == 1), None)
    shown = _latex_inline(heading.text) if heading else escape_tex(title)
    return (
        f"{PREAMBLE}\\title{{{shown}}}\n\\date{{}}\n\\begin{{document}}\n\\maketitle\n\n"
        f"{body}\n\n\\end{{document}}\n"
    )
