"""The writeup of a ``batchnorm`` or ``layernorm`` layer in a ``--net`` writeup: its forward
equations in index form and the staged backward pass derived by
:mod:`symbp.derive.norm_steps` (dC/dx_hat, dC/dsigma, dC/dvar, dC/dmu, then dC/dx along its
three paths and the algebra to the compact form; dC/dgamma, dC/dbeta), each step with its rule,
the identity a rewrite used, and how it was proved.

>>> from symbp.model import layered_network
>>> net = layered_network("3", "dense(3,relu) batchnorm dense(2,softmax)", "cce")
>>> blocks = norm_blocks(net, 2, "wikipedia")
>>> "function of the whole batch" in blocks[0].text
True
"""

from __future__ import annotations

import sympy
from sympy.printing.latex import LatexPrinter

from symbp.derive import norm_steps as ns
from symbp.latex.layer_printer import LayerPrinter
from symbp.latex.writeup_blocks import Math, Text
from symbp.latex.writeup_blocks import array_form as blocks_array_form
from symbp.model import LayeredNetwork

KINDS = frozenset(ns.SIZES)
"""The layer kinds written here."""

_TITLES = {
    "x_hat": "The gradient of the normalised input $\\hat{x}$",
    "sigma": "The gradient of $\\sigma$",
    "var": "The gradient of the variance $\\sigma^{2}$",
    "mu": "The gradient of the mean $\\mu$",
    "x": "The gradient passed to the layer below, along its three paths",
    "gamma": "The gradient of the scale $\\gamma$",
    "beta": "The gradient of the shift $\\beta$",
}


class NormPrinter(LatexPrinter):
    """The norm layer's quantities: x_i, \\hat{x}_i, y_i, \\mu, \\sigma^2 (the variance),
    \\sigma, \\gamma, \\beta; Grad(u) as dC/du with the notation's cost letter."""

    def __init__(self, cost: str) -> None:
        self.cost = cost
        names = {ns.mu: "\\mu", ns.var: "\\sigma^{2}", ns.sigma: "\\sigma", ns.eps: "\\epsilon"}
        super().__init__({"symbol_names": names, "mul_symbol": None})

    def _print_Grad(self, expr: ns.Grad) -> str:
        return f"\\frac{{\\partial {self.cost}}}{{\\partial {self._print(expr.args[0])}}}"

    def _print_Partial(self, expr: ns.Partial) -> str:
        top, bottom = (self._print(a) for a in expr.args)
        return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"

    def _print_Indexed(self, expr: sympy.Indexed) -> str:
        base = {"x_hat": "\\hat{x}", "gamma": "\\gamma", "beta": "\\beta"}.get(
            str(expr.base), str(expr.base)
        )
        return f"{base}_{{{self._print(expr.indices[0])}}}"

    def _print_KroneckerDelta(self, expr, exp=None) -> str:
        return f"[{self._print(expr.args[0])} = {self._print(expr.args[1])}]"

    def _print_Pow(self, expr: sympy.Pow) -> str:
        """The variance's powers in brackets: (\\sigma^{2})^{3}, never a double superscript.
        A power of sigma = sqrt(var + eps) is written with its definition, (\\epsilon +
        \\sigma^{2})^{k/2} (sigma^2 would read as the variance, which differs from it by eps).

        >>> print(NormPrinter("C").doprint(ns.sigma**-3))
        \\frac{1}{\\left(\\epsilon + \\sigma^{2}\\right)^{\\frac{3}{2}}}
        >>> print(NormPrinter("C").doprint(2 * ns.sigma**2))
        2 \\left(\\epsilon + \\sigma^{2}\\right)
        """
        if expr.base == ns.var and expr.exp.is_Integer and expr.exp > 0:
            return f"\\left(\\sigma^{{2}}\\right)^{{{self._print(expr.exp)}}}"
        if expr.base == ns.sigma and expr.exp.is_Integer and abs(expr.exp) > 1:
            half = expr.exp / 2
            if half == 1:  # bracketed: it stands in products and denominators
                return f"\\left({self._print(ns.eps + ns.var)}\\right)"
            return self._print(sympy.Pow(ns.eps + ns.var, half))
        return super()._print_Pow(expr)

    def _print_Add(self, expr: sympy.Add, order=None) -> str:
        """Positive terms first: x_{i} - \\mu rather than - \\mu + x_{i}."""
        printed = [
            "- " + self.parenthesize(-t, 40, strict=False)
            if t.could_extract_minus_sign()
            else self.parenthesize(t, 40, strict=False)
            for t in expr.args
        ]
        printed.sort(key=lambda t: t.startswith("- "))
        out = printed[0]
        for term in printed[1:]:
            out += f" - {term[2:]}" if term.startswith("- ") else f" + {term}"
        return out

    def _print_Sum(self, expr: sympy.Sum) -> str:
        """A sum of negated terms as the negated sum."""
        if expr.function.could_extract_minus_sign():
            return "- " + self._print(sympy.Sum(-expr.function, *expr.limits))
        return super()._print_Sum(expr)

    def _print_Mul(self, expr: sympy.Mul) -> str:
        """A fraction of plain factors before the gradients, sums and brackets it multiplies:
        \\frac{\\gamma}{m \\sigma} (...), the compact form's shape."""
        if expr.could_extract_minus_sign():
            return "- " + self._print(-expr)
        num, den = expr.as_numer_denom()
        factors = sympy.Mul.make_args(num)
        moved = [f for f in factors if isinstance(f, (ns.Grad, ns.Partial, sympy.Sum, sympy.Add))]
        if den == 1:
            return " ".join(self._factor(f) for f in sorted(factors, key=_rank))
        if not moved:
            return super()._print_Mul(expr)
        kept = sympy.Mul(*[f for f in factors if f not in moved])
        out = [f"\\frac{{{self._print(kept)}}}{{{self._print(den)}}}"]
        return " ".join(out + [self._factor(f) for f in sorted(moved, key=_rank)])

    def _factor(self, f: sympy.Expr) -> str:
        return f"\\left({self._print(f)}\\right)" if isinstance(f, sympy.Add) else self._print(f)


