"""The writeup of a ``--net`` network (convolution, pooling, flatten, dense layers): for every
layer its forward equation in index form and its backward pass derived step by step
(:mod:`symbp.derive.layer_index`), each step with its rule and how it was proved, in Markdown
(GitHub's math fences) or LaTeX.

>>> from symbp.model import layered_network
>>> net = layered_network("1x4x4", "conv2d(2,3,relu) flatten dense(2,softmax)", "cce")
>>> doc = render_layers(net, "nielsen", "markdown")
>>> print(doc.splitlines()[0][:70])
# Backpropagation for conv2d(2,3,relu) flatten dense(2,softmax) on a 1
"""

from __future__ import annotations

import sympy

from symbp import notation as nt
from symbp.derive import layer_index as li
from symbp.derive.generic import derive_generic
from symbp.derive.layer_bptt import bptt
from symbp.derive.layered import derive_layers
from symbp.derive.recognise import recognise
from symbp.latex.layer_printer import LayerPrinter
from symbp.latex.picture_layers import shapes_picture
from symbp.latex.writeup import Document, notice
from symbp.latex.writeup_attention import multi_blocks
from symbp.latex.writeup_attention import writes as writes_multi
from symbp.latex.writeup_blocks import Heading, Items, Math, Picture, Text, latex, markdown
from symbp.latex.writeup_blocks import array_form as blocks_array_form
from symbp.latex.writeup_lstm import lstm_blocks, writes_lstm
from symbp.latex.writeup_norm import is_norm, norm_blocks
from symbp.latex.writeup_steps import step_rows
from symbp.layers import index as ix
from symbp.layers.base import shape_text
from symbp.layers.dense import Dense
from symbp.layers.recurrent import Rnn
from symbp.layers.reshape import Flatten
from symbp.model import LayeredNetwork

_QUANTITY = {
    "delta": "the error $\\delta$ of the layer",
    "hidden": "the whole gradient of the state $h$ (backpropagation through time)",
    "W": "the weight gradient",
    "Wx": "the gradient of the input weights",
    "Wh": "the gradient of the recurrent weights",
    "b": "the bias gradient",
    "input": "the gradient passed to the layer below",
}
_ARRAY_QUANTITY = {"W": "dW{p}", "Wx": "dWx{p}", "Wh": "dWh{p}", "b": "db{p}", "input": "dx",
                   "hidden": "dh"}  # fmt: skip
"""The recogniser's name (:mod:`symbp.derive.recognise`) of each printed quantity."""


def _display_names(layer) -> dict[sympy.Symbol, sympy.Symbol]:
    """The printed letters: the forward equation's own summation indices are c', p, q and its
    output channel c (dense: j and k, as the sources write them)."""
    prime = sympy.Symbol("c'", integer=True)
    names = {li.o: li.c, li.e: prime}
    names.update(dict(zip(li.SPATIAL[1], li.SPATIAL[2], strict=True)))
    if isinstance(layer, Dense):
        j, k = sympy.symbols("j k", integer=True)
        names = {li.o: j, li.e: k}
    if isinstance(layer, Rnn):
        j, k = sympy.symbols("j k", integer=True)
        names = {li.o: j, li.e: k, ix.g: k}
    return names


def _step_names(layer) -> dict[sympy.Symbol, sympy.Symbol]:
    i, j, k = sympy.symbols("i j k", integer=True)
    if isinstance(layer, Dense):
        return {li.c: j, li.c2: k, li.o: i}
    if isinstance(layer, Rnn):  # the step differentiated is t; the chain rule sums over tau
        tau = sympy.Symbol("tau", integer=True)
        return {li.c: j, li.c2: k, ix.g2: k, li.o: i, ix.TIME: tau, li.SPATIAL[3][0]: ix.TIME}
    return {}


def layer_blocks(
    net: LayeredNetwork, notation: str = nt.DEFAULT, command: str = "", svg_name: str = ""
) -> list:
    """The document as :mod:`symbp.latex.writeup_blocks` blocks (Markdown, LaTeX and the web
    page all print these); the shapes picture refers to ``svg_name`` in Markdown."""
    specs = " ".join(layer.spec() for layer in net.layers)
    title = (f"Backpropagation for {specs} on a {shape_text(net.input_shape)} input "
             f"({net.loss.name}) in {nt.get_notation(notation).owner} notation")  # fmt: skip
    blocks: list = [Heading(1, title)]
    if command:
        blocks.append(notice(command))  # the dense writeups' own header (ragged-right in LaTeX)
    blocks += _setting(net, notation)
    blocks.insert(3 if command else 2, shapes_picture(net, svg_name or "network.svg"))
    array_steps = recognise(derive_layers(net, net.skeleton()))
    for position in range(len(net.layers), 0, -1):
        blocks += _layer(net, position, notation, array_steps)
    return blocks


