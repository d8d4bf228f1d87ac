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
from symbp.layers.index import (  # the layers' index-form vocabulary (re-exported for printers)
    C_IN,
    C_OUT,
    GRADIENT,
    IN,
    OUT,
    PAD,
    SPATIAL,
    STRIDE,
    C,
    IndexForward,
    K,
    M,
    T,
    W,
    a,
    b,
    c,
    c2,
    dA,
    delta,
    e,
    o,
    x,
    z,
)
from symbp.layers.pool import Pool

__all__ = ["C", "C_IN", "C_OUT", "IN", "K", "OUT", "PAD", "SPATIAL", "STRIDE", "M", "W", "a",
           "b", "c", "c2", "dA", "delta", "e", "o", "x", "z", "layer_form",
           "has_index_form"]  # fmt: skip


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
    forward_verified_by: str = ""
    stated: IndexForward | None = None

    def steps_for(self, quantity: str) -> list[IndexStep]:
        return [s for s in self.steps if s.quantity == quantity]


def _true_on_box(cond, ranges) -> bool:
    """A linear range condition that holds at every corner of the index box holds on it."""
    names = [s for s in cond.free_symbols if s in ranges]
    for corner in itertools.product(*(ranges[s] for s in names)):
        if sympy.simplify(cond.subs(dict(zip(names, corner, strict=True)))) is not sympy.true:
            return False
    return True


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


def _in_an_array_range(rel, value: sympy.Expr, axes) -> bool:
    """The relation only says that an index of an array in ``value`` lies in that axis' range
    (outside it the entry is 0 anyway, so the condition is implied)."""
    g = _nonnegative(rel)
    if g is None:
        return False
    for entry in value.atoms(sympy.Indexed):
        for index, (lo, hi) in zip(entry.indices, axes.get(entry.base, ()), strict=False):
            if sympy.expand(g - (index - lo)) == 0 or sympy.expand(g - (hi - index)) == 0:
                return True
    return False


def _clean(expr: sympy.Expr, ranges, axes) -> sympy.Expr:
    """Drop Piecewise conditions that hold for every index in range, or that only restate an
    array's index range; what is left is an Iverson bracket of the sum."""

    def fix(pw: sympy.Piecewise) -> sympy.Expr:
        (value, cond), *rest = pw.args
        parts = cond.args if isinstance(cond, sympy.And) else (cond,)
        kept = [
            p
            for p in parts
            if not _true_on_box(p, ranges) and not _in_an_array_range(p, value, axes)
        ]
        if not kept and rest and rest[0] == (0, True):
            return value
        return sympy.Piecewise((value, sympy.And(*kept)), *rest) if kept else value

    return expr.replace(lambda e: isinstance(e, sympy.Piecewise), fix)


def _geometry(layer) -> tuple[int, int, int]:
    """(k, stride, padding) of the layer's window."""
    return layer.window_geometry()


def has_index_form(layer) -> bool:
    """Whether the layer kind states an index-form forward equation (conv, dense, pool)."""
    return layer.index_forward() is not None


