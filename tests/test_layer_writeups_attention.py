"""Writeups of attention(d_k), meanpool and last: every printed step re-proved here, apart from
symbp's own proof, numerically at random values on an instance of another size (T = 4, d = 3,
d_k = 3): every array and every gradient dC/d(array) from torch.autograd of an independent
torch model (C = sum G * a, G random), every local derivative dR/dtheta from torch's Jacobian
of R's own formula, and both sides of each step equal at every value of its free indices; the
first side of each block is the autograd gradient itself, so the last is too."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from pathlib import Path

import pytest
import sympy
import torch

from symbp.derive import layer_index_attention as la
from symbp.derive.layer_index import C
from symbp.derive.layer_index_multi_proof import Instance, StepNotProved, prove_step
from symbp.derive.layer_index_residual import residual_form
from symbp.latex.writeup_attention import MultiPrinter
from symbp.latex.writeup_layers import render_layers
from symbp.layers.attention import Attention
from symbp.layers.pool import MeanPool
from symbp.layers.reshape import Last
from symbp.layers.spec import parse_net
from symbp.model import layered_network
from tests.latex_tools import needs_pdflatex, overfull, pdflatex, unbroken

T_, D_ = 4, 3  # d_k = 2 (3 in a residual, where d_k = d): every size differs
torch.manual_seed(0)


def _attention_model(residual: bool = False) -> tuple[dict, dict, dict]:
    """The arrays, their autograd gradients, and each array's local formula of its inputs
    (``residual``: the attention's output is f, and a = x + f)."""
    dk = D_ if residual else 2
    x = torch.randn(T_, D_, dtype=torch.float64, requires_grad=True)
    W = {n: torch.randn(dk, D_, dtype=torch.float64, requires_grad=True) for n in "QKV"}
    local = {
        "q": (lambda Wq, x: x @ Wq.T, ("Wq", "x")),
        "k": (lambda Wk, x: x @ Wk.T, ("Wk", "x")),
        "v": (lambda Wv, x: x @ Wv.T, ("Wv", "x")),
        "S": (lambda q, k: q @ k.T / dk**0.5, ("q", "k")),
        "P": (lambda S: torch.softmax(S, dim=-1), ("S",)),
        ("f" if residual else "a"): (lambda P, v: P @ v, ("P", "v")),
    }
    if residual:
        local["a"] = (lambda x, f: x + f, ("x", "f"))
    arrays = {"x": x, "Wq": W["Q"], "Wk": W["K"], "Wv": W["V"]}
    for name, (f, inputs) in local.items():
        arrays[name] = f(*(arrays[i] for i in inputs))
        arrays[name].retain_grad()
    return arrays, _backward(arrays), local


def _sequence_model(kind: str) -> tuple[dict, dict, dict]:
    x = torch.randn(T_, D_, dtype=torch.float64, requires_grad=True)
    f = (lambda x: x.mean(dim=0)) if kind == "meanpool" else (lambda x: x[-1])
    arrays = {"x": x, "a": f(x)}
    return arrays, _backward(arrays), {"a": (f, ("x",))}


def _residual_dense_model(act) -> tuple[dict, dict, dict]:
    x = torch.randn(D_, dtype=torch.float64, requires_grad=True)
    W = torch.randn(D_, D_, dtype=torch.float64, requires_grad=True)
    b = torch.randn(D_, dtype=torch.float64, requires_grad=True)
    local = {"z": (lambda W, b, x: W @ x + b, ("W", "b", "x")),
             "a": (lambda x, z: x + act(z), ("x", "z"))}  # fmt: skip
    arrays = {"x": x, "W": W, "b": b}
    for name, (f, inputs) in local.items():
        arrays[name] = f(*(arrays[i] for i in inputs))
        arrays[name].retain_grad()
    return arrays, _backward(arrays), local


def _backward(arrays: dict) -> dict:
    G = torch.randn(arrays["a"].shape, dtype=torch.float64)
    (arrays["a"] * G).sum().backward()
    return {name: (G if name == "a" else t.grad) for name, t in arrays.items()}


class _Numeric:
    """Index-form expressions evaluated on the torch model (0 outside an array)."""

    def __init__(self, model: tuple[dict, dict, dict]) -> None:
        self.arrays, self.grads, self.local = model
        self.sizes = _sizes(self.arrays)
        self.jacobians: dict = {}

    def value(self, name: str, idx: tuple[int, ...], grad: bool = False) -> float:
        array = (self.grads if grad else self.arrays)[name].detach()
        if len(idx) != array.dim() or not all(
            0 <= i < n for i, n in zip(idx, array.shape, strict=True)
        ):
            return 0.0
        return float(array[idx])

    def derivative(self, num: sympy.Expr, den: sympy.Indexed) -> float:
        idx = tuple(int(i) for i in den.indices)
        if num == C:
            return self.value(str(den.base), idx, grad=True)
        name, wrt = str(num.base), str(den.base)
        if (name, wrt) not in self.jacobians:
            f, inputs = self.local[name]
            values = tuple(self.arrays[i].detach() for i in inputs)
            jac = torch.autograd.functional.jacobian(f, values)
            self.jacobians[name, wrt] = jac[inputs.index(wrt)]
        out = tuple(int(i) for i in num.indices)
        return float(self.jacobians[name, wrt][out + idx])

    def __call__(self, expr: sympy.Expr, values: dict) -> float:
        expr = _unrolled(expr.xreplace(self.sizes).xreplace(values))
        expr = expr.xreplace({d: sympy.Float(self.derivative(d.expr, d.variables[0]))
                              for d in expr.atoms(sympy.Derivative)})  # fmt: skip
        gradients = {str(g): str(p) for p, g in la.GRADIENTS.items()}
        entries = {}
        for e in expr.atoms(sympy.Indexed):
            base, idx = str(e.base), tuple(int(i) for i in e.indices)
            entries[e] = (self.value(gradients[base], idx, grad=True) if base in gradients
                          else self.value(base, idx))  # fmt: skip
        return float(expr.xreplace({e: sympy.Float(v) for e, v in entries.items()}))


def _unrolled(expr: sympy.Expr) -> sympy.Expr:
    if isinstance(expr, sympy.Sum):
        (var, lo, hi), *rest = expr.limits
        inner = sympy.Sum(expr.function, *rest) if rest else expr.function
        return sympy.Add(*[_unrolled(inner.xreplace({var: sympy.Integer(n)}))
                           for n in range(int(lo), int(hi) + 1)])  # fmt: skip
    if expr.args and not isinstance(expr, (sympy.Indexed, sympy.Symbol, sympy.Derivative)):
        return expr.func(*[_unrolled(a) for a in expr.args])
    return expr


def _sizes(arrays: dict) -> dict:
    """T, d and d_k of the model (a vector input: d only)."""
    x = arrays["x"]
    sizes = {sympy.Symbol("T", integer=True, positive=True): x.shape[0], la.D: x.shape[-1]}
    if "q" in arrays:
        sizes[la.DK] = arrays["q"].shape[-1]
    return sizes


def _spans(form, free, first: sympy.Expr, sizes: dict) -> list[dict]:
    """Every value of the free indices (their ranges read off ``first``)."""
    ranges = form.stated.ranges_of(first)
    spans = [range(int(ranges[s][0]), int(sympy.sympify(ranges[s][1]).xreplace(sizes)) + 1)
             for s in free]  # fmt: skip
    return [dict(zip(free, map(sympy.Integer, v), strict=True)) for v in itertools.product(*spans)]


def _form_and_model(kind: str):
    if kind == "attention":
        return la.attention_form(), _attention_model()
    if kind in ("meanpool", "last"):
        return la.sequence_form(MeanPool() if kind == "meanpool" else Last()), _sequence_model(kind)
    layer = parse_net(kind)[0]
    if isinstance(layer.inner, Attention):
        return residual_form(layer), _attention_model(residual=True)
    act = {"tanh": torch.tanh, "relu": torch.relu}[layer.inner.act.name]
    return residual_form(layer), _residual_dense_model(act)


KINDS = ["attention", "meanpool", "last", "residual(attention(3))", "residual(dense(3,tanh))",
         "residual(dense(3,relu))"]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_every_step_holds_numerically_on_another_instance(kind: str) -> None:
    start = time.perf_counter()
    form, model = _form_and_model(kind)
    numeric = _Numeric(model)
    for lhs, rhs in form.stated.equations:  # the forward equations, as the model computes
        free = [s for s in lhs.indices if isinstance(s, sympy.Symbol)]
        for values in _spans(form, free, lhs, numeric.sizes):
            assert numeric(lhs, values) == pytest.approx(numeric(rhs, values), abs=1e-12)
    for step in form.steps:
        assert step.verified_by.startswith("every entry of an instance"), step
        first = form.steps_for(step.quantity)[0].lhs
        for values in _spans(form, step.free, first, numeric.sizes):
            left, right = numeric(step.lhs, values), numeric(step.rhs, values)
            assert left == pytest.approx(right, abs=1e-10), (step.quantity, step.rule, values)
    # each block is one chain from dC/d(entry) (the autograd gradient) to its last form
    for quantity in form.quantities():
        steps = form.steps_for(quantity)
        assert steps[0].lhs.has(C) or quantity == "jacobian"
        for before, after in zip(steps, steps[1:], strict=False):
            assert after.lhs == before.rhs
    assert time.perf_counter() - start < 30


def test_attention_steps_are_the_expected_ones() -> None:
    form = la.attention_form()
    assert form.quantities() == ["v", "P", "jacobian", "S", "q", "k", "Wq", "Wk", "Wv", "input"]
    i, j, l, m = la.i, la.j, la.l, la.m  # noqa: E741 (the writeup's own index names)
    jacobian = form.steps_for("jacobian")
    assert jacobian[0].lhs == sympy.Derivative(la.P[i, j], la.S[m, l])
    assert jacobian[0].rhs.has(sympy.exp)  # the softmax differentiated by sympy.diff
    delta = sympy.KroneckerDelta
    assert jacobian[-1].rhs == delta(i, m) * la.P[i, j] * (delta(j, l) - la.P[i, l])
    s_steps = form.steps_for("S")
    assert s_steps[1].rule == "substitute the softmax Jacobian derived above"
    for name in ("q", "k"):
        assert form.steps_for(name)[-1].rhs.has(1 / sympy.sqrt(la.DK))
    paths = form.steps_for("input")[-1].rhs
    assert {str(e.base) for e in paths.atoms(sympy.Indexed)} == {"Wq", "Wk", "Wv", "dq", "dk",
                                                                   "dv"}  # fmt: skip


def test_a_wrong_step_is_refused() -> None:
    form = la.attention_form()
    inst = Instance(Attention(2), (3, 3))
    q_last = form.steps_for("q")[-1]
    first = form.steps_for("q")[0].lhs
    no_scale = replace(q_last, rhs=q_last.rhs * sympy.sqrt(la.DK))
    with pytest.raises(StepNotProved, match="fails at"):
        prove_step(form.stated, no_scale, inst, first)
    paths = form.steps_for("input")[-1]  # W_Q transposed in the query path (d != d_k)
    transposed = replace(paths, rhs=paths.rhs.xreplace({la.Wq[la.c, la.n]: la.Wq[la.n, la.c]}))
    with pytest.raises(StepNotProved, match="fails at"):
        prove_step(form.stated, transposed, inst, form.steps_for("input")[0].lhs)
    jac = form.steps_for("jacobian")[-1]
    swapped = replace(jac, rhs=jac.rhs.xreplace({la.P[la.i, la.l]: la.P[la.i, la.j]}))
    with pytest.raises(StepNotProved, match="fails at"):
        prove_step(form.stated, swapped, inst, form.steps_for("jacobian")[0].lhs)


NETS = [
    ("3x2", "attention(2) meanpool dense(2,softmax)", ["attention(2)", "meanpool"]),
    ("4x3", "rnn(3) last dense(2,softmax)", ["last"]),
    (
        "3x2",
        "residual(attention(2)) meanpool dense(2,softmax)",
        ["residual(attention(2))", "meanpool"],
    ),
    ("3", "residual(dense(3,tanh)) dense(2,softmax)", ["residual(dense(3,tanh))"]),
]


@pytest.mark.parametrize("notation", ["wikipedia", "nielsen", "ng"])
@pytest.mark.parametrize("shape,spec,written", NETS, ids=[n[1] for n in NETS])
def test_markdown_prints_every_step(shape: str, spec: str, written, notation: str) -> None:
    net = layered_network(shape, spec, "cce")
    text = render_layers(net, notation, "markdown")
    for position, layer in enumerate(net.layers, start=1):
        if layer.spec() not in written:
            continue
        section = (
            unbroken(text).split(f"### Layer {position}: `{layer.spec()}`")[1].split("### ")[0]
        )
        assert "no index-form writeup yet" not in section
        if layer.kind == "residual":
            assert "paths: the identity" in section
        printer = MultiPrinter(position, notation)
        form = residual_form(layer) if layer.kind == "residual" else la.multi_form(layer)
        for step in form.steps:
            assert printer.doprint(step.rhs) in section, (step.quantity, step.rule)
        if "attention" in layer.spec():
            label = printer.label("a")
            weight = "P" + ("^{" + label + "}_{i,j}" if notation == "nielsen" else "_{i,j}")
            assert "\\left([j = l] - P" in section and weight in section
            assert "\\frac{1}{\\sqrt{d_{k}}}" in section
            assert "Over a batch this is `attention_query_weight_grad(" in section
            paths = "four paths" if layer.kind == "residual" else "three paths"
            assert paths in section


@needs_pdflatex
def test_latex_compiles_and_fits(tmp_path: Path) -> None:
    net = layered_network("3x2", "residual(attention(2)) meanpool dense(2,softmax)", "cce")
    log = pdflatex(tmp_path, render_layers(net, "wikipedia", "latex"), "attention.tex")
    assert overfull(log) == []  # the page fits: nothing sticks into the margin
