"""Backpropagation for any depth L and symbolic widths, derived in index notation.

The forward equations of one generic layer l (widths ``n[l]`` symbolic),

    z^l_j = sum_k w^l_{jk} a^{l-1}_k + b^l_j        (Ng's bias unit: k from 0, a^{l-1}_0 = 1)
    a^l_j = f^l(z^l_j)                              (softmax: a^L_i = e^{z_i} / sum_k e^{z_k})
    C = sum_j loss(a^L_j, y_j)

are differentiated by SymPy; the Kronecker deltas it produces are contracted and the results
recognised as matrix operations (:mod:`symbp.derive.indexform`). Nothing below writes a result
down: each matrix equation is what :func:`~symbp.derive.indexform.recognise` made of a
contracted SymPy derivative. Layers use Wikipedia's numbering (input layer 0, ``W^l`` maps
l-1 -> l); the printers shift them for Ng and Nielsen.

>>> der = derive_generic()
>>> print(der.equations["delta_recursion"])
delta^(l - 1) = (W^l)^T delta^l o (f^(l - 1))'
>>> print(der.equations["grad_W"])
grad_W^l C = delta^l (a^(l - 1))^T
>>> print(derive_generic(output="softmax", loss="cross-entropy").equations["delta_L_simplified"])
delta^L = a^L - y
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from symbp.activations import Activation, Elementwise, get_activation
from symbp.derive import indexform as ix
from symbp.derive import matrix as mx
from symbp.derive.indexform import P, Q, a, b, contract, dC, delta, fprime, n, recognise, w, y, z
from symbp.derive.matrix import COL, DEPTH, LAYER, ROW, SUM
from symbp.derive.steps import Rule
from symbp.errors import SpecError
from symbp.losses import Loss, get_loss
from symbp.model import BIAS_STYLES, Network

L = DEPTH


@dataclass(frozen=True)
class GenericStep:
    """One step in index form (SymPy ``lhs = rhs``), the rule, its source and assumptions;
    ``matrix`` is the matrix equation the step's result was recognised as, if any."""

    quantity: str
    lhs: sympy.Expr
    rhs: sympy.Expr
    rule: Rule
    source: str = ""
    assumptions: tuple[str, ...] = ()
    matrix: mx.Equation | None = None

    def __str__(self) -> str:
        why = self.rule.value + (f" [{self.source}]" if self.source else "")
        if self.assumptions:
            why += " assuming " + "; ".join(self.assumptions)
        shown = f"{self.lhs} = {self.rhs}    ({why})"
        return shown + (f"\n    matrix form: {self.matrix}" if self.matrix is not None else "")


@dataclass
class GenericDerivation:
    """The generic derivation as data.

    ``equations`` holds matrix-level results by name (``forward_z``, ``forward_a``,
    ``delta_L``, ``delta_L_loss``, ``delta_recursion``, ``grad_W``, ``grad_b`` (explicit
    biases), ``grad_x``, ``accumulate``/``mean_grad``/``mean_grad_bias`` (with examples));
    ``entries`` the same results entry by entry (``delta_def``, ``delta_L``,
    ``delta_recursion``, ``grad_W``, ``grad_b``, ``accumulate``, ``mean_grad``...).
    """

    hidden: str
    output: str
    loss: str
    bias: str
    examples: bool
    l2: bool
    steps: list[GenericStep] = field(default_factory=list)
    equations: dict[str, mx.Equation] = field(default_factory=dict)
    entries: dict[str, mx.Equation] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    output_simplified: sympy.Expr | None = None
    spec: tuple[Activation, Activation, Loss] | None = field(default=None, repr=False)
    """The hidden and output activations and the loss themselves (custom ones have no name in
    the registries)."""
    shapes: dict[str, tuple[sympy.Expr, sympy.Expr | None]] = field(default_factory=dict)
    """(rows, columns) of each layer quantity as the layers whose widths they are (None: 1);
    with Ng's bias unit, W^l has one column more than the width of layer l-1."""

    def steps_for(self, quantity: str) -> list[GenericStep]:
        return [s for s in self.steps if s.quantity == quantity]

    def naive_deltas(self) -> list[tuple[mx.Node, mx.Chain | None]]:
        """delta^1, delta^2, (vdots), delta^{L-1}, delta^L each written out in full, as
        Wikipedia's "naively computing forwards" list (:func:`symbp.derive.chains.naive_deltas`).
        """
        from symbp.derive.chains import naive_deltas

        return naive_deltas(self)

    def __str__(self) -> str:
        head = (
            f"generic derivation: hidden {self.hidden}, output {self.output}, loss {self.loss}, "
            f"bias {self.bias}" + (", m examples" if self.examples else "")
        )
        head += ", L2" if self.l2 else ""
        lines = [head, ""] + [str(s) for s in self.steps] + ["", "results (matrix form):"]
        lines += [f"  {name}: {eq}" for name, eq in self.equations.items()]
        if self.assumptions:
            lines += ["assumptions:"] + [f"  - {x}" for x in self.assumptions]
        return "\n".join(lines)