def layer_form(layer, input_shape: tuple[int, ...], position: int) -> LayerForm:
    """Derive (and prove) the index-form backward steps of one conv, dense or pool layer.

    The form depends on the layer's kind and hyper-parameters only (the sizes are symbols), so
    it is derived once per kind and reused for every layer alike."""
    if isinstance(layer, Dense) and len(input_shape) != 1:
        raise SpecError(
            f"layer {position} {layer.spec()} on a T x d sequence: the index-form writeup of "
            "a non-elementwise activation at every position is not yet available (an "
            "elementwise one is symbp.derive.layer_index_dense's); symbp derive --format text "
            "shows its derived and proved array form"
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
    dims = len(input_shape) - 1
    stated = layer.index_forward()
    lhs, rhs, box, axes = stated.lhs, stated.rhs, stated.ranges, stated.axes
    form = LayerForm(1, layer, input_shape, (lhs, rhs), box, {}, stated=stated)
    out = lhs  # z[o, i, j], a[c', i, j] or z[t, o]
    grad_out = GRADIENT[out.base]
    out_ranges = [(s, *box[s]) for s in out.indices]
    if stated.delta_target is not None and layer.act.elementwise:
        _delta_steps(form, layer.act, out)
    for quantity, target in stated.targets:
        free = tuple(target.indices)
        # 1. the chain rule over every entry the layer defines (and, for the layer's own
        # output read by its next step, the gradient through the layers above)
        chain = sympy.Sum(grad_out[out.indices] * sympy.Derivative(out, target), *out_ranges)
        above = stated.total != dA and target.base == stated.output
        if above:
            chain = dA[target.indices] + chain
        steps = [(sympy.Derivative(C, target), chain, "chain rule")]
        # 2. the local derivative, by SymPy
        local = _clean(sympy.diff(rhs, target).doit(), box, axes)
        summed = sympy.Sum(grad_out[out.indices] * local, *out_ranges)
        steps.append((chain, dA[target.indices] + summed if above else summed,
                      "differentiate the forward equation"))  # fmt: skip
        # 3. the Kronecker sums done
        done = _clean(_kronecker_first(steps[-1][1]).doit(), box, axes)
        if done != steps[-1][1]:
            steps.append((steps[-1][1], done, "sum out the Kronecker deltas"))
        if quantity == "input" and isinstance(layer, Conv) and layer.stride == 1:
            steps.append((done, _flip(done, dims), "change the summation index to the kernel's"))
        for lhs_, rhs_, rule in steps:
            form.steps.append(IndexStep(quantity, lhs_, rhs_, rule, free))
    return _prove_all(form)


def _kronecker_first(expr: sympy.Expr) -> sympy.Expr:
    """Every Sum with the indices of its Kronecker deltas summed first (innermost), so that
    ``Sum.doit`` sums them out even where an outer index has no closed form (a sum over time)."""

    def order(total: sympy.Sum) -> sympy.Sum:
        picked = {v for d in total.function.atoms(sympy.KroneckerDelta) for v in d.free_symbols}
        limits = sorted(total.limits, key=lambda lim: lim[0] not in picked)
        return sympy.Sum(total.function, *limits)

    return expr.replace(lambda e: isinstance(e, sympy.Sum), order)


def _delta_steps(form: LayerForm, act, out: sympy.Indexed) -> None:
    """delta = dC/dz from the output's whole gradient (dA, or a recurrent layer's dH) through
    the elementwise activation a = f(z): the chain rule, the activation's derivative (the
    registry's, with its kink convention), the Kronecker sums, and f' written with the output
    where the registry knows the identity."""
    stated = form.stated
    target, grad, output = stated.delta_target, stated.total, stated.output
    out_ranges = [(s, *form.ranges[s]) for s in out.indices]
    chain = sympy.Sum(
        grad[out.indices] * sympy.Derivative(output[out.indices], target), *out_ranges
    )
    same = sympy.Mul(
        *[sympy.KroneckerDelta(i, j) for i, j in zip(target.indices, out.indices, strict=True)]
    )
    local = sympy.Sum(grad[out.indices] * act.fprime(out) * same, *out_ranges)
    done = _clean(local.doit(), form.ranges, stated.axes)
    steps = [
        (sympy.Derivative(C, target), chain, "chain rule"),
        (chain, local, "derivative of the activation"),
        (local, done, "sum out the Kronecker deltas"),
    ]
    if act.from_output is not None:
        written = done.xreplace({act.fprime(target): act.from_output(output[target.indices])})
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
    if T in layer.index_forward().sizes:  # a sequence: a first, a middle and a last step
        return layer.skeleton(), [(3, 2)]
    dims = len(input_shape) - 1
    k, stride, padding = _geometry(layer)
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
    from symbp.derive.layer_index_proof import prove_forward, prove_step

    layer, shapes = _instances(form.layer, form.input_shape)
    form.forward_verified_by = prove_forward(form, shapes)
    form.steps = [replace(s, verified_by=prove_step(form, s, shapes)) for s in form.steps]
    return form
