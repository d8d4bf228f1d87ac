"""The batchnorm and layernorm writeups (symbp.derive.norm_steps, symbp.latex.writeup_norm):
every printed step re-evaluated here with torch at random values, independently of the
writeup's own proof (SymPy's prover on the layer's equations); the last step of dC/dx is the
compact form and equals torch.autograd's input gradient of torch.nn.BatchNorm1d (training
mode) and torch.nn.LayerNorm; the writeup says the loss is a function of the whole batch."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import sympy
import torch

from symbp.derive import norm_steps as ns
from symbp.derive.norm_proof import prove_step
from symbp.latex.writeup_blocks import Heading, Math
from symbp.latex.writeup_layers import layer_blocks, render_layers
from symbp.latex.writeup_norm import NormPrinter
from symbp.model import layered_network
from tests.latex_tools import needs_pdflatex, pdflatex

EPS = 1e-5
KINDS = ("batchnorm", "layernorm")


@pytest.fixture(scope="module", params=KINDS)
def form(request) -> ns.NormForm:
    return ns.norm_form(request.param)


class TorchPoint:
    """One feature of m examples (batch norm) or one example's m features (layer norm) at
    random values: the forward quantities as torch tensors, dC/du of each by autograd
    (C = sum_i dy_i y_i), and the local Jacobians dc/du of each definition by autograd."""

    def __init__(self, kind: str, m: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        per_feature = kind == "layernorm"
        shape = (m,) if per_feature else ()
        self.leaf = {
            "x": torch.randn(m, generator=g, dtype=torch.float64),
            "gamma": torch.randn(shape, generator=g, dtype=torch.float64),
            "beta": torch.randn(shape, generator=g, dtype=torch.float64),
        }
        self.dy = torch.randn(m, generator=g, dtype=torch.float64)
        self.values, self.grads = self._forward()

    def _local(self) -> dict:
        return {
            "mu": (lambda x: x.mean(), ("x",)),
            "var": (lambda x, mu: ((x - mu) ** 2).mean(), ("x", "mu")),
            "sigma": (lambda var: torch.sqrt(var + EPS), ("var",)),
            "x_hat": (lambda x, mu, sigma: (x - mu) / sigma, ("x", "mu", "sigma")),
            "y": (lambda x_hat, gamma, beta: gamma * x_hat + beta, ("x_hat", "gamma", "beta")),
        }

    def _forward(self):
        values = {k: v.clone().requires_grad_(True) for k, v in self.leaf.items()}
        for name, (f, args) in self._local().items():
            values[name] = f(*(values[a] for a in args))
            values[name].retain_grad()
        (self.dy * values["y"]).sum().backward()
        grads = {k: v.grad.detach() for k, v in values.items()}
        grads["y"] = self.dy
        return {k: v.detach() for k, v in values.items()}, grads

    def partial(self, c: sympy.Expr, u: sympy.Expr) -> float:
        """dc/du holding c's other arguments: autograd of c's own definition."""
        (cname, ci), (uname, ui) = _split(c), _split(u)
        f, args = self._local()[cname]
        if uname not in args:
            return 0.0
        inputs = [self.values[a].clone().requires_grad_(a == uname) for a in args]
        out = f(*inputs)
        out = out[ci] if ci is not None else out
        (grad,) = torch.autograd.grad(out, inputs[args.index(uname)], allow_unused=True)
        if grad is None:
            return 0.0
        return float(grad[ui] if ui is not None else grad)

    def value(self, u: sympy.Expr, table: dict) -> float:
        name, index = _split(u)
        v = table[name]
        return float(v[index] if index is not None else v)


def _split(u: sympy.Expr) -> tuple[str, int | None]:
    if isinstance(u, sympy.Indexed):
        name, index = str(u.base), int(u.indices[0])
        return name, (None if name in ("gamma", "beta") and index is None else index)
    return str(u), None


def evaluate(expr: sympy.Expr, size: sympy.Symbol, m: int, at: int, p: TorchPoint) -> float:
    """A printed side at m values and i = at, every symbol by the torch point."""
    expr = expr.subs({size: m, ns.i: at}).doit()
    part = lambda e: sympy.Float(p.partial(*e.args))  # noqa: E731
    grad = lambda e: sympy.Float(p.value(e.args[0], p.grads))  # noqa: E731
    expr = sympy.sympify(expr).replace(lambda e: isinstance(e, ns.Partial), part)
    expr = sympy.sympify(expr).replace(lambda e: isinstance(e, ns.Grad), grad)
    entries = expr.atoms(sympy.Indexed)
    labels = {e.base.label for e in entries}
    scalars = {
        s for s in expr.free_symbols - labels if str(s) in ("mu", "var", "sigma", "gamma", "beta")
    }
    atoms = entries | scalars
    return float(expr.xreplace({a: p.value(a, p.values) for a in atoms} | {ns.eps: EPS}))


@pytest.mark.parametrize("m", [3, 5])
def test_every_step_holds_at_random_values(form, m):
    """Both sides of every step (and of the identity it used) agree at random values."""
    for seed in range(2):
        p = TorchPoint(form.kind, m, seed)
        for step in form.steps:
            claims = [(step.lhs, step.rhs)] + ([step.uses] if step.uses else [])
            for lhs, rhs in claims:
                for at in range(m):
                    left = evaluate(lhs, form.size, m, at, p)
                    right = evaluate(rhs, form.size, m, at, p)
                    assert abs(left - right) <= 1e-9 * max(1.0, abs(left)), (step.rule, at)


def test_a_wrong_step_is_refused(form):
    """The writeup's own proof is not a formality: dC/dx without the mean's path fails."""
    last = form.steps_for("x")[-1]
    wrong = replace(last, rhs=last.rhs - form.compact("mu") / form.size)
    with pytest.raises(ValueError, match="fails"):
        prove_step(form, wrong)


def _compact(form: ns.NormForm) -> sympy.Expr:
    """The textbook compact form, written here as the test's oracle."""
    m, i, j = form.size, ns.i, ns.j

    def g(n: sympy.Expr) -> sympy.Expr:  # gamma dC/dy (layer norm: gamma_n, one per feature)
        return form.gamma.subs(ns.i, n) * ns.Grad(ns.y[n])

    total = sympy.Sum(g(j), (j, 0, m - 1))
    along = sympy.Sum(g(j) * ns.x_hat[j], (j, 0, m - 1))
    return (m * g(i) - total - ns.x_hat[i] * along) / (m * ns.sigma)


