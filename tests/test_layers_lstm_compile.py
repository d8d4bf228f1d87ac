"""Compiled lstm(n) trainers (NumPy, torch, jax), printed from the proved array form, equal to
torch.autograd on an independently written torch.nn.LSTM model (float64, 1e-10) on drawn shapes;
a step lowers the loss; finite at |z| ~ 500; float32 runs; ``symbp compile`` writes one."""

from __future__ import annotations

import dataclasses
import inspect
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.compile.backends import load_backend
from symbp.compile.layered import compile_derivation, load_layered_trainer
from symbp.compile.layered_lstm import WINDOWS
from symbp.compile.layered_ops import STEP_FORMS, operation, proved_step_form
from symbp.compile.matrix import CompileError
from symbp.model import layered_network

torch = pytest.importorskip("torch", reason="torch is not installed")

HEADS = {"softmax": "cce", "identity": "mse"}
_DERIVED: dict = {}


def derived(steps: int, d: int, n: int, k: int, head: str):  # noqa: ANN201 - a derivation
    key = (steps, d, n, k, head)
    if key not in _DERIVED:
        net = layered_network(f"{steps}x{d}", f"lstm({n}) last dense({k},{head})", HEADS[head])
        _DERIVED[key] = compile_derivation(net)
    return _DERIVED[key]


def problem(net, m: int, seed: int, scale: float = 1.0):  # noqa: ANN001, ANN201
    rng = np.random.default_rng(seed)
    params = {key: rng.uniform(-0.8, 0.8, shape) for key, shape in net.parameter_shapes.items()}
    X = scale * rng.uniform(-1, 1, (m, *net.input_shape))
    k = net.shapes[-1][0]
    Y = np.eye(k)[rng.integers(0, k, m)] if net.loss.assumptions else rng.uniform(-1, 1, (m, k))
    return params, X, Y


def torch_oracle(params: dict, X: np.ndarray, Y: np.ndarray, head: str) -> tuple[float, dict]:
    """nn.LSTM (torch's two biases each half of b), h_T, a dense head; the mean loss."""
    n = params["Wh1"].shape[1]
    lstm = torch.nn.LSTM(X.shape[2], n, batch_first=True).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(params["Wx1"]))
        lstm.weight_hh_l0.copy_(torch.tensor(params["Wh1"]))
        lstm.bias_ih_l0.copy_(torch.tensor(params["b1"]) / 2)
        lstm.bias_hh_l0.copy_(torch.tensor(params["b1"]) / 2)
    w = torch.tensor(params["W3"], requires_grad=True)
    c = torch.tensor(params["b3"], requires_grad=True)
    out, _ = lstm(torch.tensor(X))
    z, y = out[:, -1] @ w.T + c, torch.tensor(Y)
    if head == "softmax":
        cost = -(y * torch.log_softmax(z, dim=1)).sum() / len(X)
    else:
        cost = 0.5 * ((z - y) ** 2).sum() / len(X)
    cost.backward()
    grads = {"Wx1": lstm.weight_ih_l0.grad, "Wh1": lstm.weight_hh_l0.grad,
             "b1": lstm.bias_ih_l0.grad, "W3": w.grad, "b3": c.grad}  # fmt: skip
    return float(cost.detach()), {key: g.numpy() for key, g in grads.items()}


def backend_loss_and_gradients(der, backend: str, params: dict, X, Y):  # noqa: ANN001, ANN201
    if backend == "numpy":
        trainer = load_layered_trainer(der)
        return trainer.loss(params, X, Y), trainer.gradients(params, X, Y)
    trainer = load_backend(der, backend)
    if backend == "torch":
        tensors = {key: torch.tensor(value) for key, value in params.items()}
        grads = trainer.gradients(tensors, X, Y)
        return float(trainer.loss(tensors, X, Y)), {k: g.numpy() for k, g in grads.items()}
    jax = pytest.importorskip("jax", reason="jax is not installed")
    arrays = {key: jax.numpy.asarray(value) for key, value in params.items()}
    grads = trainer.gradients(arrays, X, Y)  # jit-compiled; the loss too (one compile, not
    cost = jax.jit(trainer.loss)(arrays, X, Y)  # every op's in eager mode)
    return float(cost), {k: np.asarray(g) for k, g in grads.items()}


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.integers(2, 4), d=st.integers(1, 3), n=st.integers(1, 3), m=st.integers(1, 4),
    k=st.integers(1, 3), head=st.sampled_from(sorted(HEADS)), seed=st.integers(0, 999),
)  # fmt: skip
def test_compiled_lstm_equals_torch_nn_lstm(steps, d, n, m, k, head, seed) -> None:
    der = derived(steps, d, n, max(k, 2) if head == "softmax" else k, head)
    params, X, Y = problem(der.network, m, seed)
    want_cost, want = torch_oracle(params, X, Y, head)
    for backend in ("numpy", "torch", "jax"):
        cost, got = backend_loss_and_gradients(der, backend, params, X, Y)
        assert cost == pytest.approx(want_cost, rel=1e-10, abs=1e-12), backend
        assert set(got) == set(want), backend
        for key in want:
            np.testing.assert_allclose(
                got[key], want[key], rtol=1e-10, atol=1e-10, err_msg=f"{backend} {key}"
            )


