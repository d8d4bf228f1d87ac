"""The sections of a writeup that read a concrete :class:`~symbp.derive.concrete.Derivation`:
the setting, the forward pass, the loss, the output error and the hidden errors step by step,
every parameter's gradient, and the gradient-descent update, each in one notation.

>>> import symbp
>>> der = symbp.derive(symbp.network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
>>> blocks = gradients(der, "nielsen")
>>> blocks[-1].rows[0][:2]
('\\\\frac{\\\\partial C}{\\\\partial w^{2}_{11}}', '= x_{1} \\\\delta^{2}_{1}')
"""

from __future__ import annotations

import sympy

from symbp import notation
from symbp.activations import Elementwise
from symbp.derive.concrete import Derivation
from symbp.derive.steps import Rule
from symbp.latex.concrete import cost_name, example_cost, steps_block, to_latex
from symbp.latex.printer_styles import style_for
from symbp.latex.writeup_blocks import Block, Heading, Items, Math, Table, Text
from symbp.latex.writeup_symbols import activation_item

GENERIC_LAYER, GENERIC_ROW, GENERIC_COL = sympy.symbols("l j k")


def _elementwise(notation_name: str, hadamard: str) -> str:
    return notation.get_notation(notation_name).hadamard_tex(hadamard).replace("\\ ", " ").strip()


FULL_LISTING = 100  # list every parameter's gradient up to this many parameters
FAN_IN = 12  # write a pre-activation out in full up to this many inputs
WIDE = 3  # derive this many output units in full; a softmax written out up to this many


def generic_name(kind: str, notation_name: str, units: tuple[sympy.Expr, ...] = ()) -> str:
    """A notation's name of a quantity of the generic layer l (``w^{l}_{jk}``, ``a^{(l)}_{j}``).

    The naming module numbers layers from symbp's input layer 0; Ng and Nielsen call the input
    layer 1, so their layer l is symbp's l - 1 (Ng's weights keep his own index: Theta^{(l-1)}
    maps layer l-1 to layer l).
    """
    shift = notation.layer_label(0, notation_name)
    return notation.latex_name(kind, (GENERIC_LAYER - shift, *units), notation_name)


def has_mean(der: Derivation) -> bool:
    """Is the cost a mean over examples (or regularised), so that J differs from one example's?"""
    return der.network.examples > 1 or bool(der.network.l2)


def _rows(der: Derivation, quantity: str, notation_name: str) -> list[tuple[str, str, str]]:
    steps = der.steps_for(quantity)
    rows = steps_block(steps, notation_name, has_mean(der))
    return [(lhs, rhs, step.rule.value) for lhs, rhs, step in rows]


def _activation_latex(der: Derivation, layer: int, z: sympy.Symbol, notation_name: str) -> str:
    act = der.network.activation(layer)
    return f"{act.latex}\\left({to_latex(z, notation_name)}\\right)"


