"""The staged backward pass of ``batchnorm`` and ``layernorm`` in index form, derived by SymPy
with a symbolic size (m examples of a batch, or n features of one example), every step proved
on concrete sizes (:mod:`symbp.derive.norm_proof`): what their writeups print.

A norm layer defines quantities that read other quantities (its own staged definitions,
``index_stages`` in :mod:`symbp.layers.norm`): for one feature of a batch of m (batch norm) or
one example's n features (layer norm), with i, j, k = 0 .. m-1,

    mu = (1/m) sum_k x_k,   var = (1/m) sum_k (x_k - mu)^2,   sigma = sqrt(var + eps),
    x_hat_i = (x_i - mu) / sigma,   y_i = gamma x_hat_i + beta

(layer norm: gamma_i and beta_i, one per feature). The mean and the variance read *every*
x_k, so the loss reaches x_i along three paths: through x_hat_i itself, through mu and through
var. The derivation is the chain rule over that graph, dC/du = sum over the quantities c that
read u of dC/dc dc/du (:class:`Grad` and :class:`Partial` are those unevaluated factors), then:

1. ``differentiate``: every dc/du by ``sympy.diff`` of c's index-form definition (Kronecker
   deltas appear where an entry reads an entry);
2. ``sum out the Kronecker deltas``: ``Sum.doit``, range conditions that hold for every i dropped;
3. ``substitute``: the gradients derived before (dC/dx_hat, then dC/dsigma, dC/dvar, dC/dmu);
4. rewrites that are the definitions themselves: sum_k x_k = m mu (the mean's definition),
   sqrt(var + eps) = sigma, x_k = mu + sigma x_hat_k (x_hat's definition solved for x_k by
   ``sympy.solve``), and sums split over their terms with the factors free of the summation
   index taken out;
5. ``collect``: ``sympy.together`` then ``sympy.factor_terms`` of the three-path sum, which
   prints the compact form dx_i = (gamma / (m sigma)) (m dy_i - sum_j dy_j - x_hat_i sum_j dy_j
   x_hat_j).

Nothing of a result is typed in: the definitions are the layer's own index-form forward equations
(``BatchNorm.index_stages`` and ``LayerNorm.index_stages`` in :mod:`symbp.layers.norm`, proved
equal to the layer's concrete ``equations`` on m = 2, 3, 4), the rest is SymPy's.

>>> form = norm_form("batchnorm")
>>> [s.rule for s in form.steps_for("x")][:3]
['chain rule', 'differentiate the definitions', 'sum out the Kronecker deltas']
>>> print(str(form.compact("x")).replace("Grad(y[j])", "dy[j]").replace(", (j, 0, m - 1)", ""))
gamma*(m*Grad(y[i]) - x_hat[i]*Sum(dy[j]*x_hat[j]) - Sum(dy[j]))/(m*sigma)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy

from symbp.derive.layer_index import _true_on_box
from symbp.layers.index import IndexStages
from symbp.layers.norm import SIZES, BatchNorm, LayerNorm, eps, i, k, mu, sigma, var, x, x_hat, y

j = sympy.Symbol("j", integer=True)  # the entries of an array a chain rule sums over
LAYERS = {"batchnorm": BatchNorm(), "layernorm": LayerNorm()}
"""The norm kinds whose staged definitions (``index_stages``) this module differentiates."""


class Grad(sympy.Function):
    """dC/du for the quantity u (an entry or a scalar), kept unevaluated."""

    nargs = 1


class Partial(sympy.Function):
    """du/dv, one quantity's local derivative by another (others held), kept unevaluated."""

    nargs = 2


@dataclass(frozen=True)
class NormStep:
    """``lhs = rhs`` because of ``rule``, for every i in range (``verified_by``: its proof)."""

    quantity: str
    lhs: sympy.Expr
    rhs: sympy.Expr
    rule: str
    verified_by: str = ""
    uses: tuple[sympy.Expr, sympy.Expr] | None = None
    """The identity a rewrite used (left = right, a definition solved by SymPy), or None."""


@dataclass
class NormForm:
    """One norm kind's definitions and its derived backward steps (sizes symbolic)."""

    kind: str
    size: sympy.Symbol
    gamma: sympy.Expr
    beta: sympy.Expr
    definitions: list[tuple[sympy.Expr, sympy.Expr]]
    steps: list[NormStep] = field(default_factory=list)
    forward_verified_by: str = ""

    def steps_for(self, quantity: str) -> list[NormStep]:
        return [s for s in self.steps if s.quantity == quantity]

    def compact(self, quantity: str) -> sympy.Expr:
        """The last step's right side: the derived form of dC/d(quantity)."""
        return self.steps_for(quantity)[-1].rhs

    def definition(self, u: sympy.Expr) -> sympy.Expr:
        """u's index-form definition (an entry x_hat[i] or y[i] at its index)."""
        for left, right in self.definitions:
            if left == u:
                return right
            if isinstance(u, sympy.Indexed) and isinstance(left, sympy.Indexed):
                if left.base == u.base:
                    return right.subs(i, u.indices[0])
        raise KeyError(u)


