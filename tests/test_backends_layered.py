"""Layered trainers on the torch and jax backends (printed from the same proved array form as
the NumPy trainer) against autodiff of independently written models: torch.autograd
(tests.layer_oracles) and jax.grad (tests.layer_oracles_jax), float64 to 1e-10."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from symbp.compile.backends import backend_source, load_backend
from symbp.compile.layered import compile_derivation
from symbp.compile.safety import check_source
from symbp.model import layered_network
from tests.layer_oracles import random_batch, random_params, torch_loss_and_gradients

CASES = [
    ("1x8x8", "conv2d(2,3,relu) maxpool2d(2) flatten dense(3,softmax)", "cce"),
    ("2x7", "conv1d(2,2,tanh,stride=2,padding=1) avgpool1d(2) flatten dense(2,sigmoid)", "bce"),
    ("1x7x7", "conv2d(2,3,sigmoid,stride=2) avgpool2d(2) flatten dense(2,identity)", "mse"),
    ("4", "residual(dense(4,tanh)) dense(2,identity)", "mse"),
    ("5x3", "rnn(4) last dense(2,softmax)", "cce"),
    ("5x4", "dense(6,tanh) layernorm residual(layernorm) meanpool dense(3,softmax)", "cce"),
    ("4", "dense(5,relu) batchnorm dense(2,sigmoid)", "bce"),
]  # fmt: skip
_DERIVED: dict = {}


def derived(case):  # noqa: ANN001, ANN201 - a LayeredDerivation, once per case
    if case not in _DERIVED:
        _DERIVED[case] = compile_derivation(layered_network(*case))
    return _DERIVED[case]


def problem(case, seed: int = 3, m: int = 5):  # noqa: ANN001, ANN201
    net = derived(case).network
    X, Y = random_batch(net, m, seed)
    return net, random_params(net, seed), X, Y


def close(got: dict, want: dict, tol: float) -> None:
    assert set(got) == set(want)
    for key in want:
        np.testing.assert_allclose(np.asarray(got[key]), want[key], rtol=tol, atol=tol, err_msg=key)


@pytest.mark.parametrize("case", CASES, ids=[c[1] for c in CASES])
def test_torch_trainer_equals_torch_autograd(case) -> None:
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
    net, params, X, Y = problem(case)
    want_cost, want = torch_loss_and_gradients(net, params, X, Y)
    trainer = load_backend(derived(case), "torch")
    tensors = {k: torch.tensor(v) for k, v in params.items()}
    assert float(trainer.loss(tensors, X, Y)) == pytest.approx(want_cost, rel=1e-10, abs=1e-12)
    close({k: g.numpy() for k, g in trainer.gradients(tensors, X, Y).items()}, want, 1e-10)
    module = trainer.Network(params)  # the nn.Module: backward() is the registered derived one
    cost = module(X, Y)
    cost.backward()
    assert float(cost.detach()) == pytest.approx(want_cost, rel=1e-10, abs=1e-12)
    close({k: p.grad.numpy() for k, p in module.named_parameters()}, want, 1e-10)
    before = trainer.step(tensors, X, Y, 0.1)  # in place; the loss before it
    assert float(before) == pytest.approx(want_cost, rel=1e-10)
    moved = {k: params[k] - 0.1 * want[k] for k in want}
    close({k: t.numpy() for k, t in tensors.items()}, moved, 1e-10)
    assert float(trainer.loss(tensors, X, Y)) < float(before)


@pytest.mark.parametrize("case", CASES, ids=[c[1] for c in CASES])
def test_jax_trainer_equals_jax_grad(case) -> None:
    jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
    from tests.layer_oracles_jax import jax_cost

    net, params, X, Y = problem(case)
    trainer = load_backend(derived(case), "jax")  # float64: turns on jax_enable_x64
    arrays = {k: jax.numpy.asarray(v) for k, v in params.items()}
    want_cost, want = jax.value_and_grad(jax_cost(net))(arrays, X, Y)
    want = {k: np.asarray(v) for k, v in want.items()}
    assert float(trainer.loss(arrays, X, Y)) == pytest.approx(float(want_cost), rel=1e-10)
    close(trainer.gradients(arrays, X, Y), want, 1e-10)
    close(jax.grad(trainer.loss)(arrays, X, Y), want, 1e-10)  # custom_vjp: the derived rule
    new, before = trainer.step(arrays, X, Y, 0.1)
    assert float(before) == pytest.approx(float(want_cost), rel=1e-10)
    close(new, {k: params[k] - 0.1 * want[k] for k in want}, 1e-10)
    assert float(trainer.loss(new, X, Y)) < float(before)


def test_float32_trainers_follow_float64() -> None:
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
    jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
    case = CASES[0]
    net, params, X, Y = problem(case)
    _, want = torch_loss_and_gradients(net, params, X, Y)
    trainer = load_backend(derived(case), "torch", "float32")
    single = {k: torch.tensor(v, dtype=torch.float32) for k, v in params.items()}
    grads = trainer.gradients(single, X, Y)
    assert all(g.dtype == torch.float32 for g in grads.values())
    close({k: g.numpy() for k, g in grads.items()}, want, 1e-5)
    trainer = load_backend(derived(case), "jax", "float32")
    grads = trainer.gradients({k: jax.numpy.asarray(v, "float32") for k, v in params.items()}, X, Y)
    assert all(g.dtype == np.float32 for g in grads.values())
    close(grads, want, 1e-5)


def test_gradcheck_passes_on_the_layered_operator() -> None:
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
    case = CASES[4]
    net, params, X, Y = problem(case, m=3)
    trainer = load_backend(derived(case), "torch")
    X, Y = torch.tensor(X), torch.tensor(Y)
    weights = tuple(torch.tensor(params[n], requires_grad=True) for n in trainer.NAMES)
    assert torch.autograd.gradcheck(lambda *w: trainer.cost_op(X, Y, *w)[0], weights)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_the_module_imports_its_framework_only_and_no_autodiff(backend) -> None:
    source = backend_source(derived(CASES[0]), backend)  # printing needs no framework
    check_source(source, backend)
    names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    assert "np" not in names and "import numpy" not in source
    for autodiff in ("jax.grad", "value_and_grad", "jax.vjp", ".backward(", "autograd.grad"):
        assert autodiff not in source
    assert "def correlate_input_delta(X, D, k, stride, padding, key=None):" in source  # proved


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_compile_cli_writes_a_layered_module_that_trains(backend, tmp_path) -> None:
    from symbp.cli import main
    from symbp.compile.backends import load_source

    inp, spec, loss = CASES[3]
    out = tmp_path / f"{backend}_layered.py"
    flags = ["--input", inp, "--net", spec, "--loss", loss, "--backend", backend]
    assert main(["compile", *flags, "-o", str(out)]) == 0
    pytest.importorskip(backend, reason=f"{backend} is not installed: its module is not run")
    trainer = load_source(out.read_text(), backend)
    params = trainer.init_params(seed=0)
    _, _, X, Y = problem(CASES[3], m=8)
    first = trainer.loss(params, X, Y)
    for _ in range(20):
        result = trainer.step(params, X, Y, 0.1)
        params = result[0] if backend == "jax" else params
    assert float(trainer.loss(params, X, Y)) < float(first)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_init_params_of_normalisations_match_numpy(backend) -> None:
    """gamma starts at ones and beta at zeros on every backend (PyTorch's initialisation); the
    1-d shapes of a normalisation's parameters do not trip the Glorot fan computation."""
    pytest.importorskip(backend, reason=f"{backend} is not installed: its module is not run")
    from symbp.compile import load_trainer

    net = layered_network("6", "dense(5,tanh) batchnorm layernorm dense(3,softmax)", "cce")
    ours = load_backend(net, backend, "float64").init_params(0)
    reference = load_trainer(net, "float64").init_params(0)
    assert set(ours) == set(reference)
    for key, value in reference.items():
        assert tuple(np.asarray(ours[key]).shape) == value.shape
        if key.startswith(("gamma", "beta")):
            assert np.array_equal(np.asarray(ours[key]), value), key