def setting(
    der: Derivation, notation_name: str, backward: tuple[str, str], hadamard: str = "circ"
) -> list[Block]:
    """Sizes, activations, loss, and the layout conventions with every matrix's shape;
    ``backward`` is the printed error recursion and weight gradient (matrix form)."""
    net = der.network
    w = generic_name("weight", notation_name, (GENERIC_ROW, GENERIC_COL))
    rows = []
    for layer, n in enumerate(net.sizes):
        shown = str(notation.layer_label(layer, notation_name))
        if layer == 0:
            rows.append((shown, str(n), "input $x$", f"${n} \\times 1$", "", ""))
            continue
        fan_in = net.sizes[layer - 1] + (1 if net.bias == "unit" else 0)
        bias = "" if net.bias == "unit" else f"${n} \\times 1$"
        act = net.activation(layer)
        rows.append(
            (
                shown,
                str(n),
                f"${act.latex}$ ({act.name})",
                f"${n} \\times 1$",
                f"${n} \\times {fan_in}$",
                bias,
            )
        )
    table = Table(
        ("layer", "units", "activation", "$z$, $a$, $\\delta$", "weights into it", "biases"),
        tuple(rows),
    )
    bias_rule = (
        "Ng's bias unit: every layer but the output gets a unit $a_0 = 1$, so column 0 of each "
        "weight matrix holds the biases and is never regularised."
        if net.bias == "unit"
        else "Every unit has its own bias; biases are never regularised."
    )
    items = [
        f"${w}$ is the weight from unit $k$ of layer $l-1$ to unit $j$ of layer $l$: "
        "$j$ is the row and $k$ the column, so the weights into a layer of $n_l$ units form an "
        "$n_l \\times n_{l-1}$ matrix.",
        "Vectors ($x$, $y$, $z$, $a$, $\\delta$, biases) are columns. The transpose goes on the "
        f"weight matrix in the backward pass (${backward[0]}$) and on the activation in the "
        f"weight gradient (${backward[1]}$), which has the shape of the weights.",
        f"The input layer is layer {notation.layer_label(0, notation_name)} in this notation; "
        f"the elementwise product is written ${_elementwise(notation_name, hadamard)}$.",
        bias_rule,
    ]
    # every layer by its own activation (the hidden layers' may differ)
    labels = [(str(notation.layer_label(k, notation_name)), net.activation(k)) for k in
              range(1, net.L + 1)]  # fmt: skip
    item = activation_item(notation_name, labels[0][1], labels[-1][1], labels)
    if item:
        items.append(item)
    if any(value.has(sympy.Heaviside) for value in der.deltas.values()):
        items.append(
            "$[z > 0]$ is 1 where $z > 0$ and 0 elsewhere (an Iverson bracket): ReLU's "
            "derivative, 0 at the kink $z = 0$."
        )
    if has_mean(der):
        items.append(
            f"The cost is the mean over $m = {net.examples}$ examples"
            + (f" plus the L2 term with $\\lambda = {sympy.latex(net.l2)}$." if net.l2 else ".")
        )
    text = (
        f"A network of {net.L} weight layers with sizes {'-'.join(map(str, net.sizes))} "
        f"({net.parameter_count} parameters) and the {net.loss.name.replace('_', ' ')} loss."
    )
    return [Heading(2, "1. The setting"), Text(text), table, Items(items)]


def _listed_units(net, layer: int) -> list[int]:
    """Every unit of a small network; the first and last unit of a layer of a large one."""
    n = net.sizes[layer]
    if net.parameter_count <= FULL_LISTING or n <= 2:
        return list(range(1, n + 1))
    return [1, n]


def forward_pass(der: Derivation, notation_name: str) -> list[Block]:
    """Each unit's pre-activation and activation, layer by layer (a large network: the first
    and last unit of each layer, a sum sign where a unit has more than FAN_IN inputs)."""
    fwd, net = der.forward, der.network
    rows = []
    for layer in range(1, net.L + 1):
        act = net.activation(layer)
        for j in _listed_units(net, layer):
            z, a = fwd.z[(layer, j)], fwd.a[(layer, j)]
            value = _z_latex(der, layer, j, notation_name)
            rows.append((to_latex(z, notation_name), "= " + value, ""))
            if isinstance(act, Elementwise):
                value = _activation_latex(der, layer, z, notation_name)
            elif net.sizes[layer] <= WIDE:
                value = to_latex(fwd.a_def[(layer, j)], notation_name)
            else:
                value = f"{act.latex}\\left(z\\right)_{{{j}}}"
            rows.append((to_latex(a, notation_name), "= " + value, ""))
        if len(_listed_units(net, layer)) < net.sizes[layer]:
            rows.append(("", "\\vdots", ""))
    return [Heading(2, "2. The forward pass"), Math(rows)]


