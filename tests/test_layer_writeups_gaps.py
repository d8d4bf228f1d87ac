"""The writeups that used to say "no index-form writeup yet": dense on a T x d sequence (as
torch.nn.Linear per position), residual(dense) on a sequence and residual(layernorm); and the
JSON export of every layer with an index-form writeup (norm, attention, meanpool, last,
residual, sequence dense).

Every printed step is re-proved here, apart from symbp's own proof (dense: T = 3, d = 2, n = 4;
residual(layernorm): n = 2, 3, 4), numerically on an independent torch model of another size
(T = 4, d = 3, n = 2; n = 5): every array and gradient from torch.autograd, every local
derivative from torch's Jacobian of the array's own formula, both sides of each step equal at
every value of its free indices."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
import sympy
import torch

from symbp.cli import main
from symbp.derive import layer_index as li
from symbp.derive import layer_index_dense as ld
from symbp.derive import layer_index_residual_norm as rn
from symbp.derive import norm_steps as ns
from symbp.derive.layer_index import C
from symbp.derive.layer_index_export import multi_form_of, to_json
from symbp.derive.layer_index_multi_proof import Instance, StepNotProved, prove_step
from symbp.latex.writeup_attention import MultiPrinter
from symbp.latex.writeup_layers import render_layers
from symbp.latex.writeup_norm import NormPrinter
from symbp.layers.dense import Dense
from symbp.layers.spec import parse_net
from symbp.model import layered_network
from tests.latex_tools import needs_pdflatex, overfull, pdflatex, unbroken
from tests.test_layer_writeups_attention import _backward, _Numeric, _spans

T_, D_, N_ = 4, 3, 2
ACTS = {"tanh": torch.tanh, "relu": torch.relu}


def _dense_model(act, residual: bool) -> tuple[dict, dict, dict]:
    units = D_ if residual else N_
    x = torch.randn(T_, D_, dtype=torch.float64, requires_grad=True)
    W = torch.randn(units, D_, dtype=torch.float64, requires_grad=True)
    b = torch.randn(units, dtype=torch.float64, requires_grad=True)
    linear = torch.nn.functional.linear  # torch.nn.Linear's own, at every position
    out = (lambda x, z: x + act(z)) if residual else (lambda x, z: act(z))
    local = {"z": (lambda W, b, x: linear(x, W, b), ("W", "b", "x")), "a": (out, ("x", "z"))}
    arrays = {"x": x, "W": W, "b": b}
    for name, (f, inputs) in local.items():
        arrays[name] = f(*(arrays[i] for i in inputs))
        arrays[name].retain_grad()
    return arrays, _backward(arrays), local


SPECS = ["dense(3,tanh)", "dense(3,relu)", "residual(dense(3,tanh))", "residual(dense(3,relu))"]


@pytest.mark.parametrize("spec", SPECS)
def test_every_step_holds_numerically_against_autograd(spec: str) -> None:
    start = time.perf_counter()
    torch.manual_seed(1)
    layer = parse_net(spec)[0]
    residual = layer.kind == "residual"
    form = multi_form_of(layer, (5, 3))
    act = (layer.inner if residual else layer).act
    model = _dense_model(ACTS[act.name], residual)
    numeric = _Numeric(model)
    numeric.sizes[ld.N] = model[0]["z"].shape[1]
    for lhs, rhs in form.stated.equations:
        free = [s for s in lhs.indices if isinstance(s, sympy.Symbol)]
        for values in _spans(form, free, lhs, numeric.sizes):
            assert numeric(lhs, values) == pytest.approx(numeric(rhs, values), abs=1e-12)
    assert form.quantities() == ["delta", "W", "b", "input"]
    for step in form.steps:
        assert step.verified_by.startswith("every entry of an instance"), step
        first = form.steps_for(step.quantity)[0].lhs
        for values in _spans(form, step.free, first, numeric.sizes):
            left, right = numeric(step.lhs, values), numeric(step.rhs, values)
            assert left == pytest.approx(right, abs=1e-10), (step.quantity, step.rule, values)
    for quantity in form.quantities():  # one chain from the autograd gradient to the last form
        steps = form.steps_for(quantity)
        assert steps[0].lhs.has(C)
        assert all(b.lhs == a.rhs for a, b in zip(steps, steps[1:], strict=False))
    # the weights are shared over the positions: their gradient sums over t
    assert form.steps_for("W")[-1].rhs.has(sympy.Sum)
    assert time.perf_counter() - start < 20


def test_a_step_without_the_sum_over_positions_is_refused() -> None:
    form = ld.sequence_dense_form(parse_net("dense(3,tanh)")[0])
    last = form.steps_for("W")[-1]
    one_position = replace(last, rhs=last.rhs.function.xreplace({ld.la.t: 0}))
    inst = Instance(Dense(4, form.layer.act), (3, 2))
    with pytest.raises(StepNotProved, match="fails at"):
        prove_step(form.stated, one_position, inst, form.steps_for("W")[0].lhs)


NETS = [
    ("4x3", "dense(3,tanh) attention(2) meanpool dense(2,softmax)", ["dense(3,tanh)"]),
    ("4x3", "residual(dense(3,tanh)) meanpool dense(2,softmax)", ["residual(dense(3,tanh))"]),
]


@pytest.mark.parametrize("shape,spec,written", NETS, ids=[n[1] for n in NETS])
def test_markdown_prints_every_step(shape: str, spec: str, written) -> None:
    net = layered_network(shape, spec, "cce")
    text = render_layers(net, "wikipedia", "markdown")
    assert "no index-form writeup yet" not in text
    for position, layer in enumerate(net.layers, start=1):
        if layer.spec() not in written:
            continue
        section = (
            unbroken(text).split(f"### Layer {position}: `{layer.spec()}`")[1].split("### ")[0]
        )
        printer = MultiPrinter(position, "wikipedia")
        for step in multi_form_of(layer, net.shapes[position - 1]).steps:
            assert printer.doprint(step.rhs) in section, (step.quantity, step.rule)
        assert "sum over the rows (and time steps)" in section  # dW's proved array form


def test_the_command_writes_the_sequence_dense_markdown(capsys) -> None:
    argv = ["derive", "--input", "3x4", "--net", "dense(3,tanh) meanpool dense(2,softmax)",
            "--loss", "cce"]  # fmt: skip
    assert main([*argv, "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "no index-form writeup yet" not in out and "as `torch.nn.Linear`" in out


def _expected(layer, shape, position) -> tuple[list, list]:
    """The writeup's own derivation: its equations and steps (the objects it prints)."""
    if layer.kind in ns.SIZES or rn.is_residual_norm(layer):
        form = rn.residual_norm_form() if layer.kind == "residual" else ns.norm_form(layer.kind)
        return form.definitions, form.steps
    multi = multi_form_of(layer, shape)
    if multi is not None:
        return list(multi.stated.equations), multi.steps
    form = li.layer_form(layer, shape, position)
    return [form.forward], form.steps