def form_of(kind: str, stages: IndexStages) -> NormForm:
    """A form (no steps yet) over a layer's staged definitions (``LayerKind.index_stages``)."""
    gamma, beta = stages.parameters
    return NormForm(kind, stages.size, gamma, beta, list(stages.definitions))


def _reads(expr: sympy.Expr, u: sympy.Expr) -> bool:
    """Whether a definition reads the quantity u (an array reads any of its entries)."""
    if isinstance(u, sympy.Indexed):
        return any(e.base == u.base for e in expr.atoms(sympy.Indexed))
    return expr.has(u)


def chain_rule(form: NormForm, u: sympy.Expr) -> sympy.Expr:
    """dC/du = sum over every quantity c reading u of dC/dc dc/du (an array c: each entry j)."""
    m, terms = form.size, []
    for c, value in form.definitions:
        if not _reads(value, u):
            continue
        if isinstance(c, sympy.Indexed):
            entry = c.base[j]
            terms.append(sympy.Sum(Grad(entry) * Partial(entry, u), (j, 0, m - 1)))
        else:
            terms.append(Grad(c) * Partial(c, u))
    return sympy.Add(*terms)


def differentiate(form: NormForm, expr: sympy.Expr) -> sympy.Expr:
    """Every Partial(c, u) by ``sympy.diff`` of c's definition."""
    return expr.replace(
        lambda e: isinstance(e, Partial),
        lambda e: sympy.diff(form.definition(e.args[0]), e.args[1]),
    )


def sum_out(form: NormForm, expr: sympy.Expr) -> sympy.Expr:
    """``Sum.doit`` (the Kronecker deltas), dropping conditions true for every i in range."""
    box = {i: (0, form.size - 1)}

    def fix(pw: sympy.Piecewise) -> sympy.Expr:
        (value, cond), *rest = pw.args
        parts = cond.args if isinstance(cond, sympy.And) else (cond,)
        if all(_true_on_box(p, box) for p in parts) and rest and rest[0] == (0, True):
            return value
        return pw

    done = expr.doit()
    return done.replace(lambda e: isinstance(e, sympy.Piecewise), fix)


def split_sums(expr: sympy.Expr) -> sympy.Expr:
    """Each Sum split over the terms of its expanded body, factors free of its index taken out
    (a term free of it is (number of terms) times itself)."""

    def one(total: sympy.Sum) -> sympy.Expr:
        ((s, low, high),) = total.limits
        out = []
        for term in sympy.Add.make_args(sympy.expand(total.function)):
            inside = [f for f in sympy.Mul.make_args(term) if f.has(s)]
            outside = [f for f in sympy.Mul.make_args(term) if not f.has(s)]
            body = sympy.Sum(sympy.Mul(*inside), (s, low, high)) if inside else high - low + 1
            out.append(sympy.Mul(*outside) * body)
        return sympy.Add(*out)

    return expr.replace(lambda e: isinstance(e, sympy.Sum), one)


def substitute(form: NormForm, expr: sympy.Expr, known: dict[str, sympy.Expr]) -> sympy.Expr:
    """Every Grad(u) of a quantity derived before replaced by its derived form (an entry's at
    its own index, the form's sums renamed off that index)."""

    def value(g: Grad) -> sympy.Expr:
        u = g.args[0]
        name = str(u.base) if isinstance(u, sympy.Indexed) else str(u)
        if name not in known:
            return g
        if isinstance(u, sympy.Indexed):
            return known[name].subs(i, u.indices[0])
        return known[name]

    return expr.replace(lambda e: isinstance(e, Grad), value)


def identity(form: NormForm, name: str) -> tuple[sympy.Expr, sympy.Expr]:
    """A definition read as a rewrite rule ``left -> right``, solved by SymPy:
    ``mean``: sum_k x_k = m mu; ``sigma``: sqrt(var + eps) = sigma; ``x_hat``: x_i = mu +
    sigma x_hat_i."""
    if name == "mean":
        total = sympy.Sum(x[k], (k, 0, form.size - 1))
        (solved,) = sympy.solve(sympy.Eq(mu, form.definition(mu)), total)
        return total, solved
    if name == "sigma":
        return form.definition(sigma), sigma
    (solved,) = sympy.solve(sympy.Eq(x_hat[i], form.definition(x_hat[i])), x[i])
    return x[i], solved


