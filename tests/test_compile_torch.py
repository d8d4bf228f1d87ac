"""The compiled gradients against an independent autodiff library: torch.autograd in float64."""

from __future__ import annotations

import numpy as np
import pytest

from symbp.activations import ACTIVATIONS
from symbp.compile import load_trainer
from symbp.model import network
from tests.test_compile import PAIRS, assert_close, batch, random_params

torch = pytest.importorskip(
    "torch", reason="torch is not installed (pip install torch==2.13.0): autograd oracle skipped"
)
F = torch.nn.functional

LEAKY = 0.1
TORCH_ACTIVATIONS = {
    "identity": lambda z: z,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, LEAKY),
    "softplus": F.softplus,
    "softmax": lambda z: torch.softmax(z, dim=1),
}
TORCH_LOSSES = {
    "squared_error": lambda a, y: 0.5 * ((a - y) ** 2).sum(),
    "binary_cross_entropy": lambda a, y: -(y * torch.log(a) + (1 - y) * torch.log(1 - a)).sum(),
    "categorical_cross_entropy": lambda a, y: -(y * torch.log(a)).sum(),
}


def spec(name: str) -> str:
    return f"leaky_relu({LEAKY})" if name == "leaky_relu" else name


def torch_gradients(net, params, X, Y, hidden: str, output: str) -> dict[str, np.ndarray]:
    tensors = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()
    }
    a = torch.tensor(X, dtype=torch.float64)
    for layer in range(1, net.L + 1):
        z = a @ tensors[f"W{layer}"].T + tensors[f"b{layer}"]
        a = TORCH_ACTIVATIONS[output if layer == net.L else hidden](z)
    m = X.shape[0]
    cost = TORCH_LOSSES[net.loss.name](a, torch.tensor(Y, dtype=torch.float64)) / m
    l2 = float(net.l2)
    cost = cost + l2 / (2 * m) * sum((tensors[f"W{i}"] ** 2).sum() for i in range(1, net.L + 1))
    cost.backward()
    return {k: t.grad.numpy() for k, t in tensors.items()}


def test_every_registry_entry_has_a_torch_counterpart() -> None:
    assert set(TORCH_ACTIVATIONS) == set(ACTIVATIONS)
    assert {loss for _, loss in PAIRS} <= set(TORCH_LOSSES)


@pytest.mark.parametrize(("output", "loss"), PAIRS)
@pytest.mark.parametrize("hidden", list(ACTIVATIONS))
def test_compiled_gradients_equal_torch_autograd(hidden: str, output: str, loss: str) -> None:
    net = network([3, 4, 3, 3], spec(hidden), spec(output), loss, l2="0.25")
    params = random_params(net, seed=7)
    X, Y = batch(net, m=6, seed=8)
    got = load_trainer(net).gradients(params, X, Y)
    assert_close(got, torch_gradients(net, params, X, Y, hidden, output))


@pytest.mark.parametrize("sizes", [[784, 64, 10], [20, 32, 32, 5]])
def test_wide_networks_equal_torch_autograd(sizes: list[int]) -> None:
    net = network(sizes, "sigmoid", "softmax", "cce")
    params = random_params(net, seed=9)
    for value in params.values():
        value *= 0.1
    X, Y = batch(net, m=32, seed=10)
    got = load_trainer(net).gradients(params, X, Y)
    assert_close(got, torch_gradients(net, params, X, Y, "sigmoid", "softmax"))