def test_the_last_step_is_the_compact_form(form):
    final = form.compact("x")
    assert sympy.simplify(sympy.expand(final - _compact(form))) == 0
    assert form.steps_for("x")[0].rule == "chain rule"
    assert len(form.steps_for("x")) >= 5  # the chain rule, the algebra, the compact form


def _grads(form: ns.NormForm, quantity: str, column: np.ndarray, gamma, beta, dy) -> list:
    """The derived last step of dC/d(quantity) on one feature (or one example)."""
    m = len(column)
    p = TorchPoint(form.kind, m, 0)
    p.leaf = {"x": torch.tensor(column), "gamma": gamma, "beta": beta}
    p.dy = torch.tensor(dy)
    p.values, p.grads = p._forward()
    rhs = form.compact(quantity)
    points = range(m) if ns.i in rhs.free_symbols else [0]
    return [evaluate(rhs, form.size, m, at, p) for at in points]


def test_batchnorm_equals_torch_batchnorm1d():
    form = ns.norm_form("batchnorm")
    rng = np.random.default_rng(1)
    m, n = 6, 3
    x = torch.tensor(rng.normal(size=(m, n)), requires_grad=True)
    dy = rng.normal(size=(m, n))
    bn = torch.nn.BatchNorm1d(n, eps=EPS, dtype=torch.float64).train()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(rng.normal(size=n)))
        bn.bias.copy_(torch.tensor(rng.normal(size=n)))
    (bn(x) * torch.tensor(dy)).sum().backward()
    for k in range(n):
        gamma, beta = bn.weight.detach()[k], bn.bias.detach()[k]
        column = x.detach().numpy()[:, k]
        dx = _grads(form, "x", column, gamma, beta, dy[:, k])
        np.testing.assert_allclose(dx, x.grad[:, k].numpy(), rtol=1e-9, atol=1e-12)
        (dgamma,) = _grads(form, "gamma", column, gamma, beta, dy[:, k])
        (dbeta,) = _grads(form, "beta", column, gamma, beta, dy[:, k])
        np.testing.assert_allclose([dgamma, dbeta], [bn.weight.grad[k], bn.bias.grad[k]], rtol=1e-9)


