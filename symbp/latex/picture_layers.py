"""The picture of a ``--net`` network's shapes: one box a layer, top to bottom, each with its
spec and the shape of what it outputs, as SVG (Markdown, the web page) and TikZ (LaTeX).

>>> from symbp.model import layered_network
>>> net = layered_network("1x4x4", "conv2d(2,3,relu) flatten dense(2,softmax)", "cce")
>>> picture = shapes_picture(net, "network.svg")
>>> picture.svg.count("<rect"), picture.tikz.count("\\\\node")
(4, 4)
"""

from __future__ import annotations

from html import escape

from symbp.latex.writeup_blocks import Picture, escape_tex
from symbp.layers.base import shape_text
from symbp.model import LayeredNetwork

WIDTH, HEIGHT, GAP = 360, 40, 22


def _boxes(net: LayeredNetwork) -> list[tuple[str, str]]:
    boxes = [("input", shape_text(net.input_shape))]
    for position, layer in enumerate(net.layers, start=1):
        boxes.append((f"{position}: {layer.spec()}", shape_text(net.shapes[position])))
    return boxes


def _svg(boxes: list[tuple[str, str]]) -> str:
    height = len(boxes) * (HEIGHT + GAP) - GAP + 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH + 20}" height="{height}" '
        f'viewBox="0 0 {WIDTH + 20} {height}" font-family="sans-serif" font-size="14">',
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="4" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>',
    ]
    for n, (label, shape) in enumerate(boxes):
        y = 10 + n * (HEIGHT + GAP)
        out.append(
            f'<rect x="10" y="{y}" width="{WIDTH}" height="{HEIGHT}" rx="6" fill="#eef2f7" '
            'stroke="#333"/>'
        )
        out.append(f'<text x="22" y="{y + 25}">{escape(label)}</text>')
        out.append(
            f'<text x="{WIDTH - 2}" y="{y + 25}" text-anchor="end" font-weight="bold">'
            f"{escape(shape)}</text>"
        )
        if n:
            top = y - GAP
            out.append(
                f'<line x1="{10 + WIDTH // 2}" y1="{top}" x2="{10 + WIDTH // 2}" y2="{y - 2}" '
                'stroke="#333" marker-end="url(#arrow)"/>'
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _tikz(boxes: list[tuple[str, str]]) -> str:
    lines = ["\\begin{tikzpicture}[box/.style={draw, rounded corners, minimum width=7cm, "
             "minimum height=0.8cm, text width=6.6cm}]"]  # fmt: skip
    for n, (label, shape) in enumerate(boxes):
        text = f"\\texttt{{{escape_tex(label)}}} \\hfill \\textbf{{{escape_tex(shape)}}}"
        lines.append(f"\\node[box] (b{n}) at (0, {-1.2 * n:.1f}) {{{text}}};")
        if n:
            lines.append(f"\\draw[->] (b{n - 1}) -- (b{n});")
    lines.append("\\end{tikzpicture}")
    return "\n".join(lines) + "\n"


def shapes_picture(net: LayeredNetwork, svg_name: str) -> Picture:
    """The picture block: each layer's spec beside the shape it outputs (one example)."""
    boxes = _boxes(net)
    caption = "The layers and the shape of what each outputs, for one example."
    return Picture(svg_name, _svg(boxes), _tikz(boxes), caption)
