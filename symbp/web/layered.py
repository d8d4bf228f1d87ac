"""The derivation of a layered (``--input SHAPE --net SPEC``) network as HTML for the page.

It is what ``symbp derive --input ... --net ... --format text`` reports, from the same engine
calls (:func:`symbp.derive.layered.derive_layers`, :func:`symbp.derive.recognise.recognise`):
every layer's quantities in the array form the recogniser proved equal to the chain rule's
index form, the elementwise factors read off the derivation, and one derived entry of the
layer's input gradient, printed by SymPy's LaTeX printer for MathJax. Nothing here is typed in
by hand: a formula on the page is a SymPy expression the derivation produced.

>>> from symbp.model import layered_network
>>> net = layered_network("1x3", "conv1d(1,2) flatten dense(1,identity)")
>>> parts = layered_html(net, "symbp derive")
>>> parts["title"]
'Backpropagation for 1x3 -> conv1d(1,2,identity) flatten dense(1,identity) (squared_error)'
>>> "<code>correlate_input_delta(X, DZ, k, stride, padding)</code>" in parts["html"]
True
"""

from __future__ import annotations

import html
import re

import numpy as np
import sympy

from symbp.derive.layered import derive_layers
from symbp.derive.layered_text import FULL_SIZE_PARAMETERS
from symbp.derive.recognise import recognise
from symbp.layers.base import shape_text
from symbp.model import LayeredNetwork

_ENTRY = re.compile(r"^(d?)([A-Za-z]+?)(\d*)\[([\d,]+)\]$")
_BASE = {"Wx": "{W_{x}}", "Wh": "{W_{h}}"}  # braced: a layer and an index follow


def _layer(n: str) -> str:
    return f"^{{[{n}]}}" if n else ""


def entry_tex(name: str) -> str | None:
    """The TeX of one derived entry's symbol: ``W1[0,2]`` is the weight of layer 1 at (0, 2);
    a leading ``d`` means the gradient of the cost (``dz`` is delta); None for other names.

    >>> entry_tex("W1[0,0,1]"), entry_tex("dz4[1]"), entry_tex("y")
    ('W^{[1]}_{0,0,1}', '\\\\delta^{[4]}_{1}', None)
    >>> print(entry_tex("da2[0,1]"))
    \\frac{\\partial C}{\\partial a^{[2]}_{0,1}}
    """
    m = _ENTRY.match(name)
    if m is None:
        return None
    grad, base, layer, where = m.groups()
    body = f"{_BASE.get(base, base)}{_layer(layer)}_{{{where}}}"
    if not grad:
        return body
    if base == "z":
        return f"\\delta{_layer(layer)}_{{{where}}}"
    return f"\\frac{{\\partial C}}{{\\partial {body}}}"


def tex(expr: sympy.Expr) -> str:
    """SymPy's LaTeX of a derived expression, its entries named as :func:`entry_tex` says."""
    names = {s: t for s in expr.free_symbols if (t := entry_tex(s.name)) is not None}
    return sympy.latex(expr, symbol_names=names)


def _quantity(quantity: str, position: int) -> str:
    layer = _layer(str(position))
    fixed = {
        "z": f"Z{layer}",
        "a": f"A{layer}",
        "dz": f"\\frac{{\\partial C}}{{\\partial Z{layer}}}",
        "dx": f"\\frac{{\\partial C}}{{\\partial X{layer}}}",
        "dh": f"\\frac{{\\partial C}}{{\\partial H{layer}}}",
    }
    if quantity in fixed:
        return fixed[quantity]
    base = quantity[1:].rstrip("0123456789")
    return f"\\frac{{\\partial C}}{{\\partial {_BASE.get(base, base)}{layer}}}"


def _form(step, last: bool) -> str:
    if step.template is not None:
        factor = tex(step.template)
        if last:
            return f"\\({html.escape(factor, quote=False)}\\)"
        shown = f"\\frac{{\\partial C}}{{\\partial A}} \\odot \\left({factor}\\right)"
        return f"\\({html.escape(shown, quote=False)}\\)"
    calls = " + ".join(
        f"{op}({', '.join(r)})" for op, r in zip(step.ops, step.operands, strict=True)
    )
    return f"<code>{html.escape(calls)}</code>"


def _example(der, data) -> str:
    """One derived entry of the layer's input gradient (as in the text report)."""
    x = data.arrays["x"]
    part = der.part(data.position, x)
    for idx, value in np.ndenumerate(part):
        if value != 0:
            left = entry_tex(f"d{x[idx].name}") or f"\\partial C/\\partial {sympy.latex(x[idx])}"
            shown = f"{left} = {tex(value)}"
            return f'<div class="display">\\[{html.escape(shown, quote=False)}\\]</div>'
    return ""


def layered_html(net: LayeredNetwork, command: str) -> dict[str, str]:
    """The derivation of ``net`` as page parts ``{"title", "html", "command"}``."""
    small = net.parameter_count > FULL_SIZE_PARAMETERS
    instance = net.skeleton() if small else net
    der = derive_layers(net, instance)
    steps = recognise(der)
    shapes = " \\to ".join(shape_text(s).replace("x", " \\times ") for s in net.shapes)
    out = [
        f"<p>Shapes of one example, layer by layer: \\({shapes}\\). "
        f"{net.parameter_count:,} parameters. "
        "\\(X^{[l]}\\) is the input of layer \\(l\\), \\(Z^{[l]}\\) its affine part and "
        "\\(A^{[l]}\\) its output; \\(\\delta^{[l]} = \\partial C/\\partial Z^{[l]}\\).</p>"
    ]
    if small:
        shown = " -> ".join(map(shape_text, instance.shapes))
        out.append(
            f"<p>Derived and proved on the instance {html.escape(shown)} "
            f"({instance.parameter_count} parameters): the array forms do not depend on "
            "sizes.</p>"
        )
    last = len(der.forward.layers)
    for data in der.forward.layers:
        spec = html.escape(data.layer.spec())
        out.append(f"<h2>Layer {data.position}: <code>{spec}</code></h2>")
        rows = []
        for step in (s for s in steps if s.position == data.position):
            quantity = html.escape(_quantity(step.quantity, data.position), quote=False)
            if step.template is not None:
                why = "elementwise, read off the derivation"
            else:
                proved = f"proved on {step.proved} entries" if step.proved else "same symbols"
                why = f"{html.escape(step.text.rstrip('.'))}; {proved}"
            rows.append(
                f"<tr><td>\\({quantity}\\)</td><td>{_form(step, data.position == last)}</td>"
                f"<td>{why}</td></tr>"
            )
        out.append(
            "<table><thead><tr><th>quantity</th><th>array form</th><th>why</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
        example = _example(der, data)
        if example:
            out.append(f"<p>A derived entry of the input gradient, for example:</p>{example}")
    if der.assumptions:
        assumed = "; ".join(a.name for a in der.assumptions)
        out.append(f"<p>Assumed: {html.escape(assumed)}.</p>")
    title = f"Backpropagation for {net.describe()}"
    out.insert(0, f"<h1>{html.escape(title)}</h1>")
    return {"title": title, "html": "\n".join(out), "command": command}