def test_torch_module_backward_is_the_derived_pass() -> None:
    der = derived(4, 3, 3, 2, "softmax")
    params, X, Y = problem(der.network, 5, seed=7)
    want_cost, want = torch_oracle(params, X, Y, "softmax")
    module = load_backend(der, "torch").Network(params)
    cost = module(X, Y)
    cost.backward()
    assert float(cost.detach()) == pytest.approx(want_cost, rel=1e-10)
    for key, parameter in module.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), want[key], rtol=1e-10, atol=1e-10)


def test_stacked_lstms_equal_a_two_layer_nn_lstm() -> None:
    """lstm(3) lstm(3): the second reads the first's whole sequence, as nn.LSTM(num_layers=2)."""
    net = layered_network("4x2", "lstm(3) lstm(3) last dense(2,identity)", "mse")
    params, X, Y = problem(net, 3, seed=11)
    lstm = torch.nn.LSTM(2, 3, num_layers=2, batch_first=True).double()
    with torch.no_grad():
        for layer, p in ((0, 1), (1, 2)):
            getattr(lstm, f"weight_ih_l{layer}").copy_(torch.tensor(params[f"Wx{p}"]))
            getattr(lstm, f"weight_hh_l{layer}").copy_(torch.tensor(params[f"Wh{p}"]))
            getattr(lstm, f"bias_ih_l{layer}").copy_(torch.tensor(params[f"b{p}"]) / 2)
            getattr(lstm, f"bias_hh_l{layer}").copy_(torch.tensor(params[f"b{p}"]) / 2)
    w, c = (torch.tensor(params[k], requires_grad=True) for k in ("W4", "b4"))
    out, _ = lstm(torch.tensor(X))
    cost = 0.5 * ((out[:, -1] @ w.T + c - torch.tensor(Y)) ** 2).sum() / len(X)
    cost.backward()
    want = {"W4": w.grad, "b4": c.grad}
    for layer, p in ((0, 1), (1, 2)):
        want |= {f"Wx{p}": getattr(lstm, f"weight_ih_l{layer}").grad,
                 f"Wh{p}": getattr(lstm, f"weight_hh_l{layer}").grad,
                 f"b{p}": getattr(lstm, f"bias_ih_l{layer}").grad}  # fmt: skip
    trainer = load_layered_trainer(compile_derivation(net))
    assert trainer.loss(params, X, Y) == pytest.approx(float(cost.detach()), rel=1e-10)
    got = trainer.gradients(params, X, Y)
    assert set(got) == set(want)
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value.numpy(), rtol=1e-10, atol=1e-10, err_msg=key)


@pytest.mark.parametrize("head", sorted(HEADS))
def test_a_step_lowers_the_loss(head) -> None:
    der = derived(5, 3, 4, 2, head)
    trainer = load_layered_trainer(der)
    params, X, Y = problem(der.network, 8, seed=3)
    before = trainer.step(params, X, Y, lr=0.1)
    assert trainer.loss(params, X, Y) < before


def test_finite_when_the_gates_saturate() -> None:
    """Inputs scaled so that |z| ~ 500: every gate saturated, no overflow, finite gradients."""
    der = derived(4, 3, 3, 2, "softmax")
    trainer = load_layered_trainer(der)
    params, X, Y = problem(der.network, 6, seed=5, scale=500.0)
    z = X[:, 0] @ params["Wx1"].T + params["b1"]
    assert np.abs(z).max() > 200
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would be a RuntimeWarning
        cost, grads = trainer.loss(params, X, Y), trainer.gradients(params, X, Y)
    assert np.isfinite(cost) and all(np.isfinite(g).all() for g in grads.values())
    torch_cost, torch_grads = backend_loss_and_gradients(der, "torch", params, X, Y)
    assert np.isfinite(torch_cost) and all(np.isfinite(g).all() for g in torch_grads.values())