def mean_definition(form: NormForm, expr: sympy.Expr) -> sympy.Expr:
    """Where a sum holds sum_k x_k once split, it replaced by m mu (the mean's definition)."""
    total, solved = identity(form, "mean")
    split = split_sums(expr)
    return split.xreplace({total: solved}) if split.has(total) else expr


def sigma_definition(form: NormForm, expr: sympy.Expr) -> sympy.Expr:
    """(var + eps)^e = sigma^(2e): sigma's definition raised to the power (sigma > 0)."""
    root, _ = identity(form, "sigma")
    return expr.replace(
        lambda e: isinstance(e, sympy.Pow) and e.base == root.base,
        lambda e: sigma ** (e.exp / root.exp),
    )


def x_hat_definition(form: NormForm, expr: sympy.Expr) -> sympy.Expr:
    """Every x_k written as mu + sigma x_hat_k: x_hat's definition solved for x."""
    _, solved = identity(form, "x_hat")
    return expr.replace(
        lambda e: isinstance(e, sympy.Indexed) and e.base == x,
        lambda e: solved.subs(i, e.indices[0]),
    )


def collect(expr: sympy.Expr) -> sympy.Expr:
    """One fraction (``sympy.together``), its common factors taken out (``factor_terms``)."""
    return sympy.factor_terms(sympy.together(expr))


ORDER = ("x_hat", "sigma", "var", "mu", "x", "gamma", "beta")
"""The quantities derived, each after those it reads."""


def _target(form: NormForm, quantity: str) -> sympy.Expr:
    if quantity in ("x_hat", "x"):
        return {"x_hat": x_hat, "x": x}[quantity][i]
    return {"sigma": sigma, "var": var, "mu": mu, "gamma": form.gamma, "beta": form.beta}[quantity]


_REWRITES = (
    ("mean", mean_definition, "the mean's definition"),
    ("sigma", sigma_definition, "the definition of sigma"),
    ("x_hat", x_hat_definition, "the normalised input's definition, solved for x"),
)


def derive_one(form: NormForm, quantity: str, known: dict) -> list[NormStep]:
    """The steps of one quantity, each row applied to the row before (unchanged rows dropped)."""
    lhs = Grad(_target(form, quantity))
    rows: list[NormStep] = []

    def push(value: sympy.Expr, rule: str, uses: str = "") -> None:
        if not rows or value != rows[-1].rhs:
            rule_uses = identity(form, uses) if uses else None
            rows.append(NormStep(quantity, lhs, value, rule, uses=rule_uses))

    push(chain_rule(form, _target(form, quantity)), "chain rule")
    push(differentiate(form, rows[-1].rhs), "differentiate the definitions")
    push(sum_out(form, rows[-1].rhs), "sum out the Kronecker deltas")
    for name, rewrite, rule in _REWRITES[:2]:
        push(rewrite(form, rows[-1].rhs), rule, name)
    push(substitute(form, rows[-1].rhs, known), "substitute the gradients derived above")
    name, rewrite, rule = _REWRITES[2]
    push(rewrite(form, rows[-1].rhs), rule, name)
    push(split_sums(rows[-1].rhs), "split the sums, the factors free of their index taken out")
    push(collect(rows[-1].rhs), "collect over one denominator")
    return rows


def derive_norm(kind: str) -> NormForm:
    """The derived (unproved) steps of a norm kind: see the module docstring."""
    form = form_of(kind, LAYERS[kind].index_stages())
    known: dict[str, sympy.Expr] = {}
    for quantity in ORDER:
        form.steps += derive_one(form, quantity, known)
        known[quantity] = form.steps[-1].rhs
    return form


_FORMS: dict[str, NormForm] = {}


def norm_form(kind: str) -> NormForm:
    """The derived steps of ``batchnorm`` or ``layernorm``, every one proved (cached)."""
    if kind not in _FORMS:
        from symbp.derive.norm_proof import prove_form

        _FORMS[kind] = prove_form(derive_norm(kind))
    return replace(_FORMS[kind])


__all__ = [
    "ORDER",
    "SIZES",
    "Grad",
    "NormForm",
    "NormStep",
    "Partial",
    "form_of",
    "derive_norm",
    "derive_one",
    "norm_form",
    # the layer's index-form vocabulary (symbp.layers.norm), for the printers
    "eps",
    "i",
    "j",
    "k",
    "mu",
    "sigma",
    "var",
    "x",
    "x_hat",
    "y",
]