def _z_latex(der: Derivation, layer: int, j: int, notation_name: str) -> str:
    """``w_{j1} a_1 + ... + b_j`` in the sources' order (weight, then input; the bias last,
    Ng's bias column first); with more than FAN_IN inputs the middle terms are elided."""
    fwd, net = der.forward, der.network
    previous = fwd.previous(layer - 1)
    first = 0 if net.bias == "unit" else 1
    factors = [
        (fwd.weights[(layer, j, k)], None if k == 0 else previous[k - 1])
        for k in range(first, net.sizes[layer - 1] + 1)
    ]
    if net.bias == "explicit":
        factors.append((fwd.biases[(layer, j)], None))
    rebuilt = sympy.Add(*[p if q is None else p * q for p, q in factors])
    if rebuilt != fwd.z_def[(layer, j)]:  # a forward equation of another shape: print it as is
        return to_latex(fwd.z_def[(layer, j)], notation_name)
    terms = [
        to_latex(p, notation_name) + ("" if q is None else " " + to_latex(q, notation_name))
        for p, q in factors
    ]
    if len(terms) > FAN_IN:
        terms = [*terms[:2], "\\cdots", *terms[-2:]]
    return " + ".join(terms)


def loss(der: Derivation, notation_name: str) -> list[Block]:
    """The loss of one example, and the mean (with L2) when there are m examples."""
    net = der.network
    cost = cost_name(notation_name, has_mean(der))
    blocks: list[Block] = [
        Heading(2, "3. The loss"),
        Text(f"For one example, with the loss ${net.loss.latex}$ written out:"),
        Math([(cost, "= " + _loss_latex(der, notation_name), "")]),
    ]
    if has_mean(der):
        w = generic_name("weight", notation_name, (GENERIC_ROW, GENERIC_COL))
        mean = f"= \\frac{{1}}{{m}} \\sum_{{t=1}}^{{m}} {example_cost(notation_name)}"
        if net.l2:
            mean += f" + \\frac{{\\lambda}}{{2m}} \\sum_{{l,j,k \\ne 0}} \\left({w}\\right)^2"
        blocks += [Text("Over the $m$ examples the cost is"), Math([("J", mean, "")])]
    return blocks


def _loss_latex(der: Derivation, notation_name: str) -> str:
    """The loss written out; with many outputs, its first two and last terms."""
    fwd = der.forward
    if der.network.sizes[-1] <= WIDE + 1:
        return to_latex(fwd.loss, notation_name)
    outputs, y = fwd.previous(der.network.L), fwd.y
    terms = [der.network.loss([a], [t]) for a, t in zip(outputs, y, strict=True)]
    shown = [to_latex(t, notation_name) for t in (terms[0], terms[1], terms[-1])]
    return f"{shown[0]} + {shown[1]} + \\cdots + {shown[2]}".replace("+ - ", "- ")


def output_error(der: Derivation, notation_name: str) -> list[Block]:
    """Each output unit's delta, derived step by step with each step's rule."""
    net, fwd = der.network, der.forward
    blocks: list[Block] = [Heading(2, "4. The output error, step by step")]
    K = net.sizes[-1]
    for j in range(1, min(K, WIDE) + 1):
        name = fwd.delta[(net.L, j)].name
        blocks.append(Math(_rows(der, name, notation_name)))
    if K > WIDE:  # the other units follow the same steps
        rows = [
            (
                to_latex(fwd.delta[(net.L, j)], notation_name),
                "= " + to_latex(der.deltas[(net.L, j)], notation_name),
                "",
            )
            for j in range(1, K + 1)
        ]
        blocks += [
            Text("The other output units take the same steps; every output unit:"),
            Math(rows),
        ]
    return blocks


def hidden_errors(der: Derivation, notation_name: str) -> list[Block]:
    """The first unit of each hidden layer derived in full; every unit's result."""
    net, fwd = der.network, der.forward
    blocks: list[Block] = [Heading(2, "5. The error of each hidden layer")]
    if net.L == 1:
        return blocks + [Text("There is no hidden layer.")]
    for layer in range(net.L - 1, 0, -1):
        first = fwd.delta[(layer, 1)]
        blocks += [
            Text(f"Layer {notation.layer_label(layer, notation_name)}, unit 1 in full:"),
            Math(_rows(der, first.name, notation_name)),
        ]
    if net.parameter_count > FULL_LISTING:
        return blocks
    rows = [
        (to_latex(fwd.delta[key], notation_name), "= " + to_latex(value, notation_name), "")
        for key, value in sorted(der.deltas.items(), key=lambda kv: (-kv[0][0], kv[0][1]))
        if key[0] < net.L
    ]
    return blocks + [Text("Every hidden unit, from the output back:"), Math(rows)]