def _rank(factor: sympy.Expr) -> float:
    """A textbook's order of factors: numbers, the layer's scalars and gamma, brackets, the
    gradients, the local derivatives, then the entries they weight (x_hat_j, [i = j])."""
    if factor.is_number:
        return 0
    base = factor.base if isinstance(factor, (sympy.Indexed, sympy.Pow)) else factor
    if isinstance(base, sympy.IndexedBase):
        base = base.label
    if isinstance(factor, sympy.Add):
        return 2
    if isinstance(factor, ns.Grad):
        return 3
    if isinstance(factor, ns.Partial):
        return 4
    if isinstance(factor, sympy.Sum):
        return 6
    if str(base) in ("m", "n"):  # the size first: m sigma, n mu
        return 0.5
    return 1 if str(base) in ("gamma", "beta", "mu", "sigma", "var") else 5


def is_norm(layer) -> bool:
    return layer.kind in KINDS


def _setting(net: LayeredNetwork, position: int, notation: str, form: ns.NormForm) -> Text:
    """What the loss is a function of, and which entries x_i and y_i are in the notation."""
    outer = LayerPrinter(position, notation)
    cost = outer.cost
    k = sympy.Symbol("k", integer=True)
    if form.kind == "batchnorm":
        x_in, y_out = outer.entry("x", [k]), outer.entry("a", [k])
        return Text(
            f"The loss is here a function of the whole batch: batch norm normalises every "
            f"feature with the mean and the variance of the $m$ examples of the batch, so every "
            f"example's output depends on every example's input, and ${cost}$ below is the loss "
            f"of the whole batch (the sum of its $m$ examples' losses), not of one example. The "
            f"derivation is therefore over the $m$ examples. Every feature $k$ is normalised on "
            f"its own (its own $\\mu$, $\\sigma^{{2}}$, $\\gamma$ and $\\beta$), so $k$ is "
            f"dropped: $x_{{i}}$ is the entry ${x_in}$ of example $i$ (the layer's input), "
            f"$y_{{i}}$ the entry ${y_out}$ of example $i$ (its output) and "
            f"$\\frac{{\\partial {cost}}}{{\\partial y_{{i}}}}$ the gradient that reaches it "
            f"from the layers above; $i$, $j$, $k$ run over the examples $0, \\ldots, m - 1$."
        )
    i = sympy.Symbol("i", integer=True)
    x_in, y_out = outer.entry("x", [i]), outer.entry("a", [i])
    return Text(
        f"Layer norm normalises each example (each position of a sequence) over its own $n$ "
        f"features, with their mean and variance: the loss of one example is a function of "
        f"all its features at once, each through $\\mu$ and $\\sigma^{{2}}$. The derivation is "
        f"over the $n$ features of one example: $x_{{i}}$ is ${x_in}$ (the layer's input), "
        f"$y_{{i}}$ is ${y_out}$ (its output), $i$, $j$, $k$ run over the features "
        f"$0, \\ldots, n - 1$, and $\\gamma_{{i}}$, $\\beta_{{i}}$ are one per feature. Over "
        f"a batch the gradients of $\\gamma$ and $\\beta$ are summed over the examples, as "
        f"every parameter's are."
    )


