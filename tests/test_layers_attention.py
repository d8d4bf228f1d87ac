"""attention(d_k) (issue 11): single-head self-attention, derived from its forward equations,
recognised and proved; the compiled NumPy, torch and jax trainers against torch.autograd on an
independently written model (tests.layer_oracles), central differences, |z| = 500."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.compile.backends import load_backend
from symbp.compile.layered import compile_derivation, load_layered_trainer
from symbp.model import layered_network
from tests.layer_oracles import random_batch, random_params, torch_loss_and_gradients

CASES = [
    ("4x3", "attention(2) meanpool dense(2,softmax)", "cce"),
    ("3x3", "residual(attention(3)) last dense(2,sigmoid)", "bce"),
    ("3x2", "dense(3,tanh) attention(3) meanpool dense(1,identity)", "mse"),
]


def _close(got: dict, want: dict) -> None:
    assert set(got) == set(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-10, atol=1e-12, err_msg=key)


def _check(net, seed: int = 1, m: int = 4) -> None:
    trainer = load_layered_trainer(compile_derivation(net))
    params = random_params(net, seed)
    X, Y = random_batch(net, m, seed)
    cost, want = torch_loss_and_gradients(net, params, X, Y)
    assert trainer.loss(params, X, Y) == pytest.approx(cost, rel=1e-10, abs=1e-12)
    _close(trainer.gradients(params, X, Y), want)


@pytest.mark.parametrize(("inp", "spec", "loss"), CASES, ids=[c[1] for c in CASES])
def test_compiled_attention_equals_torch_autograd(inp, spec, loss) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    _check(layered_network(inp, spec, loss))


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.integers(1, 5), d=st.integers(1, 3), d_k=st.integers(1, 4), seed=st.integers(0, 99))
def test_compiled_attention_equals_torch_on_drawn_shapes(steps, d, d_k, seed) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    net = layered_network(f"{steps}x{d}", f"attention({d_k}) meanpool dense(2,softmax)", "cce")
    _check(net, seed)


def test_torch_and_jax_trainers_equal_torch_autograd() -> None:
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
    pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
    import jax

    net = layered_network(*CASES[0])
    der = compile_derivation(net)
    params = random_params(net, 2)
    X, Y = random_batch(net, 3, 2)
    cost, want = torch_loss_and_gradients(net, params, X, Y)
    trainer = load_backend(der, "torch")
    tensors = {k: torch.tensor(v) for k, v in params.items()}
    assert float(trainer.loss(tensors, X, Y)) == pytest.approx(cost, rel=1e-10)
    _close({k: g.numpy() for k, g in trainer.gradients(tensors, X, Y).items()}, want)
    jtrainer = load_backend(der, "jax")  # float64: turns on jax_enable_x64
    got = jtrainer.gradients({k: jax.numpy.asarray(v) for k, v in params.items()}, X, Y)
    _close({k: np.asarray(g) for k, g in got.items()}, want)


def test_central_differences_and_large_inputs() -> None:
    net = layered_network("3x2", "attention(2) meanpool dense(2,softmax)", "cce")
    trainer = load_layered_trainer(compile_derivation(net))
    params = random_params(net, 5)
    X, Y = random_batch(net, 2, 5)
    got, h = trainer.gradients(params, X, Y), 1e-6
    for key, value in params.items():
        for idx in list(np.ndindex(value.shape))[:4]:
            old = value[idx]
            value[idx] = old + h
            up = trainer.loss(params, X, Y)
            value[idx] = old - h
            down = trainer.loss(params, X, Y)
            value[idx] = old
            assert got[key][idx] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8)
    big = {k: np.full_like(v, 10.0) for k, v in params.items()}  # scores near 500 and more
    X = np.full_like(X, 5.0)
    X[:, 0] = -5.0
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isfinite(trainer.loss(big, X, Y))
        assert all(np.isfinite(g).all() for g in trainer.gradients(big, X, Y).values())