def test_layernorm_equals_torch_layernorm():
    form = ns.norm_form("layernorm")
    rng = np.random.default_rng(2)
    m, n = 4, 5
    x = torch.tensor(rng.normal(size=(m, n)), requires_grad=True)
    dy = rng.normal(size=(m, n))
    ln = torch.nn.LayerNorm(n, eps=EPS, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.copy_(torch.tensor(rng.normal(size=n)))
        ln.bias.copy_(torch.tensor(rng.normal(size=n)))
    (ln(x) * torch.tensor(dy)).sum().backward()
    gamma, beta = ln.weight.detach(), ln.bias.detach()
    dgamma, dbeta = np.zeros(n), np.zeros(n)
    for e in range(m):
        row = x.detach().numpy()[e]
        dx = _grads(form, "x", row, gamma, beta, dy[e])
        np.testing.assert_allclose(dx, x.grad[e].numpy(), rtol=1e-9, atol=1e-12)
        dgamma += _grads(form, "gamma", row, gamma, beta, dy[e])
        dbeta += _grads(form, "beta", row, gamma, beta, dy[e])
    np.testing.assert_allclose(dgamma, ln.weight.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(dbeta, ln.bias.grad.numpy(), rtol=1e-9)


NETS = {
    "batchnorm": ("3", "dense(3,relu) batchnorm dense(2,softmax)"),
    "layernorm": ("4", "dense(4,tanh) layernorm dense(2,softmax)"),
}


def test_the_writeup_prints_every_proved_step(form):
    shape, spec = NETS[form.kind]
    net = layered_network(shape, spec, "cce")
    blocks = layer_blocks(net, "wikipedia")
    start = blocks.index(Heading(3, f"Layer 2: `{form.kind}`"))
    end = next(n for n in range(start + 1, len(blocks)) if isinstance(blocks[n], Heading))
    mine = blocks[start:end]
    printed = [right for b in mine if isinstance(b, Math) for _, right, _ in b.rows]
    printer = NormPrinter("C")
    assert printed[len(form.definitions) :] == ["= " + printer.doprint(s.rhs) for s in form.steps]
    assert all(s.verified_by.startswith("exactly modulo the definitions") for s in form.steps)
    text = " ".join(getattr(b, "text", "") for b in mine)
    if form.kind == "batchnorm":
        assert "The loss is here a function of the whole batch" in text
        assert "over the $m$ examples" in text
    assert "three paths" in text
    op = "batch_normalised_input_grad" if form.kind == "batchnorm" else "normalised_input_grad"
    assert f"Over a batch this is `{op}(DA, gamma, XHAT, SIGMA)`" in text  # compile's form
    assert "no index-form writeup yet" not in text
    doc = render_layers(net, "ng", "markdown")
    assert "\\frac{\\partial J}{\\partial y_{i}}" in doc  # the notation's cost letter


@needs_pdflatex
def test_the_latex_writeup_compiles(tmp_path, form):
    shape, spec = NETS[form.kind]
    net = layered_network(shape, spec, "cce")
    pdflatex(tmp_path, render_layers(net, "nielsen", "latex"))


@pytest.mark.parametrize("spec", ["dense(3,relu) batchnorm dense(2,softmax)",
                                  "dense(3,tanh) layernorm dense(2,softmax)"])  # fmt: skip
def test_symbp_check_judges_no_printed_norm_step_invalid(spec, tmp_path, capsys) -> None:
    """The checker agrees with the writer on the norm layer's steps: a power of sigma is printed
    as (epsilon + sigma^2)^(k/2), never as sigma^k, which a reader (and the checker) takes for a
    power of the variance."""
    from symbp.cli import main

    text = render_layers(layered_network("3", spec, "cce"), "wikipedia", "markdown")
    path = tmp_path / "norm.md"
    path.write_text(text)
    main(["check", str(path), "--input", "3", "--net", spec, "--loss", "cce"])
    out = capsys.readouterr().out
    assert "INVALID" not in out
    assert "\\sigma^{3}" not in text and "\\frac{\\gamma}{\\sigma^{2}}" not in text
