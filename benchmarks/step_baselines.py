"""Baselines for ``bench_step.py``: hand-written NumPy backprop and PyTorch eager, one step each.

Both do what the compiled trainer's ``step`` does: forward pass, the loss (returned), backward
pass, and ``w <- w - lr * gradient`` for every parameter. Hidden layers are sigmoid; the output
is softmax + cross-entropy (sigmoid + binary cross-entropy when it has one unit).
"""

from __future__ import annotations

import numpy as np


def numpy_params(sizes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for layer in range(1, len(sizes)):
        n_in, n_out = sizes[layer - 1], sizes[layer]
        spread = np.sqrt(2.0 / (n_in + n_out))
        params[f"W{layer}"] = rng.normal(0.0, spread, (n_out, n_in)).astype(dtype)
        params[f"b{layer}"] = np.zeros(n_out, dtype)
    return params


def numpy_step(params, X, Y, lr):
    """Textbook backprop as people write it by hand: clear, allocating NumPy expressions."""
    L = len(params) // 2
    m = X.shape[0]
    activations = [X]
    for layer in range(1, L):
        z = activations[-1] @ params[f"W{layer}"].T + params[f"b{layer}"]
        activations.append(1.0 / (1.0 + np.exp(-z)))
    z = activations[-1] @ params[f"W{L}"].T + params[f"b{L}"]
    if z.shape[1] == 1:
        a = 1.0 / (1.0 + np.exp(-z))
        loss = float(np.sum(np.logaddexp(0.0, z) - Y * z)) / m
    else:
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        a = e / total
        loss = float(np.sum(Y * (np.log(total) - shifted))) / m
    delta = (a - Y) / m
    for layer in range(L, 0, -1):
        a_prev = activations[layer - 1]
        grad_w = delta.T @ a_prev
        grad_b = delta.sum(axis=0)
        if layer > 1:
            delta = (delta @ params[f"W{layer}"]) * a_prev * (1.0 - a_prev)
        params[f"W{layer}"] -= lr * grad_w
        params[f"b{layer}"] -= lr * grad_b
    return loss


def torch_setup(sizes, dtype, seed=0):
    import torch

    params = numpy_params(sizes, dtype, seed)
    return {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}


def torch_step(params, X, Y, lr):
    """PyTorch eager: autograd for the backward pass, an in-place update under no_grad."""
    import torch
    import torch.nn.functional as F

    L = len(params) // 2
    a = X
    for layer in range(1, L):
        a = torch.sigmoid(a @ params[f"W{layer}"].T + params[f"b{layer}"])
    z = a @ params[f"W{L}"].T + params[f"b{L}"]
    if z.shape[1] == 1:
        loss = F.binary_cross_entropy_with_logits(z, Y, reduction="sum") / X.shape[0]
    else:
        loss = -(Y * F.log_softmax(z, dim=1)).sum() / X.shape[0]
    loss.backward()
    with torch.no_grad():
        for p in params.values():
            p -= lr * p.grad
            p.grad = None
    return loss.item()
