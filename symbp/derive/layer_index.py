"""Each layer's backward pass in index form, derived by SymPy from the layer's forward equation
with symbolic sizes, every step proved on concrete instances: what the writeups of ``--net``
networks print.

For a layer with input x (shape C' x H x W), pre-activation z, output a and parameters, the
derivation takes, for every parameter entry and every input entry, four steps:

1. the chain rule over every entry the layer defines: dC/dtheta = sum_{o,i,j} delta_{o,i,j}
   dz_{o,i,j}/dtheta, with delta = dC/dz;
2. the local derivative, by ``sympy.diff`` of the index-form forward equation (Kronecker deltas
   appear, summed out by ``Sum.doit``; a range condition that holds for every index value in
   range is dropped, the others stay as Iverson brackets);
3. the sums over the Kronecker deltas done (``Sum.doit`` again);
4. for a stride-1 convolution's input gradient, the change of summation index that shows the
   full convolution of delta with the *flipped* kernel.

Entries outside an array's range are 0 (that is zero padding for the input, and the edges of
the full convolution). Nothing of the result is typed in: the forward equation is the layer's,
the rest comes from SymPy. Each step is then proved on concrete instances
(:func:`prove_step`): for every value of its free indices, both sides are evaluated on a small
network of this layer kind with the same k, stride and padding, entries mapped to that
instance's symbols, every ``Derivative`` taken by ``sympy.diff`` of the instance's own forward
equations (the chain rule with dC/dz as symbols), and the difference expanded to 0.

>>> from symbp.layers.spec import parse_net
>>> form = layer_form(parse_net("conv2d(2,3,relu)")[0], (1, 5, 5), 1)
>>> [s.rule for s in form.steps_for("W")]
['chain rule', 'differentiate the forward equation', 'sum out the Kronecker deltas']
>>> form.steps_for("W")[-1].rhs
Sum(delta[c, i, j]*x[c', i + p, j + q], (i, 0, H' - 1), (j, 0, W' - 1))
>>> form.steps_for("W")[-1].verified_by
'every entry of 1 instance (k=3, stride 1, padding 0; input 2x5x5), exactly'
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import sympy

from symbp.errors import SpecError
from symbp.layers.conv import Conv
from symbp.layers.dense import Dense
from symbp.layers.pool import Pool

C = sympy.Symbol("C")
x, z, a, W, b = (sympy.IndexedBase(n) for n in ("x", "z", "a", "W", "b"))
delta, dA, M = sympy.IndexedBase("delta"), sympy.IndexedBase("dA"), sympy.IndexedBase("M")
_int = {"integer": True}
# the chain rule sums over the layer's output entries (o, i, j); the forward equation sums over
# (e, r, t) (input channel, kernel offsets); the quantities differentiated are W[c, c', p, q],
# b[c] and x[c', u, v]. The printed forward equation renames (o, e, r, t) to (c, c', p, q).
o, e, c, c2 = sympy.symbols("o e c c'", **_int)
SPATIAL = tuple(sympy.symbols(n, **_int) for n in ("i j", "r t", "p q", "u v"))
C_OUT, C_IN = sympy.symbols("C C'", integer=True, positive=True)
K = sympy.Symbol("k", integer=True, positive=True)
OUT = sympy.symbols("H' W'", integer=True, positive=True)
IN = sympy.symbols("H W", integer=True, positive=True)
STRIDE, PAD = sympy.Symbol("s", integer=True, positive=True), sympy.Symbol("P", **_int)


@dataclass(frozen=True)
class IndexStep:
    """``lhs = rhs`` because of ``rule``; ``free`` are the indices it holds for."""

    quantity: str
    lhs: sympy.Expr
    rhs: sympy.Expr
    rule: str
    free: tuple[sympy.Symbol, ...]
    verified_by: str = ""


@dataclass
class LayerForm:
    """One layer's forward equation and derived backward steps in index form."""

    position: int
    layer: object
    input_shape: tuple[int, ...]
    forward: tuple[sympy.Expr, sympy.Expr]
    ranges: dict[sympy.Symbol, tuple[sympy.Expr, sympy.Expr]]
    sizes: dict[sympy.Symbol, int]
    steps: list[IndexStep] = field(default_factory=list)

    def steps_for(self, quantity: str) -> list[IndexStep]:
        return [s for s in self.steps if s.quantity == quantity]