C = sympy.Symbol("C")


def _d(num: sympy.Expr, den: sympy.Expr) -> sympy.Derivative:
    return sympy.Derivative(num, den, evaluate=False)


def _z_def(layer: sympy.Expr, j: sympy.Expr, unit: bool) -> sympy.Expr:
    k = COL
    if unit:
        # a^{l-1}_0 = 1 is Ng's bias unit: the k = 0 term is the bias column of Theta
        return sympy.Sum(w[layer, j, k] * a[layer - 1, k], (k, 0, n[layer - 1]))
    return sympy.Sum(w[layer, j, k] * a[layer - 1, k], (k, 1, n[layer - 1])) + b[layer, j]


def _z_source(unit: bool) -> str:
    if unit:
        return "z^l_j = sum_{k=0}^{n_{l-1}} w^l_{jk} a^{l-1}_k, a^{l-1}_0 = 1"
    return "z^l_j = sum_k w^l_{jk} a^{l-1}_k + b^l_j"


def _through_z(der: GenericDerivation, name: str, var: sympy.Expr, free: tuple) -> sympy.Expr:
    """dC/dvar = sum_j delta^l_j dz^l_j/dvar, contracted; records the steps."""
    unit = der.bias == "unit"
    zdef = _z_def(LAYER, ROW, unit)
    chain = sympy.Sum(_d(C, z[LAYER, ROW]) * _d(z[LAYER, ROW], var), (ROW, 1, n[LAYER]))
    src = _z_source(unit)
    der.steps.append(GenericStep(name, _d(C, var), chain, Rule.CHAIN_RULE, src))
    local = contract(sympy.diff(zdef, var), {Q: 0} if unit else {})
    der.steps.append(GenericStep(name, _d(z[LAYER, ROW], var), local, Rule.LOCAL_DERIVATIVE, src))
    summed = sympy.Sum(delta[LAYER, ROW] * local, (ROW, 1, n[LAYER]))
    der.steps.append(
        GenericStep(name, _d(C, var), summed, Rule.SUBSTITUTE, "delta^l_j := dC/dz^l_j")
    )
    return contract(summed)


def _weights(der: GenericDerivation) -> None:
    value = _through_z(der, "grad_W", w[LAYER, P, Q], (P, Q))
    matrix = mx.Equation(mx.Grad(mx.Mat("W", LAYER)), recognise(value, (P, Q)))
    assumption = ("a^{l-1}_0 = 1 (the bias unit)",) if der.bias == "unit" else ()
    der.steps.append(
        GenericStep("grad_W", _d(C, w[LAYER, P, Q]), value, Rule.SIMPLIFY, "", assumption, matrix)
    )
    der.equations["grad_W"] = matrix
    j, k = ROW, COL
    der.entries["grad_W"] = mx.Equation(
        mx.Partial(mx.Cost(), mx.Elem("W", LAYER, (j, k))), ix.entry(value.subs({P: j, Q: k}))
    )
    if der.bias == "explicit":
        value = _through_z(der, "grad_b", b[LAYER, P], (P,))
        matrix = mx.Equation(mx.Grad(mx.Vec("b", LAYER)), recognise(value, (P,)))
        der.steps.append(
            GenericStep("grad_b", _d(C, b[LAYER, P]), value, Rule.SIMPLIFY, "", (), matrix)
        )
        der.equations["grad_b"] = matrix
        der.entries["grad_b"] = mx.Equation(
            mx.Partial(mx.Cost(), mx.Elem("b", LAYER, (j,))), ix.entry(value.subs(P, j))
        )