def gradients(der: Derivation, notation_name: str) -> list[Block]:
    """One weight and one bias derived in full, then every parameter's gradient."""
    fwd = der.forward
    params = fwd.parameters
    blocks: list[Block] = [Heading(2, "6. The gradients")]
    shown = [params[0]] + [p for p in params if notation.parse_name(p.name)[0] == "bias"][:1]
    if has_mean(der):
        shown = shown[:1] + [p for p in params if fwd.regularised(p)][:1] + shown[1:]
    for p in dict.fromkeys(shown):
        blocks.append(Math(_rows(der, p.name, notation_name)))
    if len(params) > FULL_LISTING:
        blocks.append(
            Text(f"The network has {len(params)} parameters; each follows the same two rules.")
        )
        return blocks
    cost = cost_name(notation_name, has_mean(der))
    rows = []
    for p in params:
        lhs = f"\\frac{{\\partial {cost}}}{{\\partial {to_latex(p, notation_name)}}}"
        rows.append((lhs, "= " + to_latex(der.gradients[p], notation_name), ""))
    blocks += [Text(f"All {len(params)} parameters of one example:"), Math(rows)]
    return blocks


def results_rows(der: Derivation, notation_name: str) -> list[tuple[str, str, str]]:
    """Every delta (output first) and every parameter's gradient, one row each."""
    fwd, mean = der.forward, has_mean(der)
    keys = sorted(der.deltas, key=lambda key: (-key[0], key[1]))
    rows = [
        (to_latex(fwd.delta[k], notation_name), "= " + to_latex(der.deltas[k], notation_name), "")
        for k in keys
    ]
    cost = cost_name(notation_name, mean)
    for p in fwd.parameters:
        lhs = f"\\frac{{\\partial {cost}}}{{\\partial {to_latex(p, notation_name)}}}"
        rows.append((lhs, "= " + to_latex(der.gradients[p], notation_name), ""))
    return rows


def update(der: Derivation, notation_name: str) -> list[Block]:
    """Gradient descent: every parameter moves against its gradient."""
    net = der.network
    rate = style_for(notation_name).learning_rate
    cost = "J" if has_mean(der) else cost_name(notation_name)
    rows = []
    for kind in ("weight", "bias"):
        if kind == "bias" and net.bias == "unit":
            continue
        units = (GENERIC_ROW, GENERIC_COL) if kind == "weight" else (GENERIC_ROW,)
        p = generic_name(kind, notation_name, units)
        rows.append(
            (p, f"\\leftarrow {p} - {rate} \\frac{{\\partial {cost}}}{{\\partial {p}}}", "")
        )
    text = f"With the learning rate ${rate}$, one step of gradient descent sets"
    return [Heading(2, "7. The update"), Text(text), Math(rows)]


def assumptions(der: Derivation, notation_name: str) -> list[Block]:
    """Every assumption and convention the derivation used."""
    items = [f"{a.name.split(':')[0]}: ${a.latex}$" for a in der.assumptions]
    for act in der.network.activations:
        if act.kink and act.kink not in items:
            items.append(f"{act.name} has a kink; convention: `{act.kink}`")
    used = {s.rule for key in der.output_steps for s in der.output_steps[key]}
    if Rule.OUTPUT_FORM in used:
        items.append(
            "the output activation's derivative is written with its output $a$ "
            "(an identity SymPy checks)"
        )
    if not items:
        items.append("none beyond the definitions above")
    items = list(dict.fromkeys(items))
    return [Heading(2, "9. Assumptions used"), Items(items)]