def _forward(form: ns.NormForm, printer: NormPrinter) -> list:
    rows = [
        (printer.doprint(lhs), "= " + printer.doprint(rhs), "") for lhs, rhs in form.definitions
    ]
    size = "m" if form.kind == "batchnorm" else "n"
    return [
        Text("Forward (the variance is the biased one, $\\epsilon = 10^{-5}$, as in PyTorch):"),
        Math(rows),
        Text(
            "These are the layer's own forward equations in index form, proved equal to its "
            f"equations over arrays on {form.forward_verified_by}. The mean and the variance "
            f"read every $x_{{k}}$, so the loss reaches $x_{{i}}$ along three paths: through "
            "$\\hat{x}_{i}$ itself, through $\\mu$ and through $\\sigma^{2}$. Each gradient "
            "below is the chain rule over the quantities that read its variable "
            f"(${printer.cost}$ reaches $\\sigma^{{2}}$ only through $\\sigma$, and $\\mu$ "
            "through $\\sigma^{2}$ and every $\\hat{x}_{j}$); the later ones substitute the "
            f"earlier. Sums run over $0, \\ldots, {size} - 1$."
        ),
    ]


def _reason(step: ns.NormStep, printer: NormPrinter) -> str:
    if step.uses is None:
        return step.rule
    left, right = (printer.doprint(e) for e in step.uses)
    return f"{step.rule}: ${left} = {right}$"


def _quantity(form: ns.NormForm, quantity: str, printer: NormPrinter) -> list:
    steps = form.steps_for(quantity)
    rows = [
        (
            printer.doprint(s.lhs) if n == 0 else "",
            "= " + printer.doprint(s.rhs),
            _reason(s, printer),
        )
        for n, s in enumerate(steps)
    ]
    proofs = "; ".join(sorted({s.verified_by for s in steps}))
    blocks = [
        Text(f"{_TITLES[quantity]}:"),
        Math(rows),
        Text(f"Each step (and each identity it used) proved {proofs}."),
    ]
    if quantity == "mu":
        blocks.append(Text("The path through the variance adds nothing: by the mean's "
                           "definition, $\\sum_{k} (x_{k} - \\mu) = 0$."))  # fmt: skip
    if quantity == "x":
        blocks.append(_compact_note(form, printer))
    return blocks


def _compact_note(form: ns.NormForm, printer: NormPrinter) -> Text:
    size = printer.doprint(form.size)
    if form.kind == "batchnorm":
        return Text(
            "The last line is the compact form of batch norm's input gradient: $\\gamma / "
            f"({size} \\sigma)$ times {size} times the example's own gradient, less the batch's "
            "sum of the gradients and less $\\hat{x}_{i}$ times their sum weighted by "
            "$\\hat{x}_{j}$. It came out of SymPy's `together` and `factor_terms` of the "
            "three-path sum; nothing of it is typed in."
        )
    dy = printer.doprint(ns.Grad(ns.y[sympy.Symbol("j", integer=True)]))
    return Text(
        "The last line is the compact form of layer norm's input gradient, per example over "
        f"its $n$ features, with $\\gamma_{{j}} {dy}$ in the place of batch norm's "
        f"$\\gamma {dy}$ ($\\gamma$ is one per feature). It came out of SymPy's `together` "
        "and `factor_terms` of the three-path sum; nothing of it is typed in."
    )


_ARRAY_NAMES = {"x": "dx", "gamma": "dgamma{p}", "beta": "dbeta{p}"}
"""The recogniser's name (:mod:`symbp.derive.recognise`) of each gradient printed."""


def array_form(array_steps: list, position: int, quantity: str) -> list:
    """The array operation the recogniser proved this gradient to be over a batch (what
    compile prints), with its own description and the number of entries proved."""
    name = _ARRAY_NAMES.get(quantity, "").format(p=position)
    return blocks_array_form(array_steps, position, name)


def norm_blocks(net: LayeredNetwork, position: int, notation: str, array_steps=()) -> list:
    """The blocks of layer ``position`` (a batchnorm or layernorm) after its heading;
    ``array_steps``: the recogniser's, to name each gradient's array form."""
    layer = net.layers[position - 1]
    form = ns.norm_form(layer.kind)
    printer = NormPrinter(LayerPrinter(position, notation).cost)
    blocks = [_setting(net, position, notation, form), *_forward(form, printer)]
    for quantity in ("x_hat", "sigma", "var", "mu", "x", "gamma", "beta"):
        if quantity == "x" and position == 1:
            continue  # nothing below the first layer
        blocks += _quantity(form, quantity, printer)
        blocks += array_form(list(array_steps), position, quantity)
    return blocks


__all__ = ["KINDS", "NormPrinter", "array_form", "is_norm", "norm_blocks"]
