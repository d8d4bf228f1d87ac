"""A picture of the network: an SVG for Markdown, TikZ for LaTeX, drawn from one layout.

Layers are columns of units (input at the left); a layer of more than :data:`MAX_SHOWN` units
shows its first three, a vertical ellipsis and its last, so that a layer of 784 units still
fits. One connection is drawn thick and labelled with its weight's name in the notation
(``w^{2}_{12}`` goes from unit 2 of layer 1 to unit 1 of layer 2); with Ng's bias unit every
layer but the output gets a ``+1`` unit. :func:`generic_layout` draws a network of any depth L
with the layers l-1 and l in the middle and the weight ``w^{l}_{jk}`` between them.

>>> from symbp.model import network
>>> layout = concrete_layout(network([2, 2, 1], "sigmoid", "sigmoid", "bce"), "nielsen")
>>> [len(column.units) for column in layout.columns], layout.label
([2, 2, 1], 'w^{3}_{12}')
>>> svg(layout).startswith("<svg")
True
>>> "\\\\draw" in tikz(layout)
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

import sympy

from symbp import notation
from symbp.model import Network

MAX_SHOWN = 6
DOTS = "dots"
_DX, _DY, _R, _TOP = 130, 56, 19, 40


@dataclass
class Column:
    """One layer: a caption and its units' labels (LaTeX; ``DOTS`` for the elided units)."""

    caption: str
    units: list[str]
    bias_unit: bool = False
    gap: bool = False  # a column standing for the layers left out of a generic network


@dataclass
class Layout:
    """Columns left to right and the one labelled connection (column, source row, target row)."""

    columns: list[Column]
    label: str
    labelled: tuple[int, int, int]
    title: str = ""
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        self.rows = max(len(c.units) + c.bias_unit for c in self.columns)


def _shown_units(n: int) -> list[int | None]:
    return list(range(1, n + 1)) if n <= MAX_SHOWN else [1, 2, 3, None, n]


def concrete_layout(net: Network, notation_name: str) -> Layout:
    """The layout of a network of fixed sizes, named in a notation."""
    notation.check_notation(notation_name)
    columns = []
    for layer, n in enumerate(net.sizes):
        kind = "input" if layer == 0 else "act"
        units = []
        for j in _shown_units(n):
            index = (j,) if layer == 0 else (layer, j)
            units.append(DOTS if j is None else notation.latex_name(kind, index, notation_name))
        shown = notation.layer_label(layer, notation_name)
        what = "input" if layer == 0 else ("output" if layer == net.L else "hidden")
        caption = f"layer {shown}\n{what}, {n}"
        columns.append(Column(caption, units, net.bias == "unit" and layer < net.L))
    L = net.L
    k = 2 if net.sizes[L - 1] >= 2 else 1
    label = notation.latex_name("weight", (L, 1, k), notation_name)
    return Layout(columns, label, (L, k - 1, 0), f"the {net.describe()} network")


def generic_layout(notation_name: str, bias_unit: bool = False) -> Layout:
    """Layers 0 (or 1), ..., l-1, l, ..., L of a network of any depth, with w^l_{jk} labelled."""
    source = notation.get_notation(notation_name)
    ell, j, k = sympy.symbols("l j k")
    big_l = sympy.Symbol(source.output_layer)  # UFLDL's output layer is layer n_l
    shift = source.input_layer  # Ng, Nielsen and UFLDL call the input layer 1

    def unit(layer: sympy.Expr, index: sympy.Symbol | None) -> str:
        if index is None:
            return ""
        return notation.latex_name("act", (layer - shift, index), notation_name)

    first = notation.latex_name("input", (k,), notation_name)
    columns = [
        Column(f"layer {shift}\ninput", ["", first, "", DOTS], bias_unit),
        Column("", [], gap=True),
        Column("layer l-1", ["", unit(ell - 1, k), "", DOTS], bias_unit),
        Column("layer l", [unit(ell, j), "", "", DOTS], bias_unit),
        Column("", [], gap=True),
        Column(f"layer {big_l}\noutput", ["", unit(big_l, j), DOTS]),
    ]
    label = notation.latex_name("weight", (ell - shift, j, k), notation_name)
    return Layout(columns, label, (3, 1, 0), "a network of L layers")


