"""A writeup's blocks as HTML for the browser: the same blocks that the Markdown and LaTeX
printers print, with ``\\(...\\)`` and ``\\[...\\]`` for MathJax and the SVG picture inline.

Everything that is not symbp's own SVG is escaped, so no text of a request reaches the page as
markup.

>>> from symbp.latex.writeup_blocks import Heading, Math, Text
>>> print(blocks_html([Heading(2, "Loss"), Text("with $a<b$ and `x`")]))
<h2>Loss</h2>
<p>with \\(a&lt;b\\) and <code>x</code></p>
>>> print(blocks_html([Math([("C", "= 1", "")])]))
<div class="display">\\[\\begin{aligned}
C &amp;= 1
\\end{aligned}\\]</div>
"""

from __future__ import annotations

import html
import re

from symbp.derive.concrete import derive
from symbp.latex import writeup, writeup_blocks, writeup_generic
from symbp.latex.writeup_blocks import Block, Code, Heading, Items, Math, Picture, Table, Text
from symbp.model import Network

_INLINE = re.compile(r"(\$[^$]+\$|`[^`]+`)")


def inline(text: str) -> str:
    """Prose with ``$math$`` and ```code``` as HTML.

    >>> inline("the `x` in $x_1$")
    'the <code>x</code> in \\\\(x_1\\\\)'
    """
    out = []
    for part in _INLINE.split(text):
        if len(part) > 1 and part[0] == part[-1] == "$":
            out.append(f"\\({html.escape(part[1:-1], quote=False)}\\)")
        elif len(part) > 1 and part[0] == part[-1] == "`":
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
        else:
            out.append(html.escape(part))
    return "".join(out)


_TEX = re.compile(r"[\\^_{}]")
_NAME = re.compile(r"^[A-Za-z]{2,}(_[A-Za-z]{2,})+$")  # binary_cross_entropy: a name, not TeX
_GREEK = re.compile(r"(?<![\\A-Za-z])(delta|sigma|lambda|Theta|theta)(?=[\^_{(])")
_JOINS = ("=", "+", "-")
_SMALL = re.compile(r"^[A-Za-z0-9]$")


def _balanced(tex: str) -> bool:
    depth = {"{": 0, "(": 0}
    closing = {"}": "{", ")": "("}
    for char in tex:
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            if depth[closing[char]] < 0:
                return False
    return all(v == 0 for v in depth.values())


def _peel(word: str) -> tuple[str, str, str]:
    """(leading, core, trailing): punctuation and an unmatched parenthesis off a word."""
    core = word.rstrip(",;:.")
    trail = word[len(core) :]
    lead = ""
    if core.startswith("(") and core.count("(") > core.count(")"):
        lead, core = "(", core[1:]
    if core.endswith(")") and core.count(")") > core.count("("):
        core, trail = core[:-1], ")" + trail
    return lead, core, trail


def _is_tex(word: str) -> bool:
    return bool(_TEX.search(word)) and not _NAME.match(word)


def prose(text: str) -> str:
    r"""A checker's hint (prose with TeX fragments such as ``a^{l}_{k}``, undelimited, as the
    command line prints it) as HTML: each fragment, with the ``=``, ``+``, ``-`` that join it
    to the next, becomes one ``\(...\)`` for MathJax; the rest is escaped text. A fragment
    whose braces do not balance stays text, so that MathJax never sees it.

    >>> print(prose("off-by-one layer index: a^{l}_{k} should be a^{l-1}_{k}"))
    off-by-one layer index: \(a^{l}_{k}\) should be \(a^{l-1}_{k}\)
    >>> print(prose("with binary_cross_entropy the factor cancels, delta^L = a^L - y"))
    with binary_cross_entropy the factor cancels, \(\delta^L = a^L - y\)
    >>> print(prose(r"(Ng numbers the input layer 1, and \Theta^{(l)} maps layer l to l+1)"))
    (Ng numbers the input layer 1, and \(\Theta^{(l)}\) maps layer l to l+1)
    >>> print(prose("missing transpose: write (W^{l})^T, or x^{<b>"))
    missing transpose: write \((W^{l})^T\), or x^{&lt;b&gt;
    """
    words = text.split(" ")
    out, i = [], 0
    while i < len(words):
        lead, core, trail = _peel(words[i])
        if not _is_tex(core):
            out.append(html.escape(words[i]))
            i += 1
            continue
        parts, j = [core], i + 1
        while not trail and j + 1 < len(words) and words[j] in _JOINS:
            more_lead, more, more_trail = _peel(words[j + 1])
            if more_lead or not (_is_tex(more) or _SMALL.match(more)):
                break
            parts += [words[j], more]
            trail, j = more_trail, j + 2
        formula = _GREEK.sub(r"\\\1", " ".join(parts))
        if _balanced(formula):
            shown = f"\\({html.escape(formula, quote=False)}\\)"
            out.append(html.escape(lead) + shown + html.escape(trail))
        else:
            out.append(html.escape(" ".join(words[i:j])))
        i = j
    return " ".join(out)


def display(tex: str) -> str:
    """One display formula for MathJax.

    >>> display("a < b")
    '<div class="display">\\\\[a &lt; b\\\\]</div>'
    """
    return f'<div class="display">\\[{html.escape(tex, quote=False)}\\]</div>'


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 1), 6)
        return f"<h{level}>{inline(block.text)}</h{level}>"
    if isinstance(block, Text):
        if block.text.startswith("> "):
            return f"<blockquote>{inline(block.text[2:])}</blockquote>"
        return f"<p>{inline(block.text)}</p>"
    if isinstance(block, Items):
        return "<ul>" + "".join(f"<li>{inline(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Math):
        rows = " \\\\\n".join(writeup_blocks._math_rows(block.rows, tex=False))
        return display(f"\\begin{{aligned}}\n{rows}\n\\end{{aligned}}")
    if isinstance(block, Table):
        head = "".join(f"<th>{inline(cell)}</th>" for cell in block.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{inline(cell)}</td>" for cell in row) + "</tr>"
            for row in block.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, Picture):  # symbp's own SVG, made from layer sizes and symbol names
        caption = f"<figcaption>{inline(block.caption)}</figcaption>"
        return f'<figure class="picture">{block.svg}{caption}</figure>'
    if isinstance(block, Code):
        return f"<pre><code>{html.escape(block.text)}</code></pre>"
    raise TypeError(f"not a writeup block: {block!r}")


def blocks_html(blocks: list[Block]) -> str:
    """The blocks as HTML, one element per line."""
    return "\n".join(_block(b) for b in blocks)


def document_html(
    net: Network, notation: str, hadamard: str, generic: bool, command: str
) -> dict[str, str]:
    """The writeup of ``net`` (sized, or of any depth when ``generic``) as page parts.

    >>> from symbp.model import network
    >>> parts = document_html(network([2, 1]), "nielsen", "circ", True, "symbp derive")
    >>> parts["title"]
    "Backpropagation for a network of any depth in Michael Nielsen's notation"
    """
    if generic:
        gder = writeup_generic.for_network(net)
        shown = writeup._notation_title(notation, hadamard)
        title = f"Backpropagation for a network of any depth in {shown}"
        blocks = writeup_generic.generic_blocks(gder, notation, hadamard, "network.svg", title)
    else:
        blocks = writeup.concrete_blocks(derive(net), notation, "network.svg", hadamard)
        title = next(b.text for b in blocks if isinstance(b, Heading))
    return {"title": title, "html": blocks_html(blocks), "command": command}
