"""The writeup of lstm(n): every printed step re-proved here, apart from symbp's own proof (on
T = 3, d = 3, n = 2), numerically at random values on an instance of another size (T = 4, d = 2,
n = 3): the arrays from an independent torch model whose output is checked against
torch.nn.LSTM, the gradient dC/d(array) of every intermediate from torch.autograd of that model
(C = sum G * h, G random) and of the parameters and the input from torch.nn.LSTM's own autograd,
every local derivative dR/dtheta from torch's Jacobian of R's own formula, and both sides of each
step equal at every value of its free indices (a first, middle and last time step among them);
the first side of each block is the autograd gradient itself, so the last is too."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from pathlib import Path

import pytest
import sympy
import torch

from symbp.derive import layer_index_lstm as ll
from symbp.derive.layer_index import C
from symbp.derive.layer_index_lstm_proof import LstmInstance
from symbp.derive.layer_index_multi_proof import StepNotProved, prove_step
from symbp.latex.writeup_layers import render_layers
from symbp.latex.writeup_lstm import LstmPrinter
from symbp.layers.lstm import Lstm
from symbp.model import layered_network
from tests.latex_tools import needs_pdflatex, overfull, pdflatex, unbroken

T_, D_, N_ = 4, 2, 3
GATES = "ifgo"


def _shift(a: torch.Tensor) -> torch.Tensor:
    """a_{t-1} at row t, 0 at row 0 (h_{-1} = c_{-1} = 0)."""
    return torch.cat([torch.zeros_like(a[:1]), a[:-1]])


def _local(name: str):
    """Each array's own formula of the whole arrays it reads (torch), and what it reads."""
    if name.startswith("z"):
        q = GATES.index(name[1])
        rows = slice(q * N_, (q + 1) * N_)
        return (lambda Wx, Wh, b, x, h: x @ Wx[rows].T + _shift(h) @ Wh[rows].T + b[rows],
                ("Wx", "Wh", "b", "x", "h"))  # fmt: skip
    act = {"g": torch.tanh, "s": torch.tanh}.get(name, torch.sigmoid)
    return {
        "c": (lambda f, c, i, g: f * _shift(c) + i * g, ("f", "c", "i", "g")),
        "s": (lambda c: torch.tanh(c), ("c",)),
        "h": (lambda o, s: o * s, ("o", "s")),
        "a": (lambda h: h, ("h",)),
    }.get(name, (act, (f"z{name}",)))