def _position(layout: Layout, column: int, row: int) -> tuple[float, float]:
    col = layout.columns[column]
    count = len(col.units) + col.bias_unit
    offset = (layout.rows - count) * _DY / 2
    return 60 + column * _DX, _TOP + offset + row * _DY


def _rows(col: Column) -> list[int]:
    """Rows that hold a drawn unit (not the ellipsis), bias unit included."""
    rows = [i for i, u in enumerate(col.units) if u != DOTS]
    return rows + ([len(col.units)] if col.bias_unit else [])


def _edges(layout: Layout) -> list[tuple[int, int, int, int]]:
    """(column, source row, column + 1, target row) for every drawn connection."""
    edges = []
    for c in range(1, len(layout.columns)):
        before, here = layout.columns[c - 1], layout.columns[c]
        if before.gap or here.gap:
            continue
        targets = [i for i, u in enumerate(here.units) if u != DOTS]
        edges += [(c - 1, s, c, t) for t in targets for s in _rows(before)]
    return edges


_GREEK = {"\\Theta": "\u0398", "\\delta": "\u03b4", "\\sigma": "\u03c3"}
_TOKEN = re.compile(r"\\[A-Za-z]+|[\^_]\{[^{}]*\}|[^\\^_]")


def _pieces(latex: str) -> list[tuple[str, str]]:
    """A LaTeX name split into ("base" | "^" | "_", text) pieces."""
    out = []
    for token in _TOKEN.findall(latex):
        if token in _GREEK:
            out.append(("base", _GREEK[token]))
        elif token[0] in "^_":
            out.append((token[0], token[2:-1].replace(" ", "")))
        elif token.strip():
            out.append(("base", token))
    return out


def _svg_text(latex: str, x: float, y: float, size: int, attributes: str = "") -> str:
    """A LaTeX name (``w^{2}_{12}``, ``\\Theta^{(1)}_{12}``) as SVG text centred at (x, y).

    Each piece is placed at an explicit position (scripts stacked after the base), because
    ``baseline-shift`` and empty ``tspan`` offsets are rendered differently by each browser.
    """
    small = round(size * 0.7)
    placed, cursor, script_start, script_end = [], 0.0, None, 0.0
    for role, text in _pieces(latex):
        if role == "base":
            cursor = max(cursor, script_end)
            placed.append((cursor, 0.0, size, text))
            cursor += 0.55 * size * len(text)
            script_start = None
            continue
        if script_start is None:
            script_start = cursor
        shift = -0.4 * size if role == "^" else 0.3 * size
        placed.append((script_start, shift, small, text))
        script_end = max(script_end, script_start + 0.55 * small * len(text))
    width = max(cursor, script_end)
    left = x - width / 2
    spans = [
        f'<tspan x="{left + dx:.1f}" y="{y + dy:.1f}" font-size="{fs}">{escape(t)}</tspan>'
        for dx, dy, fs, t in placed
    ]
    return f"<text {attributes}>{''.join(spans)}</text>"


