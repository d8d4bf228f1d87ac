"""The sections of a writeup that read the generic derivation (any depth L, symbolic widths):
the matrix form of every result, printed by :mod:`symbp.latex.printer` in a notation.

>>> from symbp.derive.generic import derive_generic
>>> rows = matrix_rows(derive_generic(), "nielsen")
>>> [r[1] for r in rows if r[2] == "BP2: error recursion"]
["= ((w^{l+1})^{T} \\\\delta^{l+1}) \\\\odot \\\\sigma'(z^{l})"]
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from symbp.activations import ACTIVATIONS, Activation, get_activation
from symbp.derive import matrix as mx
from symbp.derive.cost import cost_comparison
from symbp.derive.generic import GenericDerivation, derive_generic
from symbp.latex import picture, writeup_mixed
from symbp.latex.printer import GenericPrinter, print_node, style_for
from symbp.latex.writeup_blocks import Block, Heading, Items, Math, Picture, Table, Text
from symbp.latex.writeup_source import source_equations
from symbp.latex.writeup_steps import printer_names, step_rows
from symbp.latex.writeup_symbols import symbol_items
from symbp.losses import get_loss
from symbp.model import Network, network
from symbp.notation import get_notation

EXAMPLE_SIZES = ((2, 3, 2), (4, 8, 8, 3), (64, 128, 64, 10), (784, 30, 10))
"""Networks the generic writeups count the cost for (the last is Nielsen's MNIST network)."""

# The results in reading order, with what each one is; Nielsen's numbers where he gives them.
RESULTS = (
    ("forward_z", "forward pass: the weighted input"),
    ("forward_a", "forward pass: the activation"),
    ("delta_def", "definition of the error"),
    ("delta_L", "the output error"),
    ("delta_L_loss", "the output error for this loss"),
    ("delta_L_simplified", "the output error, simplified"),
    ("delta_recursion", "the error recursion"),
    ("fprime_output_form", "the activation's derivative written with its output"),
    ("delta_recursion_output_form", "the recursion with that derivative"),
    ("grad_b", "the bias gradient"),
    ("grad_W", "the weight gradient"),
    ("grad_x", "the input gradient"),
    ("accumulate", "accumulate over the m examples"),
    ("mean_grad", "the mean gradient (with L2)"),
    ("mean_grad_bias", "the mean bias gradient"),
    ("update_W", "the gradient-descent update"),
    ("update_b", "the gradient-descent update of the biases"),
)
ANY_ACTIVATION = (
    "forward_z",
    "forward_a",
    "delta_def",
    "delta_L",
    "delta_recursion",
    "grad_b",
    "grad_W",
    "grad_x",
    "accumulate",
    "mean_grad",
    "mean_grad_bias",
    "update_W",
    "update_b",
)
"""The results that name the activation only as f and f' (true for a custom activation)."""
_UPDATE = (
    "accumulate over the m examples",
    "the mean gradient (with L2)",
    "the mean gradient (with L2) off the bias column",
    "the bias column: not regularised",
    "the mean bias gradient",
    "the gradient-descent update",
    "the gradient-descent update of the biases",
)
"""The rows of the update section: with m examples, D^l (the gradient of J) defined first."""
_RELATIONS = (" := ", " \\equiv ", " = ")


def split_equation(latex: str) -> tuple[str, str]:
    """``lhs``, ``= rhs`` of a printed equation, split at its first relation.

    >>> split_equation("\\\\delta^{l} := \\\\frac{\\\\partial C}{\\\\partial z^{l}}")
    ('\\\\delta^{l}', ':= \\\\frac{\\\\partial C}{\\\\partial z^{l}}')
    """
    found = [(latex.find(r), r) for r in _RELATIONS if r in latex]
    at, relation = min(found)
    return latex[:at], relation.strip() + " " + latex[at + len(relation) :]


def printed(gder: GenericDerivation, name: str, notation_name: str, hadamard: str) -> str:
    """One matrix-form result, printed as the notation's source writes it (where the hidden
    layers' activations differ and the notation names them: at the first hidden layer)."""
    style = _wikipedia_style(notation_name, hadamard)
    if writeup_mixed.per_layer(gder, name, notation_name):
        lhs, rhs, _ = writeup_mixed.layer_rows(
            gder, name, notation_name, style, "", _derived_for(gder)
        )[0]
        return f"{lhs} {rhs}"
    return print_node(
        gder.equations[name],
        notation_name,
        _wikipedia_style(notation_name, hadamard),
        **printer_names(gder, notation_name),
    )


def for_network(net: Network) -> GenericDerivation:
    """The generic derivation with the activations, loss and options of a concrete network.

    The generic derivation has one hidden activation, the first hidden layer's (for one
    weight layer, the output's); where the hidden layers' activations differ, each one is
    kept on ``layers`` so that the writeup names each layer's by its own. A custom
    activation (not in the registry) is stood in for by the sigmoid, and only the results that
    hold for every activation are kept (:data:`ANY_ACTIVATION`).
    """
    hidden = net.activation(1) if net.L > 1 else net.activation(net.L)
    output = net.activation(net.L)
    known = all(a.name in ACTIVATIONS for a in (hidden, output))
    if known:
        # the network's own objects: leaky_relu(0.5) keeps its slope
        names = (hidden, output)
    else:
        names = ("sigmoid", "sigmoid" if output.elementwise else output.name)
    args = (*names, net.loss.name, net.bias, net.examples > 1, bool(net.l2))
    gder = _generic(*args)
    layers = tuple(net.activation(k) for k in range(1, net.L))
    if len({a.latex for a in layers}) > 1:
        gder = replace(gder, layers=layers)
    if known:
        return gder
    kept = {k: v for k, v in gder.equations.items() if k in ANY_ACTIVATION}
    return replace(gder, equations=kept, steps=[s for s in gder.steps if s.quantity in kept])


@lru_cache(maxsize=64)
def _generic(
    hidden: str | Activation,
    output: str | Activation,
    loss: str,
    bias: str,
    examples: bool,
    l2: bool,
) -> GenericDerivation:
    # NOTE: shared between callers; writeups only read it.
    return derive_generic(hidden, output, loss, bias, examples, l2)


def _derived_for(gder: GenericDerivation) -> writeup_mixed.DerivedFor:
    """The generic derivation of another hidden activation, with ``gder``'s other options."""
    output, loss = gder.spec[1], gder.spec[2].name
    return lambda act: _generic(act, output, loss, gder.bias, gder.examples, gder.l2)


def matrix_rows(
    gder: GenericDerivation, notation_name: str, hadamard: str = "circ"
) -> list[tuple[str, str, str]]:
    """Every matrix-form result as a display-math row (left, right, what it is)."""
    rows = []
    source = get_notation(notation_name)
    style = source.hadamard_style(hadamard)
    names = printer_names(gder, notation_name)
    for name, what in RESULTS:
        if name == "mean_grad" and "mean_grad_bias" in gder.entries:
            rows += _bias_column_rows(gder, notation_name, style, names)
            continue
        if name in source.result_labels:
            what = f"{source.result_labels[name]}: {what[4:]}"
        if writeup_mixed.per_layer(gder, name, notation_name):  # each layer by its own
            rows += writeup_mixed.layer_rows(
                gder, name, notation_name, style, what, _derived_for(gder)
            )
            continue
        if name not in gder.equations:
            continue
        node = gder.equations[name]
        if name == "forward_a" and _own_names_differ(names, notation_name):
            rows += _forward_rows(node, notation_name, style, names, what)
            continue
        lhs, rhs = split_equation(print_node(node, notation_name, style, **names))
        rows.append((lhs, rhs, what))
    return rows


def _own_names_differ(names: dict, notation_name: str) -> bool:
    """The notation names each layer's activation (Nielsen, Ng) and hidden and output differ."""
    hidden, output = names.get("activations", ("", ""))
    return get_notation(notation_name).names_each_activation and hidden != output


def _forward_rows(
    node: mx.Equation, notation_name: str, style: str | None, names: dict, what: str
) -> list[tuple[str, str, str]]:
    """The activation of a hidden layer and of the output layer, each by its own name."""
    rows = []
    for equation, where in (
        (node, "of a hidden layer"),
        (mx.substitute(node, {mx.LAYER: mx.DEPTH}), "of the output layer"),
    ):
        lhs, rhs = split_equation(print_node(equation, notation_name, style, **names))
        rows.append((lhs, rhs, f"{what} {where}"))
    return rows


def _bias_column_rows(
    gder: GenericDerivation, notation_name: str, style: str | None, names: dict
) -> list[tuple[str, str, str]]:
    """D entry by entry, as Ng's notes give it (2B.9a/b): with the bias unit, column 0 of the
    weights is the bias, which the L2 term leaves out, so D has no one matrix form."""
    column = GenericPrinter(style_for(notation_name, style)).names[mx.COL]
    cases = (
        ("mean_grad", "\\neq", "the mean gradient (with L2) off the bias column"),
        ("mean_grad_bias", "=", "the bias column: not regularised"),
    )
    rows = []
    for key, relation, what in cases:
        lhs, rhs = split_equation(print_node(gder.entries[key], notation_name, style, **names))
        rows.append((lhs, f"{rhs} \\quad ({column} {relation} 0)", what))
    return rows


def matrix_form(
    gder: GenericDerivation, notation_name: str, hadamard: str, number: int = 8
) -> list[Block]:
    """The section stating every result for whole layers, as the source writes it."""
    depth = GenericPrinter(style_for(notation_name, _wikipedia_style(notation_name, hadamard)))
    text = (
        f"The same results for whole layers, derived for any depth ${depth.label('a', mx.DEPTH)}$ "
        "by the generic derivation (index form differentiated by SymPy, then recognised as "
        "matrix operations):"
    )
    rows = matrix_rows(gder, notation_name, hadamard)
    return [Heading(2, f"{number}. The matrix form"), Text(text), Math(rows)]


def _wikipedia_style(notation_name: str, hadamard: str) -> str | None:
    return get_notation(notation_name).hadamard_style(hadamard)


def _spec(gder: GenericDerivation):
    """(hidden, output, loss) objects: the derivation's own (custom ones are in no registry)."""
    if gder.spec is not None:
        return gder.spec
    return get_activation(gder.hidden), get_activation(gder.output), get_loss(gder.loss)


def generic_setting(gder: GenericDerivation, notation_name: str, hadamard: str) -> list[Block]:
    """Widths, activations, loss, layout conventions and shapes for a network of depth L."""
    style = _wikipedia_style(notation_name, hadamard)
    forward_z = print_node(gder.equations["forward_z"], notation_name, style)
    hidden, output, loss = _spec(gder)
    printer = GenericPrinter(style_for(notation_name, style))
    source = get_notation(notation_name)
    depth, first = printer.label("a", mx.DEPTH), source.input_layer
    n = source.width_letter  # the letter of a layer's width
    text = (
        f"A network of any depth ${depth}$ (layer {first} the input, layer ${depth}$ the output) "
        f"with ${n}_{{{first}}}, \\ldots, {n}_{{{depth}}}$ units in its layers, hidden "
        f"activation {hidden.name} (${hidden.latex}$), output activation {output.name} "
        f"(${output.latex}$) and the {loss.name.replace('_', ' ')} loss ${loss.latex}$."
    )
    columns = f"({n}_{{l-1}} + 1)" if gder.bias == "unit" else f"{n}_{{l-1}}"
    row, column = printer.names[mx.ROW], printer.names[mx.COL]
    items = [
        f"The forward pass of layer $l$ is ${forward_z}$: the weights into a layer of ${n}_l$ "
        f"units form an ${n}_l \\times {columns}$ matrix whose row ${row}$ is the unit it feeds "
        f"and whose column ${column}$ is the unit it reads.",
        "Vectors are columns; the transpose goes on the weight matrix in the backward pass and "
        "on the activation in the weight gradient, which has the shape of the weights.",
    ]
    if gder.bias == "unit":
        items.append(
            "The bias is a unit $a_0 = 1$ on every layer but the output, stacked on top of the "
            "layer's activations, so each weight matrix has one more column (column 0), which "
            "is not regularised."
        )
    if gder.examples:
        items.append(
            "The cost is the mean over $m$ examples" + (" plus the L2 term." if gder.l2 else ".")
        )
    items += symbol_items(gder, notation_name, hadamard)
    if source.setting_note:
        items.append(source.setting_note.format(depth=depth))
    return [Heading(2, "1. The setting"), Text(text), Items(items)]


def assumption_items(gder: GenericDerivation) -> list[str]:
    """The generic derivation's assumptions, with the loss's own LaTeX where it has one."""
    hidden, _, loss = _spec(gder)
    latex = {a.name: a.latex for a in loss.assumptions}
    items = []
    for text in gder.assumptions:
        if text in latex:
            items.append(f"{text.split(':')[0]}: ${latex[text]}$")
        else:
            items.append(text)
    kink = hidden.kink
    if kink:
        items.append(f"{gder.hidden} has a kink; convention: `{kink}`")
    return items or ["none beyond the definitions above"]


def _steps_section(
    gder: GenericDerivation, title: str, quantities: tuple[str, ...], notation_name: str, h: str
) -> list[Block]:
    blocks: list[Block] = [Heading(2, title)]
    for quantity in quantities:
        rows = step_rows(gder, quantity, notation_name, h)
        if rows:
            blocks.append(Math(rows))
    return blocks


def generic_loss(gder: GenericDerivation, notation_name: str, hadamard: str) -> list[Block]:
    """The loss of one example and, with m examples, the mean with its L2 term."""
    _, _, loss = _spec(gder)
    style = style_for(notation_name, _wikipedia_style(notation_name, hadamard))
    source = get_notation(notation_name)
    cost = source.cost_name("example", bool(gder.examples))  # Ng: J^{(t)}, his J is the mean
    blocks: list[Block] = [
        Heading(2, "3. The loss"),
        Math([(cost, f"= {loss.latex}", "one example; a is the output layer's activation")]),
    ]
    if gder.examples:
        printer = GenericPrinter(style)
        weight = printer.doprint(mx.Elem("W", mx.LAYER, (mx.ROW, mx.COL)))
        # the sum runs over the letters the entry is written with (Ng: i, j)
        over = f"l,{printer.names[mx.ROW]},{printer.names[mx.COL]}"
        if gder.bias == "unit":  # column 0 is the bias, which the L2 term leaves out
            over += " \\geq 1"
        l2 = f"\\frac{{\\lambda}}{{2m}} \\sum_{{{over}}} \\left({weight}\\right)^2"
        mean = f"= \\frac{{1}}{{m}} \\sum_{{t=1}}^{{m}} {source.cost_name('term')}"
        if gder.l2:
            mean += " + " + l2
        blocks.append(Math([(source.cost_name("mean"), mean, "the mean over m examples")]))
        if gder.l2:
            blocks.append(
                Text(
                    f"$R = {l2}$ below is the L2 term; the biases are never regularised (their "
                    "weights are left out of the sum)."
                )
            )
    return blocks


def generic_blocks(
    gder: GenericDerivation, notation_name: str, hadamard: str, svg_name: str | None, title: str
) -> list[Block]:
    """Every section of the writeup of a network of any depth."""
    layout = picture.generic_layout(notation_name, gder.bias == "unit")
    caption = f"Layers $l-1$ and $l$ of a deep network; the highlighted weight is ${layout.label}$."
    blocks: list[Block] = [Heading(1, title)]
    blocks += generic_setting(gder, notation_name, hadamard)
    blocks.append(Picture(svg_name or "", picture.svg(layout), picture.tikz(layout), caption))
    rows = matrix_rows(gder, notation_name, hadamard)
    blocks += [Heading(2, "2. The forward pass"), Math([r for r in rows if "forward" in r[2]])]
    blocks += generic_loss(gder, notation_name, hadamard)
    h = hadamard
    blocks += [Heading(2, "4. The output error, step by step")]
    blocks += [Math([r for r in rows if r[2] == "definition of the error"])]
    blocks += _steps_section(gder, "", ("delta_L", "delta_L_loss"), notation_name, h)[1:]
    blocks += _steps_section(
        gder,
        "5. The error recursion, step by step",
        ("delta_recursion", "fprime_output_form"),
        notation_name,
        h,
    )
    blocks += _steps_section(
        gder,
        "6. The gradients, step by step",
        ("grad_b", "grad_W", "mean_grad", "grad_x"),
        notation_name,
        h,
    )
    blocks += [Heading(2, "7. The update"), Math([r for r in rows if r[2] in _UPDATE])]
    blocks += matrix_form(gder, notation_name, hadamard, number=8)
    blocks += source_equations(gder, notation_name, hadamard, number=9)
    blocks += [Heading(2, "10. Assumptions used"), Items(assumption_items(gder))]
    blocks += cost_section(example_networks(gder), 11)
    return blocks


def cost_section(nets: list[Network], number: int) -> list[Block]:
    """Multiplications per example: backprop, every delta written out in full, and forward
    accumulation (one tangent pass per parameter and input), from :func:`cost_comparison`."""
    rows = []
    for net in nets:  # one row per network
        c = cost_comparison(net)
        rows.append(
            (
                "-".join(map(str, net.sizes)),
                str(c.parameters),
                str(c.backprop),
                str(c.naive),
                str(c.forward),
                str(c.passes),
                f"{c.ratio:.1f}",
            )
        )
    header = ("sizes", "parameters", "backprop", "deltas in full", "forward", "passes", "ratio")
    first = cost_comparison(nets[0])
    text = (
        "Multiplications per example. Backprop computes each error once from the error of the "
        "layer above and each gradient once. Writing every error out in full (the naive list of "
        "products) repeats the products of the layers above it. Forward accumulation carries "
        "one direction of change from a parameter (or an input) through every later layer, so "
        f"it needs one pass per parameter and input: {first.passes} passes and "
        f"{first.forward} multiplications for the {'-'.join(map(str, first.sizes))} network, "
        f"{first.ratio:.1f} times backprop's {first.backprop}."
    )
    if len(nets) > 1:
        text += " The ratio grows with the size of the network."
    heading = Heading(2, f"{number}. Cost: forward accumulation versus backpropagation")
    return [heading, Text(text), Table(header, tuple(rows))]


def example_networks(gder: GenericDerivation) -> list[Network]:
    """:data:`EXAMPLE_SIZES` with the generic derivation's activations, loss and bias."""
    hidden, output, loss = _spec(gder)
    return [network(list(s), hidden, output, loss, bias=gder.bias) for s in EXAMPLE_SIZES]
