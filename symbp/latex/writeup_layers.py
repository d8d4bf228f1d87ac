"""The writeup of a ``--net`` network (convolution, pooling, flatten, dense layers): for every
layer its forward equation in index form and its backward pass derived step by step
(:mod:`symbp.derive.layer_index`), each step with its rule and how it was proved, in Markdown
(GitHub's math fences) or LaTeX.

>>> from symbp.model import layered_network
>>> net = layered_network("1x4x4", "conv2d(2,3,relu) flatten dense(2,softmax)", "cce")
>>> doc = render_layers(net, "nielsen", "markdown")
>>> print(doc.splitlines()[0][:71])
# Backpropagation for 1x4x4 -> conv2d(2,3,relu) flatten dense(2,softmax
"""

from __future__ import annotations

import sympy

from symbp.derive import layer_index as li
from symbp.derive.generic import derive_generic
from symbp.latex.layer_printer import LayerPrinter
from symbp.latex.writeup_steps import step_rows
from symbp.layers.base import shape_text
from symbp.layers.conv import Conv
from symbp.layers.dense import Dense
from symbp.layers.pool import Pool
from symbp.layers.reshape import Flatten
from symbp.model import LayeredNetwork

SOURCES = {
    "wikipedia": "Wikipedia's",
    "nielsen": "Nielsen's",
    "ng": "Andrew Ng's",
}
_QUANTITY = {
    "delta": "the error delta of the layer",
    "W": "the weight gradient",
    "b": "the bias gradient",
    "input": "the gradient passed to the layer below",
}
_MEANING = {
    ("conv", "W"): "the correlation of the layer's input with its error",
    ("conv", "b"): "the sum of the error over the positions of each channel",
    ("conv", "input"): "the full convolution of the error with the flipped kernel "
    "(the kernel index p appears with a minus sign in the error's position)",
    ("dense", "W"): "the outer product of the error and the input",
    ("dense", "input"): "the transposed weights times the error",
    ("pool", "input"): "the gradient of the window each input lies in (max-pooling: for "
    "the window's first maximum only, M being 1 there and 0 elsewhere; average pooling: 1/k "
    "of it per axis)",
}


def _display_names(layer) -> dict[sympy.Symbol, sympy.Symbol]:
    """The printed letters: the forward equation's own summation indices are c', p, q and its
    output channel c (dense: j and k, as the sources write them)."""
    prime = sympy.Symbol("c'", integer=True)
    names = {li.o: li.c, li.e: prime}
    names.update(dict(zip(li.SPATIAL[1], li.SPATIAL[2], strict=True)))
    if isinstance(layer, Dense):
        j, k = sympy.symbols("j k", integer=True)
        names = {li.o: j, li.e: k}
    return names


def _step_names(layer) -> dict[sympy.Symbol, sympy.Symbol]:
    if isinstance(layer, Dense):
        i, j, k = sympy.symbols("i j k", integer=True)
        return {li.c: j, li.c2: k, li.o: i}
    return {}


def _kind(layer) -> str:
    return "conv" if isinstance(layer, Conv) else "dense" if isinstance(layer, Dense) else "pool"


class _Doc:
    def __init__(self, fmt: str) -> None:
        self.fmt, self.lines = fmt, []

    def heading(self, text: str, level: int = 2) -> None:
        if self.fmt == "markdown":
            self.lines += ["#" * level + " " + text, ""]
        else:
            self.lines += [("\\section*{" if level == 2 else "\\subsection*{") + text + "}", ""]

    def para(self, text: str) -> None:
        self.lines += [text, ""]

    def display(self, rows: list[tuple[str, str]]) -> None:
        body = " \\\\\n".join(f"{lhs} &{rhs}" for lhs, rhs in rows)
        if self.fmt == "markdown":
            self.lines += ["```math", "\\begin{aligned}", body, "\\end{aligned}", "```", ""]
        else:
            self.lines += ["\\begin{align*}", body, "\\end{align*}", ""]

    def items(self, items: list[str]) -> None:
        if self.fmt == "markdown":
            self.lines += [f"{n}. {item}" for n, item in enumerate(items, start=1)] + [""]
        else:
            self.lines += ["\\begin{enumerate}"] + [f"\\item {i}" for i in items]
            self.lines += ["\\end{enumerate}", ""]

    def code(self, text: str) -> str:
        return f"`{text}`" if self.fmt == "markdown" else f"\\texttt{{{_tex_text(text)}}}"

    def text(self, text: str) -> str:
        return text if self.fmt == "markdown" else _tex_text(text)

    def math(self, tex: str) -> str:
        return f"$`{tex}`$" if self.fmt == "markdown" else f"${tex}$"


def render_layers(
    net: LayeredNetwork, notation: str = "wikipedia", fmt: str = "markdown", command: str = ""
) -> str:
    """The whole document as text (``command``: the command line that makes it, printed)."""
    doc = _Doc(fmt)
    title = f"Backpropagation for {net.describe()} in {SOURCES[notation]} notation"
    if fmt == "latex":
        arrow = _tex_text(title).replace("->", "$\\to$")
        doc.lines += ["\\documentclass[11pt]{article}", "\\usepackage{amsmath,amssymb}",
                      "\\usepackage[margin=2cm]{geometry}", "\\begin{document}",
                      f"\\title{{{arrow}}}", "\\date{}", "\\maketitle", ""]  # fmt: skip
    else:
        doc.lines += [f"# {title}", ""]
    if command:
        shown = f"`{command}`" if fmt == "markdown" else f"\\texttt{{{_tex_text(command)}}}"
        doc.para(f"Generated by symbp with {shown}; rerun the command rather than editing.")
    _setting(doc, net, notation)
    for position in range(len(net.layers), 0, -1):
        _layer(doc, net, position, notation)
    if fmt == "latex":
        doc.lines.append("\\end{document}")
    return "\n".join(doc.lines).rstrip("\n") + "\n"