def _recursion(der: GenericDerivation) -> None:
    """delta^{l-1}_Q = sum_i dC/da^{l-1}_i da^{l-1}_i/dz^{l-1}_Q, with dC/da through z^l."""
    name = "delta_recursion"
    hidden = der.spec[0]
    if not hidden.elementwise:
        raise SpecError(f"hidden activation {der.hidden!r} must be elementwise (softmax is not)")
    lhs = _d(C, z[LAYER - 1, Q])
    chain = sympy.Sum(
        _d(C, a[LAYER - 1, SUM]) * _d(a[LAYER - 1, SUM], z[LAYER - 1, Q]), (SUM, 1, n[LAYER - 1])
    )
    der.steps.append(
        GenericStep(name, lhs, chain, Rule.CHAIN_RULE, "a^{l-1}_i = f^{l-1}(z^{l-1}_i)")
    )
    act_local = contract(sympy.diff(ix.f(LAYER - 1, z[LAYER - 1, SUM]), z[LAYER - 1, Q]))
    der.steps.append(
        GenericStep(
            name, _d(a[LAYER - 1, SUM], z[LAYER - 1, Q]), act_local, Rule.ACTIVATION_DERIVATIVE
        )
    )
    dc_da = _through_z(der, name, a[LAYER - 1, Q], (Q,))
    value = contract(dc_da * fprime(LAYER - 1, z[LAYER - 1, Q]))
    matrix = mx.Equation(mx.Vec("delta", LAYER - 1), recognise(value, (Q,)))
    assumption = ("a^{l-1}_0 = 1 is constant: row 0 of (W^l)^T delta^l is dropped",)
    der.steps.append(
        GenericStep(
            name,
            lhs,
            value,
            Rule.SUBSTITUTE,
            "",
            assumption if der.bias == "unit" else (),
            matrix,
        )
    )
    der.equations[name] = matrix
    der.entries[name] = mx.Equation(
        mx.Elem("delta", LAYER - 1, (ROW,)), ix.entry(value.xreplace({ROW: COL, Q: ROW}))
    )
    _output_form(der, hidden, dc_da)
    der.entries["delta_def"] = mx.Equation(
        mx.Elem("delta", LAYER, (ROW,)), mx.Partial(mx.Cost(), mx.Elem("z", LAYER, (ROW,))), "def"
    )
    der.equations["delta_def"] = mx.Equation(
        mx.Vec("delta", LAYER), mx.Partial(mx.Cost(), mx.Vec("z", LAYER)), "def"
    )


def _output_form(der: GenericDerivation, hidden, dc_da: sympy.Expr) -> None:
    """Where f'(z) has a form in a = f(z) (sigmoid: a(1 - a)), the recursion written with it."""
    form = hidden.fprime_in_output(a[LAYER - 1, Q]) if isinstance(hidden, Elementwise) else None
    if form is None or hidden.name == "identity":
        return
    try:
        fprime_eq = mx.Equation(mx.FPrime(LAYER - 1), recognise(form, (Q,)))
    except ix.NotRecognised:
        return
    der.steps.append(
        GenericStep(
            "fprime_output_form",
            fprime(LAYER - 1, z[LAYER - 1, Q]),
            form,
            Rule.OUTPUT_FORM,
            f"a = {hidden.name}(z)",
            (),
            fprime_eq,
        )
    )
    der.equations["fprime_output_form"] = fprime_eq
    value = dc_da * form
    matrix = mx.Equation(mx.Vec("delta", LAYER - 1), recognise(value, (Q,)))
    der.steps.append(
        GenericStep(
            "delta_recursion_output_form",
            _d(C, z[LAYER - 1, Q]),
            value,
            Rule.OUTPUT_FORM,
            "",
            (),
            matrix,
        )
    )
    der.equations["delta_recursion_output_form"] = matrix


