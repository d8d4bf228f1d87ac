"""From a :class:`~symbp.derive.concrete.Derivation` to its matrix form over a batch.

The derivation gives every unit its own delta. Over a batch of m examples held as rows, layer l
is one array (``Z1``, ``A1``, ``D1`` of shape (m, n_l)) when every unit of the layer has the
*same* formula with its own index: this module reads each derived delta, renames unit j's
symbols to the layer's arrays and checks that the result is one template for all j. It then
checks the shape of the chain rule the matrix code relies on:

- output layer: ``delta^L_j = T(a^L_j, z^L_j, y_j)`` (elementwise), or for softmax
  ``delta^L_j = a_j (g_j - sum_i g_i a_i)`` with ``g_i = dC/da_i`` -> ``D = A * (G - rowsum(G*A))``;
- hidden layer: ``delta^l_j = (sum_i w^{l+1}_{ij} delta^{l+1}_i) F(a^l_j, z^l_j)``
  -> ``D^l = (D^{l+1} W^{l+1}) * F``;
- gradients: ``dC/dw^l_{jk} = delta^l_j a^{l-1}_k`` and ``dC/db^l_j = delta^l_j``
  -> ``dW^l = D^l.T A^{l-1}``, ``db^l = sum over rows of D^l``.

Any other shape raises :class:`CompileError`. Templates are read from a derivation of the same
network at widths of at most 3 once the network is large: a template is the same for every unit
by construction, and a layer of 3 units already has every kind of term (diagonal and off-diagonal
softmax terms), so this keeps compile time independent of the width.

>>> from symbp.model import network
>>> form = matrix_form(network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
>>> form.layers[1].delta_code, form.layers[0].delta_code
('A2 - Y', 'A1*(1 - A1)')
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symbp import notation
from symbp.activations import Activation, Elementwise
from symbp.algebra import product
from symbp.compile.numeric import inplace, printed, stable_form
from symbp.derive.concrete import Derivation, derive
from symbp.errors import SymbpError
from symbp.model import Network, network

SKELETON_PARAMETERS = 400
"""Networks with more parameters are derived at widths min(n, 3) (see the module docstring)."""

# Cross-entropy computed from the pre-activations (never log of a saturated output), per unit;
# the tests check each against the composed symbolic loss.
FROM_PRE_ACTIVATIONS = {
    ("sigmoid", "binary_cross_entropy"): "np.logaddexp(0, Z) - Y * Z",
    ("sigmoid", "categorical_cross_entropy"): "Y * np.logaddexp(0, -Z)",
}


class CompileError(SymbpError):
    """The derivation has a shape the matrix compiler does not emit."""


@dataclass(frozen=True)
class LayerForm:
    """One layer in matrix form: how A is computed from Z, and how D is computed.

    ``delta_code`` is NumPy code over the layer's arrays: the whole delta for the output layer
    (``kind == "elementwise"``), the factor F that multiplies ``D^{l+1} W^{l+1}`` for a hidden
    layer, or G = dC/dA (output) for ``kind == "softmax"``. ``delta_source`` says whether it is
    the derived formula as printed or the registry's stable form of f'.
    """

    layer: int
    activation: Activation
    kind: str
    forward_code: str | None
    delta_code: str
    delta_source: str
    delta_template: sympy.Expr
    loss_code: str | None = None


@dataclass(frozen=True)
class MatrixForm:
    network: Network
    derivation: Derivation
    layers: tuple[LayerForm, ...]

    def template_symbols(self, layer: int) -> dict[str, sympy.Symbol]:
        return _arrays(layer)


def _arrays(layer: int) -> dict[str, sympy.Symbol]:
    return {
        "A": sympy.Symbol(f"A{layer}", real=True),
        "Z": sympy.Symbol(f"Z{layer}", real=True),
        "Y": sympy.Symbol("Y", real=True),
        "G": sympy.Symbol(f"G{layer}", real=True),
    }


def skeleton(net: Network) -> Network:
    """The same network at widths min(n, 3) when it is large (the templates are unchanged).

    >>> skeleton(network([784, 256, 10], "sigmoid", "softmax", "cce")).sizes
    (3, 3, 3)
    """
    if net.parameter_count <= SKELETON_PARAMETERS:
        return net
    sizes = [min(n, 3) for n in net.sizes]
    return network(
        sizes, activations=list(net.activations), loss=net.loss, bias=net.bias, l2=net.l2
    )


def _one_template(exprs: list[sympy.Expr], allowed: set[sympy.Symbol], what: str) -> sympy.Expr:
    first = exprs[0]
    extra = first.free_symbols - allowed
    if extra or any(e != first for e in exprs[1:]):
        raise CompileError(f"{what}: the units of the layer do not share one formula")
    return first


def _is_stable(template: sympy.Expr) -> bool:
    """Polynomials and rational functions of the arrays cannot overflow: print them as derived."""
    return not template.atoms(sympy.Function, sympy.Piecewise)


def _fewest_operations(expr: sympy.Expr) -> sympy.Expr:
    """The form whose in-place code makes the fewest passes over the array."""
    simple = sympy.cancel(expr)
    candidates = (expr, simple, sympy.factor(simple), sympy.expand(simple))
    return min(candidates, key=lambda e: (len(inplace(printed(e), "F")), sympy.default_sort_key(e)))


def _forward_code(act: Activation, layer: int) -> str | None:
    if not isinstance(act, Elementwise):
        return None
    z = _arrays(layer)["Z"]
    return stable_form(act.numpy_forward, z=z.name) if act.numpy_forward else printed(act.f(z))


def _softmax_delta(a: list[sympy.Expr], g: list[sympy.Expr], j: int) -> sympy.Expr:
    """a_j (g_j - sum_i g_i a_i): the softmax Jacobian applied to g, for unit j (1-based)."""
    return a[j - 1] * (g[j - 1] - sympy.Add(*[gi * ai for gi, ai in zip(g, a, strict=True)]))


def _output_layer(der: Derivation) -> LayerForm:
    fwd, net = der.forward, der.network
    L, K = net.L, net.sizes[-1]
    act, arr = net.activation(L), _arrays(L)
    A, Z, Y = arr["A"], arr["Z"], arr["Y"]

    def rename(expr: sympy.Expr, j: int) -> sympy.Expr:
        return expr.xreplace({fwd.a[(L, j)]: A, fwd.z[(L, j)]: Z, fwd.y[j - 1]: Y})

    pair = (act.name, net.loss.name)
    loss_code = FROM_PRE_ACTIVATIONS.get(pair)
    renamed = [rename(der.deltas[(L, j)], j) for j in range(1, K + 1)]
    if all(r.free_symbols <= {A, Z, Y} for r in renamed):
        template = _one_template(renamed, {A, Z, Y}, "output delta")
        code, source = printed(template), "derived"
        if not _is_stable(template) and isinstance(act, Elementwise) and act.numpy_derivative:
            g = sympy.diff(net.loss.term(A, Y), A)
            local = act.fprime_in_output(A)
            if sympy.simplify(template - g * (local if local is not None else act.fprime(Z))):
                raise CompileError("output delta is not dC/da * f'(z)")
            stable = stable_form(act.numpy_derivative, z=Z.name, a=A.name)
            code, source = f"({printed(g)}) * ({stable})", "dC/da * registry f'"
        forward_code = _forward_code(act, L)
        return LayerForm(L, act, "elementwise", forward_code, code, source, template, loss_code)
    if act.elementwise:
        raise CompileError("output delta of an elementwise activation mixes units")
    a = [fwd.a[(L, i)] for i in range(1, K + 1)]
    g = [sympy.diff(fwd.loss, a_i) for a_i in a]
    for j in range(1, K + 1):
        expected = _softmax_delta(a, g, j)
        if sympy.simplify(der.deltas[(L, j)] - expected) != 0:
            raise CompileError("softmax output delta is not a_j (g_j - sum_i g_i a_i)")
    template = _one_template([rename(g[j - 1], j) for j in range(1, K + 1)], {A, Y}, "dC/da")
    form = _forward_code(act, L)
    return LayerForm(L, act, "softmax", form, printed(template), "derived", template, loss_code)


def _backpropagated(der: Derivation, layer: int, j: int) -> sympy.Expr:
    """sum_i w^{l+1}_{ij} delta^{l+1}_i exactly as the derivation writes it."""
    fwd = der.forward
    uses = der.uses.get(fwd.a[(layer, j)], [])
    return sympy.Add(*[product(fwd.delta[u], local) for u, local in uses])


def _hidden_layer(der: Derivation, layer: int) -> LayerForm:
    fwd, net = der.forward, der.network
    n = net.sizes[layer]
    act, arr = net.activation(layer), _arrays(layer)
    A, Z, G = arr["A"], arr["Z"], arr["G"]
    sums = {j: _backpropagated(der, layer, j) for j in range(1, n + 1)}
    for j in range(1, n + 1):
        expected_w = [fwd.weights[(layer + 1, i, j)] for i in range(1, net.sizes[layer + 1] + 1)]
        if not set(expected_w) <= sums[j].free_symbols:
            raise CompileError(f"delta of layer {layer} does not use every weight of W{layer + 1}")
    if act.elementwise:
        renamed = []
        for j in range(1, n + 1):
            factor = _fewest_operations(der.deltas[(layer, j)] / sums[j])
            if factor.free_symbols & (set(fwd.delta.values()) | set(fwd.weights.values())):
                raise CompileError(f"delta of layer {layer} is not (W^T delta) * f'")
            renamed.append(factor.xreplace({fwd.a[(layer, j)]: A, fwd.z[(layer, j)]: Z}))
        factor = _one_template(renamed, {A, Z}, f"delta of layer {layer}")
        code, source = printed(factor), "derived"
        if not _is_stable(factor) and act.numpy_derivative:
            code = stable_form(act.numpy_derivative, z=Z.name, a=A.name)
            source = "registry f' (stable form of the derived factor)"
        return LayerForm(layer, act, "elementwise", _forward_code(act, layer), code, source, factor)
    a = [fwd.a[(layer, j)] for j in range(1, n + 1)]
    for j in range(1, n + 1):
        expected = _softmax_delta(a, [sums[i] for i in range(1, n + 1)], j)
        if sympy.expand(der.deltas[(layer, j)] - expected) != 0:
            raise CompileError(f"softmax delta of layer {layer} is not a_j (g_j - sum_i g_i a_i)")
    return LayerForm(layer, act, "softmax", None, printed(G), "derived", G)


def _check_gradients(der: Derivation) -> None:
    fwd = der.forward
    for (layer, j, k), w in fwd.weights.items():
        expected = fwd.delta[(layer, j)] * (1 if k == 0 else fwd.previous(layer - 1)[k - 1])
        if sympy.expand(der.gradients[w] - expected) != 0:
            raise CompileError(f"gradient of {w} is not delta * a: {der.gradients[w]}")
    for (layer, j), b in fwd.biases.items():
        if der.gradients[b] != fwd.delta[(layer, j)]:
            raise CompileError(f"gradient of {b} is not delta: {der.gradients[b]}")


def matrix_form(net: Network) -> MatrixForm:
    """Derive ``net`` (or its skeleton), check the matrix structure, return the layer forms."""
    der = derive(skeleton(net))
    _check_gradients(der)
    layers = [_hidden_layer(der, layer) for layer in range(1, net.L)]
    layers.append(_output_layer(der))
    return MatrixForm(net, der, tuple(layers))


def unit_equation(form: MatrixForm, layer: int, style: str) -> str:
    """``delta^l_j = ...`` for unit j in a notation, from the layer's template (for comments).

    >>> form = matrix_form(network([2, 2, 1], "tanh", "sigmoid", "bce"))
    >>> print(unit_equation(form, 2, "wikipedia"))
    \\delta_{j}^{2} = a_{j}^{2} - y_{j}
    """
    lf = form.layers[layer - 1]
    arr = _arrays(layer)
    names = {
        arr["A"]: notation.latex_name("act", (layer, "j"), style),
        arr["Z"]: notation.latex_name("pre", (layer, "j"), style),
        arr["Y"]: notation.latex_name("target", ("j",), style),
    }
    lhs = notation.latex_name("delta", (layer, "j"), style)
    if layer == form.network.L:
        if lf.kind == "softmax":
            a = names[arr["A"]]
            return f"{lhs} = {a} (g_j - \\sum_i g_i a_i), g_j = \\partial C / \\partial {a}"
        return f"{lhs} = {sympy.latex(lf.delta_template, symbol_names=names)}"
    w = notation.latex_name("weight", (layer + 1, "i", "j"), style)
    d = notation.latex_name("delta", (layer + 1, "i"), style)
    backprop = f"\\sum_i {w} {d}"
    if lf.kind == "softmax":
        a = names[arr["A"]]
        return f"{lhs} = {a} (g_j - \\sum_i g_i a_i), g_j = {backprop}"
    factor = sympy.latex(lf.delta_template, symbol_names=names)
    if isinstance(lf.delta_template, sympy.Add):
        factor = f"\\left({factor}\\right)"
    return f"{lhs} = {factor} {backprop}"
