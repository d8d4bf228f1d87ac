"""The JAX backend against jax.grad of the network written again in plain jax.numpy and against
torch.autograd (when torch is installed), every activation/loss pair, float64 to 1e-10; the
custom_vjp loss and float32 (data parallelism: test_backends_jax_sharding.py)."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from symbp.compile.backends import backend_source, load_backend
from symbp.compile.safety import check_source
from symbp.model import network
from tests.backend_oracles import CASES, assert_close, case, jax_plain_cost, torch_reference

jax = pytest.importorskip(
    "jax", reason="jax is not installed (pip install 'jax[cpu]'): JAX backend skipped"
)
jnp = pytest.importorskip("jax.numpy")
try:
    import torch as TORCH
except ImportError:  # the torch.autograd comparison is skipped; jax.grad's still runs
    TORCH = None


def as_numpy(arrays: dict) -> dict:
    return {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}


@pytest.mark.parametrize(("hidden", "output", "loss"), CASES)
def test_loss_gradients_and_custom_vjp_equal_jax_grad_and_torch(hidden, output, loss) -> None:
    net, params, X, Y = case(hidden, output, loss)
    trainer = load_backend(net, "jax", "float64")
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    want_cost, want = jax.jit(jax.value_and_grad(jax_plain_cost(net, hidden, output)))(
        jparams, X, Y
    )
    want_cost, want = float(want_cost), as_numpy(want)
    assert_close(as_numpy(trainer.gradients(jparams, X, Y)), want, 1e-10)
    # jax.grad of the custom_vjp loss runs the derived backward rule
    cost, grads = jax.jit(jax.value_and_grad(trainer.loss))(jparams, X, Y)
    assert abs(float(cost) - want_cost) <= 1e-10 * max(1, abs(want_cost))
    assert_close(as_numpy(grads), want, 1e-10)
    if TORCH is not None:  # the same network by torch.autograd, an oracle outside JAX
        torch_cost, torch_want = torch_reference(net, params, X, Y, hidden, output)
        assert abs(torch_cost - want_cost) <= 1e-10 * max(1, abs(want_cost))
        assert_close(as_numpy(trainer.gradients(jparams, X, Y)), torch_want, 1e-10)


@pytest.mark.parametrize(("hidden", "output", "loss"), CASES[::4])
def test_step_returns_the_loss_before_and_moves_against_the_gradient(hidden, output, loss) -> None:
    net, params, X, Y = case(hidden, output, loss)
    trainer = load_backend(net, "jax", "float64")
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    plain = jax.jit(jax.value_and_grad(jax_plain_cost(net, hidden, output)))
    want_cost, want = plain(jparams, X, Y)
    want = as_numpy(want)
    moved, before = trainer.step(jparams, X, Y, 0.5)
    assert abs(float(before) - float(want_cost)) <= 1e-10 * max(1, abs(float(before)))
    assert_close(as_numpy(moved), {k: params[k] - 0.5 * want[k] for k in params}, 1e-10)


def test_float32_module_computes_in_float32() -> None:
    net, params, X, Y = case("sigmoid", "softmax", "binary_cross_entropy")
    trainer = load_backend(net, "jax", "float32")
    jparams = {k: jnp.asarray(v, jnp.float32) for k, v in params.items()}
    grads = trainer.gradients(jparams, X, Y)
    assert all(g.dtype == jnp.float32 for g in grads.values())
    want = as_numpy(jax.jit(jax.grad(jax_plain_cost(net, "sigmoid", "softmax")))(jparams, X, Y))
    assert_close(as_numpy(grads), want, 1e-5)


def test_loss_is_reverse_mode_only_and_the_source_imports_jax_only() -> None:
    net = network([2, 3, 2], "tanh", "softmax", "cce")
    trainer = load_backend(net, "jax")
    params = trainer.init_params(seed=0)
    X, Y = np.ones((4, 2)), np.eye(2)[[0, 1, 0, 1]]
    with pytest.raises(TypeError, match="custom_vjp"):  # the price of custom_vjp: no jvp
        jax.jvp(lambda p: trainer.loss(p, X, Y), (params,), (params,))

    # reverse over reverse still works: JAX differentiates the derived backward rule itself
    def squared(grad):
        return lambda p: (grad(p, X, Y)["W1"] ** 2).sum()

    plain = jax_plain_cost(net, "tanh", "softmax")
    second = jax.grad(squared(jax.grad(trainer.loss)))(params)
    assert_close(as_numpy(second), as_numpy(jax.grad(squared(jax.grad(plain)))(params)), 1e-10)
    assert hasattr(trainer.gradients, "lower") and hasattr(trainer.step, "lower")  # jitted
    source = backend_source(net, "jax")
    check_source(source, "jax")
    called = {n.attr for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Attribute)}
    assert not called & {"grad", "vjp", "value_and_grad"}  # the derived backward, no autodiff
    assert 'jax_enable_x64", True' not in backend_source(net, "jax", "float32")