def render_layers(
    net: LayeredNetwork, notation: str = nt.DEFAULT, fmt: str = "markdown", command: str = ""
) -> str:
    """The whole document as text (``command``: the command line that makes it, printed)."""
    return layer_document(net, notation, fmt, command).text


def layer_document(
    net: LayeredNetwork,
    notation: str = nt.DEFAULT,
    fmt: str = "markdown",
    command: str = "",
    svg_name: str | None = None,
) -> Document:
    """The document and, for Markdown written to a file, its picture ``svg_name`` beside it
    (printed Markdown says where the picture would be; LaTeX draws it with TikZ)."""
    blocks = layer_blocks(net, notation, command, svg_name or "")
    if fmt == "latex":
        return Document(latex(blocks, blocks[0].text))
    if svg_name is None:
        note = Text("(The picture of the shapes is written beside the file when there is one: "
                    "`-o FILE`.)")  # fmt: skip
        return Document(markdown([note if isinstance(b, Picture) else b for b in blocks]))
    picture = next(b for b in blocks if isinstance(b, Picture))
    return Document(markdown(blocks), {svg_name: picture.svg})


def _setting(net: LayeredNetwork, notation: str) -> list:
    rows = [f"input: {shape_text(net.input_shape)}"]
    for position, layer in enumerate(net.layers, start=1):
        params = layer.parameter_shapes(net.shapes[position - 1], position)
        shown = ", ".join(f"{k} {shape_text(v)}" for k, v in params.items()) or "none"
        rows.append(
            f"layer {position}: `{layer.spec()}`, output {shape_text(net.shapes[position])}, "
            f"parameters: {shown}"
        )
    cost = nt.get_notation(notation).cost_name()
    return [
        Heading(2, "The setting"),
        Items(rows),
        Text(
            "Indices start at 0, as in PyTorch; every sum runs over all the values its index "
            "takes; an array entry whose index lies outside the array is 0 (that is the zero "
            f"padding of a convolution). ${cost}$ is the loss of one example, $\\delta$ its "
            "derivative by a layer's pre-activation $z$; $[P]$ is 1 when $P$ holds and 0 "
            "otherwise (Iverson's bracket). A convolution is a cross-correlation, as PyTorch "
            "computes it: the kernel is not flipped in the forward pass. Each step below is "
            "derived by SymPy from the forward equation and proved on a concrete instance of "
            "the layer (every entry of a small input with the same kernel, stride and padding)."
        ),
    ]


def _layer(net: LayeredNetwork, position: int, notation: str, array_steps: list) -> list:
    layer = net.layers[position - 1]
    printer = LayerPrinter(position, notation)
    blocks: list = [Heading(3, f"Layer {position}: `{layer.spec()}`")]
    if isinstance(layer, Flatten):
        note = ("Flatten reorders the entries (row-major, as torch.flatten): the gradient is "
                "reshaped back to the input's shape, with no arithmetic.")  # fmt: skip
        return [*blocks, Text(note)]
    if is_norm(layer):  # batchnorm, layernorm: the staged derivation (symbp.derive.norm_steps)
        return [*blocks, *norm_blocks(net, position, notation, array_steps)]
    if writes_multi(layer, net.shapes[position - 1]):  # attention, meanpool, last, residual
        return [*blocks, *multi_blocks(net, position, notation, array_steps)]
    if writes_lstm(layer):  # lstm: backpropagation through time for c and h
        return [*blocks, *lstm_blocks(net, position, notation, array_steps)]
    if not li.has_index_form(layer):
        note = (f"`{layer.spec()}`: no index-form writeup yet; `symbp derive --format text` "
                "shows its derived and proved array form.")  # fmt: skip
        return [*blocks, Text(note)]
    form = li.layer_form(layer, net.shapes[position - 1], position)
    lhs, rhs = (e.xreplace(_display_names(layer)) for e in form.forward)
    blocks += [Text("Forward:"), Math([(printer.doprint(lhs), "= " + printer.doprint(rhs), "")])]
    blocks.append(Text("This is the layer's own index-form equation, proved equal to its "
                       f"equations over arrays on {form.forward_verified_by}."))  # fmt: skip
    if form.stated.delta_target is not None:
        output = form.stated.output[lhs.indices]
        blocks.append(Text(f"and ${printer.doprint(output)}$ is the activation "
                           f"`{layer.act.name}` of ${printer.doprint(lhs)}$."))  # fmt: skip
    if isinstance(layer, Rnn):
        blocks += _recurrent_terms(printer)
    rename = _step_names(layer)
    for quantity in ("delta", *(q for q, _ in form.stated.targets)):
        steps = form.steps_for(quantity)
        if quantity == "delta" and position == len(net.layers):
            blocks += _output_delta(net, notation)
            continue
        if not steps or (quantity == "input" and position == 1):
            continue
        rows = []
        for n, step in enumerate(steps, start=1):
            left = printer.doprint(step.lhs.xreplace(rename)) if n == 1 else ""
            rows.append((left, "= " + printer.doprint(step.rhs.xreplace(rename)), step.rule))
        proofs = "; ".join(sorted({step.verified_by for step in steps}))
        blocks += [Text(f"{_QUANTITY[quantity][0].upper()}{_QUANTITY[quantity][1:]}:"),
                   Math(rows), Text(f"Each step proved on {proofs}.")]  # fmt: skip
        blocks += _array_form(array_steps, position, quantity)
        if quantity == "hidden":
            blocks += _through_time(form, printer)
    return blocks