def _true_on_box(cond, ranges) -> bool:
    """A linear range condition that holds at every corner of the index box holds on it."""
    names = [s for s in cond.free_symbols if s in ranges]
    for corner in itertools.product(*(ranges[s] for s in names)):
        if sympy.simplify(cond.subs(dict(zip(names, corner, strict=True)))) is not sympy.true:
            return False
    return True


def _axes(base: sympy.IndexedBase, count: int) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """The index range of every axis of an array (entries outside it are 0 by convention)."""
    spatial = count - 1 if base in (W, M) else count - 1
    if base == W:
        return [(0, C_OUT - 1), (0, C_IN - 1)] + [(0, K - 1)] * (count - 2)
    if base == M:
        dims = (count - 1) // 2
        return [(0, C_IN - 1)] + [(0, n - 1) for n in OUT[:dims]] + [(0, K - 1)] * dims
    channels = C_IN if base == x else C_OUT
    sizes = IN if base == x else OUT
    return [(0, channels - 1)] + [(0, n - 1) for n in sizes[:spatial]]


def _nonnegative(rel) -> sympy.Expr | None:
    """An integer relation as ``g >= 0``."""
    if isinstance(rel, sympy.GreaterThan):
        return rel.lhs - rel.rhs
    if isinstance(rel, sympy.LessThan):
        return rel.rhs - rel.lhs
    if isinstance(rel, sympy.StrictGreaterThan):
        return rel.lhs - rel.rhs - 1
    if isinstance(rel, sympy.StrictLessThan):
        return rel.rhs - rel.lhs - 1
    return None


def _in_an_array_range(rel, value: sympy.Expr) -> bool:
    """The relation only says that an index of an array in ``value`` lies in that axis' range
    (outside it the entry is 0 anyway, so the condition is implied)."""
    g = _nonnegative(rel)
    if g is None:
        return False
    for entry in value.atoms(sympy.Indexed):
        ranges = _axes(entry.base, len(entry.indices))
        if entry.base in (delta, dA):
            ranges = _axes(z, len(entry.indices))
        for index, (lo, hi) in zip(entry.indices, ranges, strict=False):
            if sympy.expand(g - (index - lo)) == 0 or sympy.expand(g - (hi - index)) == 0:
                return True
    return False


def _clean(expr: sympy.Expr, ranges) -> sympy.Expr:
    """Drop Piecewise conditions that hold for every index in range, or that only restate an
    array's index range; what is left is an Iverson bracket of the sum."""

    def fix(pw: sympy.Piecewise) -> sympy.Expr:
        (value, cond), *rest = pw.args
        parts = cond.args if isinstance(cond, sympy.And) else (cond,)
        kept = [
            p for p in parts if not _true_on_box(p, ranges) and not _in_an_array_range(p, value)
        ]
        if not kept and rest and rest[0] == (0, True):
            return value
        return sympy.Piecewise((value, sympy.And(*kept)), *rest) if kept else value

    return expr.replace(lambda e: isinstance(e, sympy.Piecewise), fix)


def _geometry(layer, dims):
    k = getattr(layer, "k", 1)
    stride = getattr(layer, "stride", k if isinstance(layer, Pool) else 1)
    padding = getattr(layer, "padding", 0)
    sym_stride = 1 if stride == 1 else STRIDE if isinstance(layer, Conv) else K
    sym_pad = 0 if padding == 0 else PAD
    return k, stride, padding, sym_stride, sym_pad