def _input_gradient(der: GenericDerivation) -> None:
    """dC/dx_Q through z^1 (a^0 = x)."""
    zdef = _z_def(1, ROW, der.bias == "unit")
    local = contract(sympy.diff(zdef, a[0, Q]))
    value = contract(sympy.Sum(delta[1, ROW] * local, (ROW, 1, n[1])))
    matrix = mx.Equation(mx.Grad(mx.Vec("x")), recognise(value, (Q,)))
    der.steps.append(
        GenericStep("grad_x", _d(C, a[0, Q]), value, Rule.CHAIN_RULE, "a^0 = x", (), matrix)
    )
    der.equations["grad_x"] = matrix


def _plain(expr: sympy.Expr) -> tuple[sympy.Expr, dict[sympy.Symbol, sympy.Expr]]:
    """Indexed entries -> plain symbols, so that simplify works on them (and back)."""
    indexed = sorted(expr.atoms(sympy.Indexed), key=sympy.default_sort_key)
    plain = {x: sympy.Symbol(f"s{i}", real=True) for i, x in enumerate(indexed)}
    return expr.xreplace(plain), {v: k for k, v in plain.items()}


def _shortest(expr: sympy.Expr) -> sympy.Expr:
    flat, back = _plain(expr)
    candidates = [flat, sympy.cancel(flat), sympy.factor(flat), sympy.simplify(flat)]
    best = min(candidates, key=lambda e: (sympy.count_ops(e), sympy.default_sort_key(e)))
    return best.xreplace(back)


def _output(der: GenericDerivation) -> None:
    """delta^L_Q = sum_i dC/da^L_i da^L_i/dz^L_Q, first with the loss left abstract."""
    name = "delta_L"
    act = der.spec[1]
    lhs = _d(C, z[L, Q])
    chain = sympy.Sum(_d(C, a[L, SUM]) * _d(a[L, SUM], z[L, Q]), (SUM, 1, n[L]))
    der.steps.append(GenericStep(name, lhs, chain, Rule.CHAIN_RULE, "a^L = f^L(z^L)"))
    if act.elementwise:
        local = contract(sympy.diff(ix.f(L, z[L, SUM]), z[L, Q]))
        source = "a^L_i = f^L(z^L_i)"
    else:
        softmax = sympy.exp(z[L, SUM]) / sympy.Sum(sympy.exp(z[L, COL]), (COL, 1, n[L]))
        raw = contract(sympy.diff(softmax, z[L, Q]))
        local = sympy.factor(raw.subs(sympy.exp(z[L, SUM]), a[L, SUM] * softmax.args[0] ** -1))
        local = local.subs(sympy.exp(z[L, Q]), a[L, Q] / softmax.args[0] ** -1)
        source = "a^L_i = e^{z^L_i} / sum_k e^{z^L_k}"
        der.steps.append(
            GenericStep(name, _d(a[L, SUM], z[L, Q]), local, Rule.LOCAL_DERIVATIVE, source)
        )
        local = ix.J[L, SUM, Q]
    der.steps.append(
        GenericStep(name, _d(a[L, SUM], z[L, Q]), local, Rule.ACTIVATION_DERIVATIVE, source)
    )
    value = contract(sympy.Sum(dC[L, SUM] * local, (SUM, 1, n[L])))
    matrix = mx.Equation(mx.Vec("delta", L), recognise(value, (Q,)))
    der.steps.append(GenericStep(name, lhs, value, Rule.SUBSTITUTE, "", (), matrix))
    der.equations[name] = matrix
    der.entries[name] = mx.Equation(mx.Elem("delta", L, (ROW,)), ix.entry(value.subs(Q, ROW)))
    _output_with_loss(der, act)


