"""A layered network's trainer as a standalone PyTorch module (imports torch only).

The interface of the dense torch module (:mod:`symbp.compile.torch_module`) with the layered
trainer's shapes (X (m, *INPUT_SHAPE), PyTorch's parameter shapes)::

    init_params(seed=0, device="cpu");  forward(params, X);  loss(params, X, Y) -> 0-d tensor
    gradients(params, X, Y) -> dict      the proved operations, no autograd tape
    step(params, X, Y, lr) -> 0-d tensor   w <- w - lr * gradient in place; the loss before it

and ``Network``, an ``nn.Module`` whose cost is one ``torch.library.custom_op`` with the
derived backward registered (``register_autograd``), so ``cost.backward()`` runs it.
"""

from __future__ import annotations

import hashlib

from symbp.compile.array_module import torch_network_class
from symbp.compile.dialects import TORCH
from symbp.compile.layered import FORGET_BIAS, forget_gate_rows
from symbp.compile.layered_parts import init_note, layered_parts, memo_and_prelude
from symbp.derive.layered import LayeredDerivation


def layered_torch_source(der: LayeredDerivation, dtype: str = "float64") -> str:
    """The module's source; the operator's name carries a digest of the source."""
    parts = layered_parts(der, TORCH)
    net = parts.network
    names = list(net.parameter_shapes)
    saved = parts.values[1:]  # X is an input of the operator
    typed = ", ".join(f"{n}: torch.Tensor" for n in names)
    plain = ", ".join(names)
    as_dict = ", ".join(f"{n!r}: {n}" for n in names)
    outputs = ", ".join(["torch.Tensor"] * (1 + len(saved)))
    source = f'''"""{parts.docstring}
"""

import torch

{init_note(net)}
FORGET_GATE_ROWS = {forget_gate_rows(net)!r}
DTYPE = torch.{dtype}
VALUES = {tuple(parts.values)!r}
OP_NAME = "symbp::layered_cost_DIGEST"


def init_params(seed=0, device="cpu"):
    """Glorot-normal weights (fans counted over the kernel), zero biases but an lstm's
    forget-gate rows (FORGET_GATE_ROWS) at {FORGET_BIAS}; a normalisation's gamma ones and beta
    zeros, as PyTorch."""
    generator = torch.Generator().manual_seed(seed)
    params = {{}}
    for key, shape in PARAMETER_SHAPES.items():
        if key.startswith("gamma"):
            params[key] = torch.ones(shape, dtype=DTYPE, device=device)
            continue
        if key.startswith("b"):
            params[key] = torch.zeros(shape, dtype=DTYPE, device=device)
            continue
        field = 1
        for n in shape[2:]:
            field *= n
        spread = (2.0 / ((shape[0] + shape[1]) * field)) ** 0.5
        weight = torch.randn(shape, generator=generator, dtype=DTYPE) * spread
        params[key] = weight.to(device)
    for key, (start, stop) in FORGET_GATE_ROWS.items():
        params[key][start:stop] = {FORGET_BIAS}
    return params


{memo_and_prelude(TORCH)}

{parts.operations}

def _batch(device, X, Y=None):
    X = torch.as_tensor(X, dtype=DTYPE, device=device)
    if tuple(X.shape[1:]) != INPUT_SHAPE:
        X = X.reshape((X.shape[0],) + INPUT_SHAPE)  # data rows reshaped to the input shape
    if Y is None:
        return X, None
    Y = torch.as_tensor(Y, dtype=DTYPE, device=device)
    if tuple(Y.shape) != (X.shape[0], OUTPUTS):
        raise ValueError(f"Y must have shape ({{X.shape[0]}}, {{OUTPUTS}}), got {{tuple(Y.shape)}}")
    return X, Y


{parts.core}

def _device(params):
    return params[NAMES[0]].device


def forward(params, X):
    """The network's output for inputs X."""
    X, _ = _batch(_device(params), X)
    with torch.no_grad():
        return _forward(params, X)["A{len(net.layers)}"].clone()


def loss(params, X, Y):
    """The mean loss over the rows: a 0-d tensor."""
    X, Y = _batch(_device(params), X, Y)
    with torch.no_grad():
        return _cost(_forward(params, X), Y)


def gradients(params, X, Y):
    """dCost/dparameter for every parameter (the proved operations): a new dict of tensors."""
    X, Y = _batch(_device(params), X, Y)
    with torch.no_grad():
        return _backward(params, _forward(params, X), Y, 1.0 / X.shape[0])


def step(params, X, Y, lr):
    """One gradient-descent step in place (w <- w - lr * gradient); the loss before it."""
    X, Y = _batch(_device(params), X, Y)
    with torch.no_grad():
        values = _forward(params, X)
        before = _cost(values, Y)
        grads = _backward(params, values, Y, lr / X.shape[0])
        for name, grad in grads.items():
            params[name].sub_(grad)
    return before


@torch.library.custom_op(OP_NAME, mutates_args=())
def cost_op(X: torch.Tensor, Y: torch.Tensor, {typed}) -> tuple[{outputs}]:
    """The cost and the forward values its backward reads (copies: those are not
    differentiable, and an operator's outputs may not alias its inputs or each other)."""
    values = _forward({{{as_dict}}}, X)
    return (_cost(values, Y), *(values[name].clone() for name in VALUES[1:]))


@cost_op.register_fake
def cost_fake(X, Y, {plain}):
    values = _forward({{{as_dict}}}, X)
    return (X.new_empty(()), *(torch.empty_like(values[name]) for name in VALUES[1:]))


def cost_setup(ctx, inputs, output):
    ctx.save_for_backward(*inputs, *output[1:])
    ctx.mark_non_differentiable(*output[1:])


def cost_backward(ctx, grad, *unused):
    """The registered backward rule: the proved operations, scaled by the incoming gradient."""
    X, Y, {plain}, *saved = ctx.saved_tensors
    _MEMO.clear()
    values = dict(zip(VALUES, (X, *saved)))
    grads = _backward({{{as_dict}}}, values, Y, grad / X.shape[0])
    return (None, None, *(grads[name] for name in NAMES))


cost_op.register_autograd(cost_backward, setup_context=cost_setup)


{torch_network_class(names)}'''
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return source.replace("symbp::layered_cost_DIGEST", f"symbp::layered_cost_{digest}")
