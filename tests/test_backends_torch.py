"""The PyTorch backend against torch.autograd on the same network written independently.

Covers every activation/loss pair (tests.backend_oracles.CASES) in float64 to 1e-10 and in
float32, the nn.Module's registered backward (custom_op), gradcheck and the source itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from symbp.compile.backends import backend_source, load_backend
from symbp.compile.matrix import CompileError
from symbp.compile.safety import check_source
from symbp.model import network
from tests.backend_oracles import CASES, assert_close, case, torch_reference

torch = pytest.importorskip(
    "torch", reason="torch is not installed (pip install torch==2.13.0): torch backend skipped"
)


def as_tensors(params: dict, dtype=None) -> dict:
    return {k: torch.tensor(v, dtype=dtype or torch.float64) for k, v in params.items()}


def as_numpy(tensors: dict) -> dict:
    return {k: t.detach().numpy().astype(np.float64) for k, t in tensors.items()}


@pytest.mark.parametrize(("hidden", "output", "loss"), CASES)
def test_loss_gradients_module_and_step_equal_torch_autograd(hidden, output, loss) -> None:
    net, params, X, Y = case(hidden, output, loss)
    want_cost, want = torch_reference(net, params, X, Y, hidden, output)
    trainer = load_backend(net, "torch")
    tensors = as_tensors(params)
    assert abs(float(trainer.loss(tensors, X, Y)) - want_cost) <= 1e-10 * max(1, abs(want_cost))
    assert_close(as_numpy(trainer.gradients(tensors, X, Y)), want, 1e-10)
    # the nn.Module: its cost's backward() is the registered derived backward
    module = trainer.Network(params)
    assert [name for name, _ in module.named_parameters()] == list(trainer.NAMES)
    cost = module(X, Y)
    cost.backward()
    assert abs(float(cost.detach()) - want_cost) <= 1e-10 * max(1, abs(want_cost))
    assert_close({k: p.grad.numpy() for k, p in module.named_parameters()}, want, 1e-10)
    # step: in place, the loss before it, w - lr * gradient
    before = trainer.step(tensors, X, Y, 0.5)
    assert abs(float(before) - want_cost) <= 1e-10 * max(1, abs(want_cost))
    moved = {k: params[k] - 0.5 * want[k] for k in params}
    assert_close(as_numpy(tensors), moved, 1e-10)


@pytest.mark.parametrize(("hidden", "output", "loss"), CASES[5:9])
def test_float32_follows_float64(hidden, output, loss) -> None:
    net, params, X, Y = case(hidden, output, loss)
    _, want = torch_reference(net, params, X, Y, hidden, output)
    trainer = load_backend(net, "torch", "float32")
    grads = trainer.gradients(as_tensors(params, torch.float32), X, Y)
    assert all(g.dtype == torch.float32 for g in grads.values())
    assert_close(as_numpy(grads), want, 1e-5)


@pytest.mark.parametrize(("hidden", "output", "loss"), [CASES[8], CASES[11]])
def test_gradcheck_passes_on_the_operator(hidden, output, loss) -> None:
    net, params, X, Y = case(hidden, output, loss)
    trainer = load_backend(net, "torch")
    X, Y = torch.tensor(X), torch.tensor(Y)
    weights = tuple(torch.tensor(params[n], requires_grad=True) for n in trainer.NAMES)
    assert torch.autograd.gradcheck(lambda *w: trainer.cost_op(X, Y, *w)[0], weights)


def test_gradients_and_step_record_no_autograd_tape() -> None:
    net, params, X, Y = case("tanh", "softmax", "categorical_cross_entropy")
    trainer = load_backend(net, "torch")
    tensors = {k: v.requires_grad_() for k, v in as_tensors(params).items()}
    grads = trainer.gradients(tensors, X, Y)
    assert all(g.grad_fn is None and not g.requires_grad for g in grads.values())
    before = trainer.step(tensors, X, Y, 0.1)
    assert before.grad_fn is None and all(t.grad is None for t in tensors.values())


def test_source_imports_torch_only_and_carries_the_numpy_comments() -> None:
    net = network([2, 3, 2], "sigmoid", "softmax", "cce", l2="0.1")
    source = backend_source(net, "torch", style="nielsen")
    check_source(source, "torch")
    with pytest.raises(CompileError, match="only numpy"):
        check_source(source, "numpy")
    comments = {line.strip() for line in backend_source(net, "numpy", style="nielsen").splitlines()}
    equations = {c for c in comments if c.startswith(("# \\delta", "# z", "# a", "# dC/d"))}
    assert equations and equations <= {line.strip() for line in source.splitlines()}


def test_two_networks_in_one_process_keep_their_own_operators() -> None:
    first = load_backend(network([2, 2, 1], "tanh", "sigmoid", "bce"), "torch")
    second = load_backend(network([2, 3, 1], "relu", "sigmoid", "bce"), "torch")
    assert first.OP_NAME != second.OP_NAME
    X, Y = np.ones((3, 2)), np.ones((3, 1))
    for trainer in (first, second):
        module = trainer.network_module(seed=1)
        module(X, Y).backward()
        derived = trainer.gradients(dict(module.named_parameters()), X, Y)
        assert all(torch.equal(p.grad, derived[k]) for k, p in module.named_parameters())


def test_a_custom_activation_prints_through_the_same_table() -> None:
    import sympy

    from symbp.activations import custom_activation
    from symbp.compile import load_trainer
    from tests.test_compile import batch, random_params

    t = sympy.Symbol("t")
    net = network([3, 4, 2], custom_activation("t / (1 + exp(-t))", t, name="s"), "softmax", "cce")
    params, (X, Y) = random_params(net, seed=1), batch(net, m=5, seed=2)
    got = load_backend(net, "torch").gradients(as_tensors(params), X, Y)
    assert_close(as_numpy(got), load_trainer(net).gradients(params, X, Y), 1e-12)