def _output_with_loss(der: GenericDerivation, act) -> None:
    """The same with the loss (and the activation's output form) put in, then simplified."""
    name = "delta_L_loss"
    loss = der.spec[2]
    stated = sympy.Sum(loss.term(a[L, SUM], y[SUM]), (SUM, 1, n[L]))
    try:
        der.entries["loss"] = mx.Equation(mx.Cost(), ix.entry(stated))
        der.equations["loss"] = mx.Equation(mx.Cost(), ix.recognise_total(stated))
    except ix.NotRecognised:
        pass  # a custom loss may have no entry or vector form; its derivative still follows
    cost = sympy.Sum(loss.term(a[L, COL], y[COL]), (COL, 1, n[L]))
    grad = contract(sympy.diff(cost, a[L, SUM]))
    der.steps.append(
        GenericStep(name, dC[L, SUM], grad, Rule.LOCAL_DERIVATIVE, f"C = {loss.name}(a^L, y)")
    )
    if act.elementwise:
        with_loss = grad.subs(SUM, Q) * fprime(L, z[L, Q])
        der.steps.append(GenericStep(name, _d(C, z[L, Q]), with_loss, Rule.SUBSTITUTE))
        try:
            der.equations[name] = mx.Equation(mx.Vec("delta", L), recognise(with_loss, (Q,)))
            der.entries[name] = mx.Equation(
                mx.Elem("delta", L, (ROW,)), ix.entry(with_loss.xreplace({Q: ROW}))
            )
        except ix.NotRecognised:
            pass
        form = act.fprime_in_output(a[L, Q]) if isinstance(act, Elementwise) else None
        if form is None:
            form = fprime(L, z[L, Q])
        raw = grad.subs(SUM, Q) * form
        rule = Rule.OUTPUT_FORM
    else:
        jac = a[L, SUM] * (sympy.KroneckerDelta(SUM, Q) - a[L, Q])
        raw = contract(sympy.Sum(sympy.expand(grad * jac), (SUM, 1, n[L])))
        rule = Rule.LOCAL_DERIVATIVE
    der.steps.append(GenericStep(name, _d(C, z[L, Q]), raw, rule))
    value = _shortest(raw)
    if value != raw:
        der.steps.append(GenericStep(name, _d(C, z[L, Q]), value, Rule.SIMPLIFY))
    for assumption in loss.assumptions:
        total = sympy.Sum(y[SUM], (SUM, 1, n[L]))
        used = _shortest(sympy.expand(value).xreplace({total: assumption.total}))
        if sympy.count_ops(used) < sympy.count_ops(value):
            value = used
            der.assumptions.append(assumption.name)
            der.steps.append(
                GenericStep(name, _d(C, z[L, Q]), value, Rule.ASSUMPTION, "", (assumption.name,))
            )
    der.output_simplified = value
    try:
        matrix = mx.Equation(mx.Vec("delta", L), recognise(value, (Q,)))
    except ix.NotRecognised:
        return
    der.equations["delta_L_simplified"] = matrix
    der.steps[-1] = GenericStep(**{**der.steps[-1].__dict__, "matrix": matrix})


def _mean_and_l2(der: GenericDerivation) -> None:
    """J = 1/m sum_t C^(t) + lambda/(2m) sum_{j,k>=1} (w^l_{jk})^2: the accumulator and D^l."""
    m, lam = sympy.Symbol("m", positive=True), sympy.Symbol("lambda", nonnegative=True)
    k_lo = 1
    reg = 0
    if der.l2:
        local = sympy.diff(w[LAYER, ROW, COL] ** 2, w[LAYER, P, Q])
        square = sympy.Sum(sympy.Sum(local, (ROW, 1, n[LAYER])), (COL, k_lo, n[LAYER - 1]))
        reg = contract(lam / (2 * m) * square, {Q: 0} if der.bias == "unit" else {})
        der.steps.append(
            GenericStep(
                "mean_grad",
                _d(sympy.Symbol("R"), w[LAYER, P, Q]),
                reg,
                Rule.L2,
                "R = lambda/(2m) sum_{j, k>=1} (w^l_{jk})^2",
            )
        )
    Delta, D = mx.Mat("Delta", LAYER), mx.Mat("D", LAYER)
    per_example = der.equations["grad_W"].rhs
    der.equations["accumulate"] = mx.Equation(Delta, mx.Add(Delta, per_example), "assign")
    entry = der.entries["grad_W"].rhs
    Delta_jk = mx.Elem("Delta", LAYER, (ROW, COL))
    der.entries["accumulate"] = mx.Equation(Delta_jk, mx.Add(Delta_jk, entry), "assign")
    D_jk = mx.Elem("D", LAYER, (ROW, COL))
    inv_m = 1 / m
    if der.l2:
        # the L2 derivative, recognised: lambda/m w^l_{PQ}, only where the condition holds
        value, condition = reg, True
        for piecewise in reg.atoms(sympy.Piecewise):
            (inner, condition), *_ = piecewise.args
            value = reg.xreplace({piecewise: inner})
        coefficient = sympy.simplify(value / w[LAYER, P, Q] * m)
        term = mx.Product(mx.Scalar(str(coefficient)), mx.Elem("W", LAYER, (ROW, COL)))
        der.entries["mean_grad"] = mx.Equation(
            D_jk, mx.Scaled(inv_m, mx.Add(Delta_jk, term)), "assign"
        )
        regular = mx.Product(mx.Scalar(str(coefficient)), mx.Mat("W", LAYER))
        der.equations["mean_grad"] = mx.Equation(
            D, mx.Scaled(inv_m, mx.Add(Delta, regular)), "assign"
        )
        if condition is not True:
            der.assumptions.append("column 0 of Theta (the bias) is not regularised")
            der.entries["mean_grad_bias"] = mx.Equation(D_jk, mx.Scaled(inv_m, Delta_jk), "assign")
    else:
        der.entries["mean_grad"] = mx.Equation(D_jk, mx.Scaled(inv_m, Delta_jk), "assign")
        der.equations["mean_grad"] = mx.Equation(D, mx.Scaled(inv_m, Delta), "assign")
    der.entries["grad_J"] = mx.Equation(
        mx.Partial(mx.Cost(mean=True), mx.Elem("W", LAYER, (ROW, COL))), D_jk
    )