def _through_time(form, printer: LayerPrinter) -> list:
    """BPTT unrolled: one step's Jacobian derived, and the product of Jacobians (both proved,
    :mod:`symbp.derive.layer_bptt`)."""
    steps, proved = bptt(form)
    j, k = sympy.symbols("j k", integer=True)
    rename = {ix.o: j, ix.g2: k}
    rows = [
        ((printer.doprint(s.lhs.xreplace(rename)) if n == 0 else ""),
         "= " + printer.doprint(s.rhs.xreplace(rename)), s.rule)
        for n, s in enumerate(steps)
    ]  # fmt: skip
    tau = "\\tau"
    cost, h, a = printer.cost, printer.vector("h", "t"), printer.vector("a", tau)
    first, last = printer.vector("J", "t+1"), printer.vector("J", tau)
    product = f"\\left({first}\\right)^{{T}} \\cdots \\left({last}\\right)^{{T}}"
    grad_a = f"\\frac{{\\partial {cost}}}{{\\partial {a}}}"
    unrolled = [(f"\\frac{{\\partial {cost}}}{{\\partial {h}}}",
                 f"= \\sum_{{{tau}=t}}^{{T-1}} {product} {grad_a}",
                 "the recursion unrolled")]  # fmt: skip
    return [
        Text("Through time: the Jacobian of one step,"),
        Math(rows),
        Text(f"Each step proved on {steps[0].verified_by}. Since $\\delta$ at $t+1$ is "
             "the whole gradient of the state times the activation's derivative, entry by "
             "entry, the recursion above is "
             f"$\\frac{{\\partial {cost}}}{{\\partial {h}}} = \\frac{{\\partial {cost}}}"
             f"{{\\partial {printer.vector('a', 't')}}} + "
             f"\\left({first}\\right)^{{T}} \\frac{{\\partial {cost}}}"
             f"{{\\partial {printer.vector('h', 't+1')}}}$; unrolled:"),
        Math(unrolled),
        Text(f"(the empty product, at $\\tau = t$, is the identity), proved on {proved}. The "
             "gradient that a step $\\tau$ sends back to the state at $t$ is multiplied by "
             "$\\tau - t$ Jacobians, each the activation's derivative times $W_h$: where their "
             "norms stay below 1 it shrinks geometrically with the distance (vanishing "
             "gradients), where they exceed 1 it grows (exploding gradients)."),
    ]  # fmt: skip


def _recurrent_terms(printer: LayerPrinter) -> list:
    """What the recurrent layer's symbols mean (its state is also its output)."""
    t, k = ix.TIME, sympy.Symbol("k", integer=True)
    h, a, dh, da = (printer.doprint(base[t, k]) for base in (ix.h, li.a, ix.dH, li.dA))
    previous = printer.doprint(ix.h[-1, k])
    return [Text(f"Here ${previous} = 0$ (an entry outside the sequence), and the state "
                 f"${h}$ is also the output ${a}$ that the layer above reads: ${da}$ is the "
                 "gradient that reaches it through the layers above, and "
                 f"${dh}$ its whole gradient, through the layers above and through the "
                 "next time step.")]  # fmt: skip


def _array_form(array_steps: list, position: int, quantity: str) -> list:
    """What the recogniser proved this quantity to be over a batch: the array operation (its
    own docstring's first line) and how many entries the proof covered."""
    name = _ARRAY_QUANTITY.get(quantity, "").format(p=position)
    return blocks_array_form(array_steps, position, name)


def _output_delta(net: LayeredNetwork, notation: str) -> list:
    """The output layer's error from the loss: the dense generic derivation's steps (every one
    proved there on concrete networks)."""
    layer = net.layers[-1]
    gder = derive_generic("sigmoid", layer.act, net.loss)  # the hidden layers play no part
    rows = step_rows(gder, "delta_L", notation) + step_rows(gder, "delta_L_loss", notation)
    # a reason is text inside the math: the assumption (ASCII such as sum_j y_j) goes below
    rows = [(lhs, rhs, why.split(", assuming ")[0]) for lhs, rhs, why in rows]
    label = LayerPrinter(len(net.layers), notation).label("z")
    assumed = [Text(f"Assumed there: {a}.") for a in gder.assumptions]
    return [
        Text(f"The error of the output layer, from the loss `{net.loss.name}` (layer L = "
             f"{label} here):"),
        Math(rows),
        *assumed,
        Text("Each of these steps is proved on every instantiation of small concrete networks "
             "(the generic derivation's own proof)."),
    ]  # fmt: skip