def test_float32_trainer_runs() -> None:
    der = derived(5, 3, 4, 2, "softmax")
    trainer = load_layered_trainer(der, "float32")
    params = trainer.init_params(seed=0)
    _, X, Y = problem(der.network, 8, seed=2)
    grads = trainer.gradients(params, X, Y)
    assert all(g.dtype == np.float32 and np.isfinite(g).all() for g in grads.values())
    before = trainer.step(params, X, Y, lr=0.5)
    assert np.isfinite(before) and trainer.loss(params, X, Y) < before


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_float32_framework_trainers_run(backend) -> None:
    if backend == "jax":
        pytest.importorskip("jax", reason="jax is not installed")
    der = derived(2, 2, 3, 2, "softmax")
    trainer = load_backend(der, backend, "float32")
    params = trainer.init_params(seed=0)
    _, X, Y = problem(der.network, 4, seed=2)
    if backend == "torch":
        before = trainer.step(params, X, Y, 0.5)
        after = trainer.loss(params, X, Y)
    else:  # the loss after the step from the same jit-compiled step (one compile)
        params, before = trainer.step(params, X, Y, 0.5)
        after = trainer.step(params, X, Y, 0.5)[1]
    assert all(str(value.dtype).endswith("float32") for value in params.values())
    assert np.isfinite(float(before)) and float(after) < float(before)


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_each_windowed_operation_equals_the_whole_sequence_call(name) -> None:
    """What the time loops rely on: step t of an operation called on its window (steps t-1, t
    or t, t+1) is step t of the call on the whole sequence, at every step."""
    function, (window, at) = operation(name), WINDOWS[name]
    rng = np.random.default_rng(0)
    count = len(inspect.signature(function).parameters)
    shapes = {"recurrent_affine": [(2, 5, 3), (2, 5, 4), (4, 3), (4, 4), (4,)],
              "shifted_matmul": [(2, 5, 4), (4, 4)]}.get(name, [(2, 5, 3)] * count)  # fmt: skip
    args = [rng.normal(size=shape) for shape in shapes]
    whole = function(*args)
    for t in range(5):
        cut = slice(max(t - 1, 0), t + 1) if window == "back" else slice(t, t + 2)
        part = function(*(a[:, cut] if a.ndim == 3 else a for a in args))
        np.testing.assert_allclose(part[:, int(at)], whole[:, t], rtol=0, atol=1e-14)
        # as the loops call it: the time-major window, one sequence whose rows are the batch
        major = function(*(a.transpose(1, 0, 2)[None, cut] if a.ndim == 3 else a for a in args))
        np.testing.assert_allclose(major[0, int(at)], whole[:, t], rtol=0, atol=1e-14)


@pytest.mark.parametrize("name", sorted(STEP_FORMS))
def test_each_step_form_is_proved_and_a_wrong_one_refused(name, monkeypatch) -> None:
    from symbp.compile import layered_ops

    assert proved_step_form(name) is STEP_FORMS[name]
    form = STEP_FORMS[name]
    step = form.step.replace("t + 1]", "t]").replace("t - 1]", "t]")  # a neighbour read as t
    wrong = dataclasses.replace(form, step=step)
    assert wrong != form
    monkeypatch.setitem(layered_ops.STEP_FORMS, name, wrong)
    layered_ops.proved_step_form.cache_clear()
    with pytest.raises(CompileError, match="step form"):
        layered_ops.proved_step_form(name)
    monkeypatch.undo()
    layered_ops.proved_step_form.cache_clear()


def test_cli_compiles_an_lstm_and_will_not_overwrite(tmp_path, capsys) -> None:
    from symbp.cli import main

    out = tmp_path / "x.py"
    argv = ["compile", "--input", "5x3", "--net", "lstm(4) last dense(2,softmax)", "--loss", "cce"]
    assert main([*argv, "-o", str(out)]) == 0
    assert "(DC1T[t + 1] * FG1T[t + 1] if t + 1 < DC1T.shape[0] else 0.0)" in out.read_text()
    capsys.readouterr()
    assert main([*argv, "-o", str(out)]) != 0
    err = capsys.readouterr().err
    assert "will not overwrite" in err and err.count("\n") == 1 and "Traceback" not in err


def test_kept_work_arrays_are_zeroed_and_reused_between_passes() -> None:
    net = layered_network("4x3", "lstm(3) last dense(2,softmax)", "cce")
    trainer = load_layered_trainer(compile_derivation(net))
    kept = trainer._work("key", (2, 3), np.zeros(1))
    kept += 1.0
    again = trainer._work("key", (2, 3), np.zeros(1))
    assert again is kept and not again.any()
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(5, 4, 3)), np.eye(2)[rng.integers(0, 2, 5)]
    params = trainer.init_params(1)
    first = trainer.gradients(params, X, Y)
    trainer.gradients(params, rng.normal(size=(5, 4, 3)), Y)  # the kept arrays overwritten
    second = trainer.gradients(params, X, Y)
    assert all(np.array_equal(first[k], second[k]) for k in first)