def derive_generic(
    hidden: str | Activation = "sigmoid",
    output: str | Activation = "sigmoid",
    loss: str | Loss = "mse",
    bias: str = "explicit",
    examples: bool = False,
    l2: bool = False,
) -> GenericDerivation:
    """Derive backpropagation for any depth L and symbolic widths.

    >>> der = derive_generic(output="sigmoid", loss="bce", bias="unit", examples=True, l2=True)
    >>> print(der.equations["delta_L_simplified"])
    delta^L = a^L - y
    >>> print(der.equations["mean_grad"])
    D^l := 1/m (Delta^l + lambda W^l)
    """
    if bias not in BIAS_STYLES:
        raise SpecError(f"unknown bias style {bias!r}; known: {', '.join(BIAS_STYLES)}")
    spec = (get_activation(hidden), get_activation(output), get_loss(loss))
    spec[2].check_fits(spec[1])
    der = GenericDerivation(
        spec[0].name, spec[1].name, spec[2].name, bias, bool(examples), bool(l2), spec=spec
    )
    fa = mx.Apply(mx.Fn("f", LAYER), (mx.Vec("z", LAYER),))
    wa = mx.MatMul(mx.Mat("W", LAYER), mx.Vec("a", LAYER - 1))
    der.equations["forward_z"] = mx.Equation(
        mx.Vec("z", LAYER), wa if bias == "unit" else mx.Add(wa, mx.Vec("b", LAYER))
    )
    der.equations["forward_a"] = mx.Equation(mx.Vec("a", LAYER), fa)
    W = mx.Mat("W", LAYER)
    step = mx.Product(mx.Scalar("eta"), mx.Grad(W))
    der.equations["update_W"] = mx.Equation(W, mx.Add(W, mx.Neg(step)), "assign")
    der.shapes = {
        "W": (LAYER, LAYER - 1),
        "delta": (LAYER, None),
        "a": (LAYER, None),
        "z": (LAYER, None),
    }
    _output(der)
    _recursion(der)
    _weights(der)
    _input_gradient(der)
    if examples or l2:
        _mean_and_l2(der)
    return der


def derive_generic_for(net: Network) -> GenericDerivation:
    """The generic derivation with a concrete network's options (its depth left symbolic).

    The hidden activation is that of layer 1 (the generic f^l is abstract; the hidden
    activation only decides the output form f'(z) = g(a) of the recursion).

    >>> from symbp.model import network
    >>> net = network([2, 2, 1], "tanh", "sigmoid", "bce", bias="unit", examples=4, l2=1)
    >>> der = derive_generic_for(net)
    >>> der.hidden, der.bias, der.examples, der.l2
    ('tanh', 'unit', True, True)
    """
    return derive_generic(
        net.activation(1),
        net.activation(net.L),
        net.loss,
        net.bias,
        examples=net.examples > 1,
        l2=bool(net.l2),
    )
