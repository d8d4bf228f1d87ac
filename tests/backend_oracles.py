"""Oracles for the JAX and PyTorch backends: each network written again, by hand, in plain
PyTorch (differentiated by torch.autograd) and in plain jax.numpy (differentiated by jax.grad).

CASES pairs every (output activation, loss) pair of the registries with a hidden activation,
rotating through the hidden activations, so that a dozen networks cover every entry of both.
"""

from __future__ import annotations

import numpy as np

from symbp.activations import ACTIVATIONS
from symbp.losses import fitting_pairs
from symbp.model import network
from tests.test_compile import batch, random_params

LEAKY = 0.1
HIDDEN = list(ACTIVATIONS)
CASES = [(HIDDEN[i % len(HIDDEN)], out, loss) for i, (out, loss) in enumerate(fitting_pairs())]
CASES += [(h, "softmax", "categorical_cross_entropy") for h in HIDDEN[len(CASES) :]]


def spec(name: str) -> str:
    return f"leaky_relu({LEAKY})" if name == "leaky_relu" else name


def case(hidden: str, output: str, loss: str, l2: str = "0.25", seed: int = 7):
    """The network [3, 4, 3, 3] of a case, random parameters (NumPy) and a batch of 6 rows."""
    net = network([3, 4, 3, 3], spec(hidden), spec(output), loss, l2=l2)
    X, Y = batch(net, m=6, seed=seed + 1)
    return net, random_params(net, seed=seed), X, Y


def torch_reference(net, params, X, Y, hidden: str, output: str):
    """(cost, gradients) of the network by torch.autograd, everything as float64 NumPy."""
    import torch

    from tests.test_compile_torch import TORCH_ACTIVATIONS, TORCH_LOSSES

    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    a = torch.tensor(X)
    for layer in range(1, net.L + 1):
        z = a @ tensors[f"W{layer}"].T + tensors[f"b{layer}"]
        a = TORCH_ACTIVATIONS[output if layer == net.L else hidden](z)
    m = X.shape[0]
    cost = TORCH_LOSSES[net.loss.name](a, torch.tensor(Y)) / m
    l2 = float(net.l2)
    cost = cost + l2 / (2 * m) * sum((tensors[f"W{i}"] ** 2).sum() for i in range(1, net.L + 1))
    cost.backward()
    return float(cost.detach()), {k: t.grad.numpy() for k, t in tensors.items()}


def jax_activations():
    import jax
    import jax.numpy as jnp

    return {
        "identity": lambda z: z,
        "sigmoid": jax.nn.sigmoid,
        "tanh": jnp.tanh,
        "relu": jax.nn.relu,
        "leaky_relu": lambda z: jax.nn.leaky_relu(z, LEAKY),
        "softplus": jax.nn.softplus,
        "softmax": lambda z: jax.nn.softmax(z, axis=1),
    }


def jax_plain_cost(net, hidden: str, output: str):
    """cost(params, X, Y) in plain jax.numpy, for jax.grad."""
    import jax.numpy as jnp

    acts = jax_activations()
    losses = {
        "squared_error": lambda a, y: 0.5 * ((a - y) ** 2).sum(),
        "binary_cross_entropy": lambda a, y: -(y * jnp.log(a) + (1 - y) * jnp.log(1 - a)).sum(),
        "categorical_cross_entropy": lambda a, y: -(y * jnp.log(a)).sum(),
    }

    def cost(params, X, Y):
        a = X
        for layer in range(1, net.L + 1):
            z = a @ params[f"W{layer}"].T + params[f"b{layer}"]
            a = acts[output if layer == net.L else hidden](z)
        m = X.shape[0]
        penalty = sum((params[f"W{i}"] ** 2).sum() for i in range(1, net.L + 1))
        return losses[net.loss.name](a, Y) / m + float(net.l2) / (2 * m) * penalty

    return cost


def assert_close(got: dict, want: dict, relative: float) -> None:
    """Every array of ``got`` within ``relative`` of ``want``'s largest entry."""
    assert got.keys() == want.keys()
    scale = max(max(np.abs(v).max() for v in want.values()), 1e-12)
    for key in want:
        value = np.asarray(got[key], dtype=np.float64)
        assert value.shape == want[key].shape, key
        gap = np.abs(value - want[key]).max() / scale
        assert gap <= relative, f"{key}: relative gap {gap:.2e}"