def svg(layout: Layout) -> str:
    """The picture as a standalone SVG document (GitHub shows it beside the Markdown)."""
    width = 120 + (len(layout.columns) - 1) * _DX
    height = _TOP + layout.rows * _DY + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="serif" font-style="italic">',
        f"<title>{escape(layout.title)}</title>",
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    c0, s0, t0 = layout.labelled
    label = ""
    for c, s, c2, t in _edges(layout):
        x1, y1 = _position(layout, c, s)
        x2, y2 = _position(layout, c2, t)
        bold = (c, s, c2, t) == (c0 - 1, s0, c0, t0)
        style = 'stroke="#c0392b" stroke-width="2.5"' if bold else 'stroke="#888" stroke-width="1"'
        parts.append(f'<line x1="{x1 + _R}" y1="{y1:g}" x2="{x2 - _R}" y2="{y2:g}" {style}/>')
        if bold:
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2 - 8
            halo = 'fill="#c0392b" stroke="white" stroke-width="4" paint-order="stroke"'
            label = _svg_text(layout.label, mx, my, 15, halo)
    for c, col in enumerate(layout.columns):
        x, _ = _position(layout, c, 0)
        if col.gap:
            y = _TOP + (layout.rows - 1) * _DY / 2
            parts.append(
                f'<text x="{x}" y="{y + 5:g}" font-size="22" text-anchor="middle">\u22ef</text>'
            )
            continue
        for row, name in enumerate(col.units):
            _, y = _position(layout, c, row)
            if name == DOTS:
                parts.append(
                    f'<text x="{x}" y="{y + 6:g}" font-size="22" text-anchor="middle">\u22ee</text>'
                )
                continue
            parts.append(f'<circle cx="{x}" cy="{y:g}" r="{_R}" fill="white" stroke="#2c3e50"/>')
            parts.append(_svg_text(name, x, y + 4, 12))
        if col.bias_unit:
            _, y = _position(layout, c, len(col.units))
            parts.append(f'<circle cx="{x}" cy="{y:g}" r="{_R}" fill="#f4f4f4" stroke="#2c3e50"/>')
            parts.append(
                f'<text x="{x}" y="{y + 4:g}" font-size="12" font-style="normal" '
                'text-anchor="middle">+1</text>'
            )
        for i, line in enumerate(col.caption.splitlines()):
            parts.append(
                f'<text x="{x}" y="{height - 26 + 14 * i}" font-size="12" font-style="normal" '
                f'text-anchor="middle">{escape(line)}</text>'
            )
    parts += [label, "</svg>"]  # the label last, so no line crosses it
    return "\n".join(parts) + "\n"


def tikz(layout: Layout) -> str:
    """The picture as a ``tikzpicture`` (needs ``\\usepackage{tikz}``), same layout as the SVG."""
    scale = 1 / 56  # one row apart is 1 cm

    def at(c: int, r: int) -> str:
        x, y = _position(layout, c, r)
        return f"({x * scale:.2f},{-y * scale:.2f})"

    lines = [
        "\\begin{tikzpicture}[unit/.style={circle,draw,minimum size=0.85cm,inner sep=0pt,"
        "font=\\footnotesize}]"
    ]
    c0, s0, t0 = layout.labelled
    for c, s, c2, t in _edges(layout):
        if (c, s, c2, t) == (c0 - 1, s0, c0, t0):
            label = "node[above,sloped,font=\\small,fill=white,inner sep=1pt]"
            lines.append(
                f"\\draw[very thick,red!70!black] {at(c, s)} -- {label} "
                f"{{${layout.label}$}} {at(c2, t)};"
            )
        else:
            lines.append(f"\\draw[gray] {at(c, s)} -- {at(c2, t)};")
    bottom = -(_TOP + layout.rows * _DY) * scale
    for c, col in enumerate(layout.columns):
        if col.gap:
            mid = -(_TOP + (layout.rows - 1) * _DY / 2) * scale
            x = _position(layout, c, 0)[0] * scale
            lines.append(f"\\node at ({x:.2f},{mid:.2f}) {{$\\cdots$}};")
            continue
        for row, name in enumerate(col.units):
            if name == DOTS:
                lines.append(f"\\node at {at(c, row)} {{$\\vdots$}};")
            else:
                lines.append(f"\\node[unit,fill=white] at {at(c, row)} {{${name}$}};")
        if col.bias_unit:
            lines.append(f"\\node[unit,fill=gray!10] at {at(c, len(col.units))} {{$+1$}};")
        x = _position(layout, c, 0)[0] * scale
        caption = " \\\\ ".join(col.caption.splitlines())
        lines.append(
            f"\\node[font=\\footnotesize,align=center] at ({x:.2f},{bottom:.2f}) {{{caption}}};"
        )
    lines.append("\\end{tikzpicture}")
    return "\n".join(lines) + "\n"