JSON_NETS = [
    ("3x2", "attention(2) meanpool dense(2,softmax)"),
    ("3", "dense(3,relu) batchnorm dense(2,softmax)"),
    ("3", "dense(3,tanh) layernorm dense(2,softmax)"),
    ("3", "residual(dense(3,tanh)) dense(2,softmax)"),
    ("4x3", "residual(dense(3,tanh)) meanpool dense(2,softmax)"),
    ("3", "residual(layernorm) dense(2,softmax)"),
    ("3x4", "dense(3,tanh) meanpool dense(2,softmax)"),
]


@pytest.mark.parametrize("shape,spec", JSON_NETS, ids=[n[1] for n in JSON_NETS])
def test_json_has_every_layers_steps_as_the_writeup_derives_them(shape, spec, capsys) -> None:
    argv = ["derive", "--input", shape, "--net", spec, "--loss", "cce", "--format", "json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    net = layered_network(shape, spec, "cce")
    assert data == json.loads(json.dumps(to_json(net)))
    for position, (layer, out) in enumerate(zip(net.layers, data["layers"], strict=True), 1):
        assert "note" not in out and out["steps"], out["spec"]
        equations, steps = _expected(layer, net.shapes[position - 1], position)
        assert out["equations"] == [[sympy.sstr(lhs), sympy.sstr(rhs)] for lhs, rhs in equations]
        assert out["forward"] == out["equations"][-1] and out["forward_verified_by"]
        assert len(out["steps"]) == len(steps)
        for got, step in zip(out["steps"], steps, strict=True):
            assert (got["quantity"], got["rule"]) == (step.quantity, step.rule)
            assert (got["lhs"], got["rhs"]) == (sympy.sstr(step.lhs), sympy.sstr(step.rhs))
            assert got["verified_by"] == step.verified_by != ""


N_NORM = 5  # the proof used n = 2, 3, 4


def _residual_norm_model() -> tuple[dict, dict, dict]:
    """residual(layernorm) on 5 features as torch computes it, its intermediates kept."""
    x = torch.randn(N_NORM, dtype=torch.float64, requires_grad=True)
    gamma = torch.randn(N_NORM, dtype=torch.float64, requires_grad=True)
    beta = torch.randn(N_NORM, dtype=torch.float64, requires_grad=True)
    local = {
        "mu": (lambda x: x.mean(), ("x",)),
        "var": (lambda x, mu: ((x - mu) ** 2).mean(), ("x", "mu")),
        "sigma": (lambda var: torch.sqrt(var + 1e-5), ("var",)),
        "x_hat": (lambda x, mu, sigma: (x - mu) / sigma, ("x", "mu", "sigma")),
        "y": (lambda gamma, x_hat, beta: gamma * x_hat + beta, ("gamma", "x_hat", "beta")),
        "a": (lambda x, y: x + y, ("x", "y")),
    }
    arrays = {"x": x, "gamma": gamma, "beta": beta}
    for name, (f, inputs) in local.items():
        arrays[name] = f(*(arrays[i] for i in inputs))
        arrays[name].retain_grad()
    ln = torch.nn.functional.layer_norm(x, (N_NORM,), gamma, beta, eps=1e-5)
    assert torch.allclose(arrays["a"], x + ln)  # the model is torch's residual layer norm
    return arrays, _backward(arrays), local


class _NormNumeric:
    """A norm step's side on the torch model: Grad(u) autograd's, Partial(c, u) torch's
    Jacobian of c's own formula, every other quantity its value."""

    def __init__(self) -> None:
        self.arrays, self.grads, self.local = _residual_norm_model()
        self.jacobians: dict = {}

    @staticmethod
    def _key(u: sympy.Expr) -> tuple[str, tuple[int, ...]]:
        if isinstance(u, sympy.Indexed):
            return str(u.base), tuple(int(n) for n in u.indices)
        return str(u), ()

    def _value(self, u: sympy.Expr, grad: bool = False) -> float:
        name, at = self._key(u)
        return float((self.grads if grad else self.arrays)[name].detach()[at])

    def _partial(self, c: sympy.Expr, u: sympy.Expr) -> float:
        (name, at), (wrt, wrt_at) = self._key(c), self._key(u)
        if (name, wrt) not in self.jacobians:
            f, inputs = self.local[name]
            jac = torch.autograd.functional.jacobian(
                f, tuple(self.arrays[n].detach() for n in inputs)
            )
            self.jacobians[name, wrt] = jac[inputs.index(wrt)] if wrt in inputs else None
        jac = self.jacobians[name, wrt]
        return 0.0 if jac is None else float(jac[at + wrt_at])

    def __call__(self, expr: sympy.Expr, at: int) -> float:
        expr = expr.subs({ns.SIZES["layernorm"]: N_NORM, ns.i: at}).doit()
        expr = expr.replace(lambda e: isinstance(e, ns.Partial),
                            lambda e: sympy.Float(self._partial(*e.args)))  # fmt: skip
        expr = expr.replace(
            lambda e: isinstance(e, ns.Grad),
            lambda e: sympy.Float(
                float(self.grads[self._key(e.args[0])[0]][self._key(e.args[0])[1]])
            ),
        )
        scalars = expr.free_symbols & {ns.mu, ns.var, ns.sigma}
        values = {u: sympy.Float(self._value(u)) for u in expr.atoms(sympy.Indexed) | scalars}
        return float(expr.xreplace({**values, ns.eps: sympy.Float(1e-5)}))


def test_residual_layernorm_steps_hold_against_autograd_on_another_size() -> None:
    torch.manual_seed(2)
    form = rn.residual_norm_form()
    numeric = _NormNumeric()
    for lhs, rhs in form.definitions:
        for at in range(N_NORM):
            assert numeric(lhs, at) == pytest.approx(numeric(rhs, at), abs=1e-12)
    assert form.steps_for("y")[-1].rhs == ns.Grad(rn.A[ns.i])
    for step in form.steps:
        assert step.verified_by.startswith("exactly modulo the layer's definitions"), step
        for at in range(N_NORM):
            left, right = numeric(step.lhs, at), numeric(step.rhs, at)
            assert left == pytest.approx(right, abs=1e-9), (step.quantity, step.rule, at)
    for quantity in rn.ORDER:  # each block runs from the autograd gradient itself
        steps = form.steps_for(quantity)
        assert isinstance(steps[0].lhs, ns.Grad)
        assert all(b.rhs != a.rhs for a, b in zip(steps, steps[1:], strict=False))
    # the identity path stands beside the layer norm's three
    assert ns.Grad(rn.A[ns.i]) in form.steps_for("x")[-1].rhs.args


def test_residual_layernorm_without_its_identity_path_is_refused() -> None:
    form = rn.residual_norm_form()
    last = form.steps_for("x")[-1]
    no_identity = replace(last, rhs=last.rhs - ns.Grad(rn.A[ns.i]))
    with pytest.raises(ValueError, match="fails at n = 2"):
        rn.prove_step(form, no_identity)


def test_residual_layernorm_markdown_prints_every_step(capsys) -> None:
    argv = ["derive", "--input", "3", "--net", "residual(layernorm) dense(2,softmax)",
            "--loss", "cce", "--format", "markdown"]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "no index-form writeup yet" not in text and "four paths" in text
    assert "Over a batch this is `identity(DA)` + `normalised_input_grad(" in text
    printer = NormPrinter("C")
    for step in rn.residual_norm_form().steps:
        assert printer.doprint(step.rhs) in text, (step.quantity, step.rule)


@needs_pdflatex
def test_latex_of_every_new_writeup_compiles_and_fits(tmp_path) -> None:
    spec = "dense(3,tanh) residual(layernorm) residual(dense(3,tanh)) meanpool dense(2,softmax)"
    net = layered_network("4x3", spec, "cce")
    assert "no index-form writeup yet" not in render_layers(net, "nielsen", "markdown")
    log = pdflatex(tmp_path, render_layers(net, "wikipedia", "latex"), "gaps.tex")
    assert overfull(log) == []  # the page fits: nothing sticks into the margin