def _forward(layer, dims: int):
    """The layer's forward equation in index form, and the ranges of its indices."""
    pos, off, kern, inp = (s[:dims] for s in SPATIAL)
    _, _, _, s, pad = _geometry(layer, dims)
    src = tuple(s * i + r - pad for i, r in zip(pos, off, strict=True))
    channels = C_IN if isinstance(layer, Pool) else C_OUT
    ranges = {o: (0, channels - 1), c: (0, channels - 1), e: (0, C_IN - 1), c2: (0, C_IN - 1)}
    ranges.update({i: (0, n - 1) for i, n in zip(pos, OUT, strict=False)})
    ranges.update({u: (0, n - 1) for u, n in zip(inp, IN, strict=False)})
    ranges.update({r: (0, K - 1) for r in (*off, *kern)})
    window = [(r, 0, K - 1) for r in off]
    if isinstance(layer, (Conv, Dense)):
        total = sympy.Sum(W[(o, e, *off)] * x[(e, *src)], (e, 0, C_IN - 1), *window)
        return (z[(o, *pos)], total + b[o]), ranges
    if isinstance(layer, Pool):  # channel o of the output reads channel o of the input
        weight = M[(o, *pos, *off)] if layer.mode == "max" else 1 / K**dims
        return (a[(o, *pos)], sympy.Sum(weight * x[(o, *src)], *window)), ranges
    raise NotImplementedError(type(layer).__name__)


def has_index_form(layer) -> bool:
    """Whether :func:`layer_form` derives this layer kind (conv, dense, pool; flatten only
    reorders entries)."""
    return isinstance(layer, (Conv, Dense, Pool))


def layer_form(layer, input_shape: tuple[int, ...], position: int) -> LayerForm:
    """Derive (and prove) the index-form backward steps of one conv, dense or pool layer.

    The form depends on the layer's kind and hyper-parameters only (the sizes are symbols), so
    it is derived once per kind and reused for every layer alike."""
    if isinstance(layer, Dense) and len(input_shape) != 1:
        raise SpecError(
            f"layer {position} {layer.spec()} on a T x d sequence: the index-form writeup is "
            "not yet available for that layer kind; symbp derive --format text shows its "
            "derived and proved array form"
        )
    key = (_signature(layer), len(input_shape))
    if key not in _FORMS:
        _FORMS[key] = _derive(layer, input_shape)
    return replace(_FORMS[key], position=position, input_shape=input_shape, layer=layer)


_FORMS: dict[tuple, LayerForm] = {}


def _signature(layer) -> tuple:
    act = getattr(layer, "act", None)
    return (type(layer).__name__, getattr(layer, "mode", None), getattr(layer, "k", None),
            getattr(layer, "stride", None), getattr(layer, "padding", None),
            None if act is None else act.name)  # fmt: skip


def _derive(layer, input_shape: tuple[int, ...]) -> LayerForm:
    position = 1
    dims = len(input_shape) - 1
    (lhs, rhs), ranges = _forward(layer, dims)
    form = LayerForm(position, layer, input_shape, (lhs, rhs), ranges, {})
    out = lhs  # z[o, i, j] or a[c', i, j]
    grad_out = delta if out.base == z else dA
    out_ranges = [(s, *ranges[s]) for s in out.indices]
    targets = []
    if out.base == z:
        targets += [("W", W[(c, c2, *SPATIAL[2][:dims])]), ("b", b[c])]
    targets.append(("input", x[(c2, *SPATIAL[3][:dims])]))
    box = ranges
    if out.base == z and layer.act.elementwise:
        _delta_steps(form, layer.act, out, dims)
    for quantity, target in targets:
        free = tuple(target.indices)
        # 1. the chain rule over every entry the layer defines
        chain = sympy.Sum(grad_out[out.indices] * sympy.Derivative(out, target), *out_ranges)
        steps = [(sympy.Derivative(C, target), chain, "chain rule")]
        # 2. the local derivative, by SymPy
        local = _clean(sympy.diff(rhs, target).doit(), box)
        steps.append((chain, sympy.Sum(grad_out[out.indices] * local, *out_ranges),
                      "differentiate the forward equation"))  # fmt: skip
        # 3. the Kronecker sums done
        done = _clean(steps[-1][1].doit(), box)
        if done != steps[-1][1]:
            steps.append((steps[-1][1], done, "sum out the Kronecker deltas"))
        if quantity == "input" and isinstance(layer, Conv) and layer.stride == 1:
            steps.append((done, _flip(done, dims), "change the summation index to the kernel's"))
        for lhs_, rhs_, rule in steps:
            form.steps.append(IndexStep(quantity, lhs_, rhs_, rule, free))
    return _prove_all(form)