class _Model:
    """The LSTM in torch, step by step; every array, and dC/d(array) from autograd."""

    def __init__(self) -> None:
        torch.manual_seed(1)
        lstm = torch.nn.LSTM(D_, N_, dtype=torch.float64)
        x = torch.randn(T_, D_, dtype=torch.float64, requires_grad=True)
        Wx, Wh = lstm.weight_ih_l0, lstm.weight_hh_l0
        b = lstm.bias_ih_l0 + lstm.bias_hh_l0
        steps: dict[str, list] = {n: [] for n in ("zi", "zf", "zg", "zo", *GATES, "c", "s", "h")}
        h = c = torch.zeros(N_, dtype=torch.float64)
        for t in range(T_):
            z = Wx @ x[t] + Wh @ h + b
            for q, gate in enumerate(GATES):
                steps[f"z{gate}"].append(z[q * N_ : (q + 1) * N_])
                act = torch.tanh if gate == "g" else torch.sigmoid
                steps[gate].append(act(steps[f"z{gate}"][-1]))
            i, f, g, o = (steps[gate][-1] for gate in GATES)
            c = f * c + i * g
            s = torch.tanh(c)
            h = o * s
            for name, value in (("c", c), ("s", s), ("h", h)):
                steps[name].append(value)
        G = torch.randn(T_, N_, dtype=torch.float64)
        a = torch.stack(steps["h"])
        out, _ = lstm(x)
        assert torch.allclose(a, out, atol=1e-12)  # the model is torch's LSTM
        flat = [v for name in steps for v in steps[name]]
        grads = torch.autograd.grad((a * G).sum(), flat, retain_graph=True)
        self.arrays = {name: torch.stack(v).detach() for name, v in steps.items()}
        self.grads, start = {}, 0
        for name, values in steps.items():
            self.grads[name] = torch.stack(grads[start : start + len(values)])
            start += len(values)
        (out * G).sum().backward()  # the parameters' and the input's: torch.nn.LSTM's own
        self.arrays.update({"a": a.detach(), "x": x.detach(), "Wx": Wx.detach(),
                            "Wh": Wh.detach(), "b": b.detach()})  # fmt: skip
        self.grads.update(
            {"a": G, "x": x.grad, "Wx": Wx.grad, "Wh": Wh.grad, "b": lstm.bias_ih_l0.grad}
        )
        assert torch.allclose(lstm.bias_ih_l0.grad, lstm.bias_hh_l0.grad, atol=1e-14)
        self.sizes = {ll.T: T_, ll.D: D_, ll.N: N_}
        self.primal = {str(g): str(p) for p, g in ll.GRADIENTS.items()}
        self.jacobians: dict = {}

    def value(self, name: str, idx: tuple[int, ...], grad: bool = False) -> float:
        array = (self.grads if grad else self.arrays)[name]
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
            f, inputs = _local(name)
            jac = torch.autograd.functional.jacobian(f, tuple(self.arrays[i] for i in inputs))
            self.jacobians[name, wrt] = jac[inputs.index(wrt)]
        out = tuple(int(i) for i in num.indices)
        if not all(0 <= i < n for i, n in zip(out + idx, self.jacobians[name, wrt].shape,
                                              strict=True)):  # fmt: skip
            return 0.0
        return float(self.jacobians[name, wrt][out + idx])

    def __call__(self, expr: sympy.Expr, values: dict) -> float:
        expr = _unrolled(expr.xreplace(self.sizes).xreplace(values))
        expr = expr.xreplace({d: sympy.Float(self.derivative(d.expr, d.variables[0]))
                              for d in expr.atoms(sympy.Derivative)})  # fmt: skip
        entries = {}
        for e in expr.atoms(sympy.Indexed):
            base, idx = str(e.base), tuple(int(i) for i in e.indices)
            entries[e] = (self.value(self.primal[base], idx, grad=True) if base in self.primal
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


def _spans(form, free, first: sympy.Expr, sizes: dict) -> list[dict]:
    ranges = form.stated.ranges_of(first)
    spans = [range(int(ranges[s][0]), int(sympy.sympify(ranges[s][1]).xreplace(sizes)) + 1)
             for s in free]  # fmt: skip
    return [dict(zip(free, map(sympy.Integer, v), strict=True)) for v in itertools.product(*spans)]


def test_every_step_holds_numerically_against_torch_lstm() -> None:
    start = time.perf_counter()
    form, model = ll.lstm_form(), _Model()
    for lhs, rhs in form.stated.equations:  # the forward equations, as torch computes
        free = [s for s in lhs.indices if isinstance(s, sympy.Symbol)]
        for values in _spans(form, free, lhs, model.sizes):
            assert model(lhs, values) == pytest.approx(model(rhs, values), abs=1e-12), lhs
    checked = 0
    for step in form.steps:
        assert step.verified_by.startswith("every entry of an instance"), step
        first = form.steps_for(step.quantity)[0].lhs
        spans = _spans(form, step.free, first, model.sizes)
        assert {int(v[ll.t]) for v in spans if ll.t in v} in (set(), set(range(T_)))
        for values in spans:
            left, right = model(step.lhs, values), model(step.rhs, values)
            assert left == pytest.approx(right, abs=1e-10), (step.quantity, step.rule, values)
            checked += 1
    for quantity in form.quantities():  # one chain from the autograd gradient to its last form
        steps = form.steps_for(quantity)
        assert steps[0].lhs.has(C)
        for before, after in zip(steps, steps[1:], strict=False):
            assert after.lhs == before.rhs
    assert checked > 300 and time.perf_counter() - start < 45


def test_the_derived_steps_are_the_textbook_ones() -> None:
    form = ll.lstm_form()
    t, j = ll.t, ll.j
    d = ll.GRADIENTS
    assert form.quantities() == ["h", "s", "o", "c", "i", "f", "g", "zi", "zf", "zg", "zo",
                                 "Wx", "Wh", "b", "input"]  # fmt: skip
    cell = form.steps_for("c")[-1].rhs
    assert sympy.expand(cell - (d[ll.s][t, j] * (1 - ll.s[t, j] ** 2)
                                + d[ll.c][t + 1, j] * ll.GATE["f"][t + 1, j])) == 0  # fmt: skip
    assert ll.carousel_term() == d[ll.c][t + 1, j] * ll.GATE["f"][t + 1, j]
    hidden = form.steps_for("h")[-1].rhs
    assert d[ll.a][t, j] in sympy.Add.make_args(hidden)
    assert {e for e in hidden.atoms(sympy.Indexed) if str(e.base).startswith("dz")} == {
        d[ll.PRE[g]][t + 1, ll.k] for g in GATES
    }
    assert form.steps_for("zf")[-1].rhs == d[ll.GATE["f"]][t, j] * ll.GATE["f"][t, j] * (
        1 - ll.GATE["f"][t, j]
    )


def test_a_wrong_step_is_refused() -> None:
    form = ll.lstm_form()
    inst = LstmInstance(Lstm(2), (3, 3))
    t, j = ll.t, ll.j
    f, dc = ll.GATE["f"], ll.GRADIENTS[ll.c]

    def refused(quantity: str, wrong) -> None:
        last = form.steps_for(quantity)[-1]
        with pytest.raises(StepNotProved, match="fails at"):
            prove_step(form.stated, replace(last, rhs=wrong(last.rhs)), inst,
                       form.steps_for(quantity)[0].lhs)  # fmt: skip

    refused("c", lambda r: r - dc[t + 1, j] * f[t + 1, j])  # the carousel left out
    refused("c", lambda r: r.xreplace({f[t + 1, j]: f[t, j]}))  # this step's forget gate
    refused("h", lambda r: r.xreplace({t + 1: t}))  # the recursion at the same step
    refused("zi", lambda r: r.xreplace({1 - ll.GATE["i"][t, j]: 1 + ll.GATE["i"][t, j]}))
    refused("Wh", lambda r: r.xreplace({ll.tau - 1: ll.tau}))  # h_t instead of h_{t-1}


def test_markdown_prints_every_step_and_the_carousel() -> None:
    net = layered_network("4x2", "lstm(2) last dense(2,softmax)", "cce")
    text = render_layers(net, "wikipedia", "markdown")
    section = unbroken(text).split("### Layer 1: `lstm(2)`")[1].split("### ")[0]
    assert "no index-form writeup yet" not in section
    printer = LstmPrinter(1, "wikipedia")
    form = ll.lstm_form()
    for step in form.steps:
        assert printer.doprint(step.rhs) in section, (step.quantity, step.rule)
    carousel = printer.doprint(ll.carousel_term())
    assert (
        f"The second term, ${carousel}$, is the constant error carousel through the forget "
        "gate" in section.replace("$`", "$").replace("`$", "$")
    )
    assert "the recursion of" in section and "through time" in section
    assert "`through_cell_tanh(DS, S)` + `carousel(DC, FG)`" in section
    assert "`shifted_matmul(DZ, Wh)`" in section and "`gate_preactivation_grad(" in section
    assert "\\sigma\\left({z^{(f)}}_{t,j}^{1}\\right)" in section


@needs_pdflatex
def test_latex_compiles_and_fits(tmp_path: Path) -> None:
    net = layered_network("4x2", "lstm(2) last dense(2,softmax)", "cce")
    tex = render_layers(net, "nielsen", "latex")
    assert "constant error carousel through the forget gate" in tex
    log = pdflatex(tmp_path, tex, "lstm.tex")
    assert overfull(log) == []
