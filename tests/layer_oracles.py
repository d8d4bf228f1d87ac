"""Oracles for layered networks, written independently of symbp's derivation: a PyTorch model
built from the layer list with torch.nn.functional, and a random point for tiny instances."""

from __future__ import annotations

import numpy as np
import sympy

from symbp.layers.attention import Attention
from symbp.layers.conv import Conv
from symbp.layers.dense import Dense
from symbp.layers.norm import BatchNorm, LayerNorm
from symbp.layers.pool import MeanPool, Pool
from symbp.layers.recurrent import Rnn
from symbp.layers.reshape import Flatten, Last
from symbp.layers.residual import Residual
from symbp.model import LayeredNetwork

ACTS = {
    "identity": lambda t, z, dim: z,
    "sigmoid": lambda t, z, dim: t.sigmoid(z),
    "tanh": lambda t, z, dim: t.tanh(z),
    "relu": lambda t, z, dim: t.relu(z),
    "softplus": lambda t, z, dim: t.nn.functional.softplus(z),
    "softmax": lambda t, z, dim: t.softmax(z, dim=dim),
}
LOSSES = {
    "squared_error": lambda t, a, y: 0.5 * ((a - y) ** 2).sum(),
    "binary_cross_entropy": lambda t, a, y: -(y * t.log(a) + (1 - y) * t.log(1 - a)).sum(),
    "categorical_cross_entropy": lambda t, a, y: -(y * t.log(a)).sum(),
}


def random_params(net: LayeredNetwork, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(-0.8, 0.8, shape) for k, shape in net.parameter_shapes.items()}


def random_batch(net: LayeredNetwork, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 100)
    X = rng.uniform(-1, 1, (m, *net.input_shape))
    n = net.shapes[-1][0]
    if net.loss.assumptions:
        Y = np.eye(n)[rng.integers(0, n, m)]
    elif net.loss.needs_range is not None:
        Y = rng.uniform(0.05, 0.95, (m, n))
    else:
        Y = rng.uniform(-1, 1, (m, n))
    return X, Y


def _torch_attention(torch, a, p: dict, position: int, d_k: int):
    """softmax(Q K^T / sqrt(d_k)) V per example, written with torch's own softmax."""
    q, k, v = (a @ p[f"{r}{position}"].T for r in ("Wq", "Wk", "Wv"))
    scores = q @ k.transpose(1, 2) / d_k**0.5
    return torch.softmax(scores, dim=-1) @ v


def torch_loss_and_gradients(net: LayeredNetwork, params: dict, X: np.ndarray, Y: np.ndarray):
    """Mean loss over the rows and its gradients by torch.autograd (float64)."""
    import torch

    F = torch.nn.functional
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    a = torch.tensor(X, dtype=torch.float64)
    for position, layer in enumerate(net.layers, start=1):
        if isinstance(layer, Dense):
            z = a @ p[f"W{position}"].T + p[f"b{position}"]
            a = ACTS[layer.act.name](torch, z, 1)
        elif isinstance(layer, Residual) and isinstance(layer.inner, Attention):
            a = a + _torch_attention(torch, a, p, position, layer.inner.d_k)
        elif isinstance(layer, Attention):
            a = _torch_attention(torch, a, p, position, layer.d_k)
        elif isinstance(layer, Residual) and isinstance(layer.inner, LayerNorm):
            gamma, beta = p[f"gamma{position}"], p[f"beta{position}"]
            a = a + F.layer_norm(a, (a.shape[-1],), gamma, beta, eps=1e-5)
        elif isinstance(layer, Residual):
            z = a @ p[f"W{position}"].T + p[f"b{position}"]
            a = a + ACTS[layer.inner.act.name](torch, z, 1)
        elif isinstance(layer, Conv):
            conv = F.conv1d if layer.dims == 1 else F.conv2d
            z = conv(a, p[f"W{position}"], p[f"b{position}"], layer.stride, layer.padding)
            a = ACTS[layer.act.name](torch, z, 1)
        elif isinstance(layer, Pool):
            name = f"{layer.mode}_pool{layer.dims}d"
            a = getattr(F, name)(a, layer.k)
        elif isinstance(layer, LayerNorm):
            gamma, beta = p[f"gamma{position}"], p[f"beta{position}"]
            a = F.layer_norm(a, (a.shape[-1],), gamma, beta, eps=1e-5)
        elif isinstance(layer, BatchNorm):  # training mode: the batch's own statistics
            gamma, beta = p[f"gamma{position}"], p[f"beta{position}"]
            a = F.batch_norm(a, None, None, gamma, beta, training=True, eps=1e-5)
        elif isinstance(layer, MeanPool):
            a = a.mean(dim=1)
        elif isinstance(layer, Flatten):
            a = torch.flatten(a, 1)
        elif isinstance(layer, Last):
            a = a[:, -1]
        elif isinstance(layer, Rnn):
            wx, wh, b = p[f"Wx{position}"], p[f"Wh{position}"], p[f"b{position}"]
            h = torch.zeros(a.shape[0], layer.units, dtype=torch.float64)
            steps = []
            for t in range(a.shape[1]):
                h = ACTS[layer.act.name](torch, a[:, t] @ wx.T + h @ wh.T + b, 1)
                steps.append(h)
            a = torch.stack(steps, dim=1)
        else:
            raise TypeError(layer)
    cost = LOSSES[net.loss.name](torch, a, torch.tensor(Y, dtype=torch.float64)) / len(X)
    cost.backward()
    return float(cost.detach()), {k: v.grad.numpy() for k, v in p.items()}


def point(der, params: dict, X: np.ndarray, Y: np.ndarray) -> dict[sympy.Symbol, float]:
    """The symbol -> number map of one example for :meth:`LayeredDerivation.evaluate`."""
    fwd = der.forward
    values = {s: float(v) for s, v in zip(fwd.x.flat, X[0].flat, strict=True)}
    values.update({s: float(v) for s, v in zip(fwd.y.flat, Y[0].flat, strict=True)})
    for key, array in fwd.parameters.items():
        values.update({s: float(v) for s, v in zip(array.flat, params[key].flat, strict=True)})
    return values