def _tex_text(text: str) -> str:
    """Plain text safe inside LaTeX (the command line's braces, underscores, quotes)."""
    for char, tex in (
        ("\\", "\\textbackslash{}"),
        ("_", "\\_"),
        ("{", "\\{"),
        ("}", "\\}"),
        ("&", "\\&"),
        ("%", "\\%"),
        ("#", "\\#"),
        ("$", "\\$"),
        ("'", "\\textquotesingle{}"),
    ):
        text = text.replace(char, tex)
    return text


def _setting(doc: _Doc, net: LayeredNetwork, notation: str) -> None:
    doc.heading("The setting")
    rows = []
    for position, layer in enumerate(net.layers, start=1):
        params = layer.parameter_shapes(net.shapes[position - 1], position)
        shown = ", ".join(f"{k} {shape_text(v)}" for k, v in params.items()) or "none"
        rows.append(f"layer {position}: {doc.code(layer.spec())}, output "
                    f"{shape_text(net.shapes[position])}, parameters: {shown}")  # fmt: skip
    doc.items([f"input: {shape_text(net.input_shape)}"] + rows)
    cost = "J" if notation == "ng" else "C"
    doc.para(
        "Indices start at 0, as in PyTorch; every sum runs over all the values its index takes; "
        "an array entry whose index lies outside the array is 0 (that is the zero padding of a "
        f"convolution). ${cost}$ is the loss of one example, $\\delta$ its derivative by a "
        "layer's pre-activation z; $[P]$ is 1 when P holds and 0 otherwise (Iverson's "
        "bracket). A convolution is a cross-correlation, as PyTorch computes it: the kernel is "
        "not flipped in the forward pass. Each step below is derived by SymPy from the "
        "forward equation and proved on concrete instances of the layer (every entry of "
        "small inputs with the same kernel, stride and padding)."
    )


def _layer(doc: _Doc, net: LayeredNetwork, position: int, notation: str) -> None:
    layer = net.layers[position - 1]
    printer = LayerPrinter(position, notation)
    doc.heading(f"Layer {position}: {doc.code(layer.spec())}", 3)
    if isinstance(layer, Flatten):
        doc.para("Flatten reorders the entries (row-major, as torch.flatten): the gradient is "
                 "reshaped back to the input's shape, with no arithmetic.")  # fmt: skip
        return
    if not isinstance(layer, (Conv, Dense, Pool)):
        doc.para(
            f"{doc.code(layer.spec())}: its index-form writeup is not written yet; "
            f"{doc.code('symbp derive --format text')} shows its derived and proved array form."
        )
        return
    form = li.layer_form(layer, net.shapes[position - 1], position)
    names = _display_names(layer)
    lhs, rhs = (e.xreplace(names) for e in form.forward)
    doc.para("Forward:")
    doc.display([(printer.doprint(lhs), "= " + printer.doprint(rhs))])
    if isinstance(layer, (Conv, Dense)):
        act = layer.act
        doc.para(f"and {doc.math(printer.doprint(li.a[lhs.indices]))} is the activation "
                 f"{doc.code(act.name)} of {doc.math(printer.doprint(lhs))}.")  # fmt: skip
    last = position == len(net.layers)
    quantities = ["delta", "W", "b", "input"]
    rename = _step_names(layer)
    for quantity in quantities:
        steps = form.steps_for(quantity)
        if quantity == "delta" and last:
            _output_delta(doc, net, notation)
            continue
        if not steps or (quantity == "input" and position == 1):
            continue
        rows, notes = [], []
        for n, step in enumerate(steps, start=1):
            left = printer.doprint(step.lhs.xreplace(rename)) if n == 1 else ""
            right = printer.doprint(step.rhs.xreplace(rename))
            rows.append((left, f"= {right} \\tag*{{({n})}}"))
            notes.append(doc.text(step.rule))
        doc.para(f"{_QUANTITY[quantity].capitalize()}:")
        doc.display(rows)
        doc.items(notes)
        proofs = sorted({step.verified_by for step in steps})
        doc.para(doc.text("Each step proved on " + "; ".join(proofs) + "."))
        meaning = _MEANING.get((_kind(layer), quantity))
        if meaning:
            doc.para(f"So {_QUANTITY[quantity]} is {meaning}.")


def _output_delta(doc: _Doc, net: LayeredNetwork, notation: str) -> None:
    """The output layer's error from the loss: the dense generic derivation's steps (every one
    proved there on concrete networks), numbered as the other blocks."""
    layer = net.layers[-1]
    gder = derive_generic("sigmoid", layer.act, net.loss)  # the hidden layers play no part
    rows = step_rows(gder, "delta_L", notation) + step_rows(gder, "delta_L_loss", notation)
    doc.para(f"The error of the output layer, from the loss {doc.code(net.loss.name)} "
             f"(layer L = {LayerPrinter(len(net.layers), notation).label('z')} here):")  # fmt: skip
    numbered = [(lhs, f"{rhs} \\tag*{{({n})}}") for n, (lhs, rhs, _) in enumerate(rows, start=1)]
    doc.display(numbered)
    doc.items([doc.text(why) for _, _, why in rows])
    doc.para("Each of these steps is proved on every instantiation of small concrete networks "
             "(the generic derivation's own proof).")  # fmt: skip