def _delta_steps(form: LayerForm, act, out: sympy.Indexed, dims: int) -> None:
    """delta = dC/dz from dA = dC/da through the elementwise activation a = f(z): the chain
    rule, the activation's derivative (the registry's, with its kink convention), the
    Kronecker sums, and f' written with the output where the registry knows the identity."""
    target = z[(c, *SPATIAL[3][:dims])]
    out_ranges = [(s, *form.ranges[s]) for s in out.indices]
    chain = sympy.Sum(dA[out.indices] * sympy.Derivative(a[out.indices], target), *out_ranges)
    same = sympy.Mul(
        *[sympy.KroneckerDelta(i, j) for i, j in zip(target.indices, out.indices, strict=True)]
    )
    local = sympy.Sum(dA[out.indices] * act.fprime(out) * same, *out_ranges)
    done = _clean(local.doit(), form.ranges)
    steps = [
        (sympy.Derivative(C, target), chain, "chain rule"),
        (chain, local, "derivative of the activation"),
        (local, done, "sum out the Kronecker deltas"),
    ]
    if act.from_output is not None:
        written = done.xreplace({act.fprime(target): act.from_output(a[target.indices])})
        if written != done:
            steps.append(
                (done, written, "activation derivative written with the activation's output")
            )
    for lhs, rhs, rule in steps:
        form.steps.append(IndexStep("delta", lhs, rhs, rule, tuple(target.indices)))


def _flip(expr: sympy.Expr, dims: int) -> sympy.Expr:
    """sum_{o,i,j} delta[o,i,j] W[o,c',u+P-i,..] as sum_{o,p,q} delta[o,u+P-p,..] W[o,c',p,q]:
    the summation index changed from the output position i to the kernel offset p."""
    body, limits = expr.function, list(expr.limits)
    kernel = SPATIAL[2][:dims]
    weight = next(e for e in body.atoms(sympy.Indexed) if e.base == W)
    for d, p in enumerate(kernel):
        i = SPATIAL[0][d]
        (solved,) = sympy.solve(sympy.Eq(weight.indices[2 + d], p), i)
        body = body.subs(i, solved)
        limits = [(p, 0, K - 1) if lim[0] == i else lim for lim in limits]
    return sympy.Sum(body, *limits)


def _instances(layer, input_shape):
    """Small inputs of this layer kind: 2 channels in, 2 out, the smallest spatial sizes with
    2 and 3 output positions per axis (so every boundary case of k, stride, padding occurs)."""
    dims = len(input_shape) - 1
    k, stride, padding, _, _ = _geometry(layer, dims)
    sizes = []
    # a pool's windows do not overlap: two per axis hold every case; a convolution needs a
    # first, a middle and a last output position (they meet the padding differently)
    for outputs in (2,) if isinstance(layer, Pool) else (3,):
        n = max((outputs - 1) * stride + k - 2 * padding, 1)
        shape = (2 if dims else 3, *(n,) * dims)  # channels: any count; 2 show the sums
        if shape not in sizes:
            sizes.append(shape)
    return layer.skeleton(), sizes


def _prove_all(form: LayerForm) -> LayerForm:
    from symbp.derive.layer_index_proof import prove_step

    layer, shapes = _instances(form.layer, form.input_shape)
    form.steps = [replace(s, verified_by=prove_step(form, s, shapes)) for s in form.steps]
    return form
