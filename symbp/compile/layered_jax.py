"""A layered network's trainer as a standalone JAX module (imports jax only).

The interface of the dense JAX module (:mod:`symbp.compile.jax_module`) with the layered
trainer's shapes (X (m, *INPUT_SHAPE), PyTorch's parameter shapes)::

    init_params(seed=0);  forward(params, X);  loss(params, X, Y) -> 0-d array
    gradients(params, X, Y) -> dict    jit-compiled proved operations (not jax.grad)
    step(params, X, Y, lr) -> (new_params, loss before the step)    jit-compiled

``loss`` is a ``jax.custom_vjp`` function whose backward rule is the derived pass (reverse
mode only: no ``jax.jvp``). A float64 module turns on ``jax_enable_x64`` when imported.
"""

from __future__ import annotations

from symbp.compile.dialects import JAX
from symbp.compile.layered import FORGET_BIAS, forget_gate_rows
from symbp.compile.layered_jax_scan import SCAN_HELPERS
from symbp.compile.layered_parts import init_note, layered_parts, memo_and_prelude
from symbp.derive.layered import LayeredDerivation


def layered_jax_source(der: LayeredDerivation, dtype: str = "float64") -> str:
    """The module's source."""
    parts = layered_parts(der, JAX)
    net = parts.network
    x64 = (
        "\n# float64 was asked for: JAX computes in float32 unless x64 is enabled (process-wide)\n"
        'jax.config.update("jax_enable_x64", True)\n'
        if dtype == "float64"
        else ""
    )
    return f'''"""{parts.docstring}
"""

import jax
import jax.numpy as jnp
{x64}
{init_note(net)}
FORGET_GATE_ROWS = {forget_gate_rows(net)!r}
DTYPE = jnp.{dtype}


def init_params(seed=0):
    """Glorot-normal weights (fans counted over the kernel), zero biases but an lstm's
    forget-gate rows (FORGET_GATE_ROWS) at {FORGET_BIAS}; a normalisation's gamma ones and beta
    zeros, as PyTorch."""
    keys = jax.random.split(jax.random.PRNGKey(seed), len(PARAMETER_SHAPES))
    params = {{}}
    for key, (name, shape) in zip(keys, PARAMETER_SHAPES.items()):
        if name.startswith("gamma"):
            params[name] = jnp.ones(shape, DTYPE)
            continue
        if name.startswith("b"):
            params[name] = jnp.zeros(shape, DTYPE)
            continue
        field = 1
        for n in shape[2:]:
            field *= n
        spread = (2.0 / ((shape[0] + shape[1]) * field)) ** 0.5
        params[name] = jax.random.normal(key, shape, DTYPE) * spread
    for name, (start, stop) in FORGET_GATE_ROWS.items():
        params[name] = params[name].at[start:stop].set({FORGET_BIAS})
    return params


{memo_and_prelude(JAX)}
{SCAN_HELPERS}

{parts.operations}

def _batch(X, Y=None):
    X = jnp.asarray(X, DTYPE)
    if X.shape[1:] != INPUT_SHAPE:
        X = X.reshape((X.shape[0],) + INPUT_SHAPE)  # data rows reshaped to the input shape
    if Y is None:
        return X, None
    Y = jnp.asarray(Y, DTYPE)
    if Y.shape != (X.shape[0], OUTPUTS):
        raise ValueError(f"Y must have shape ({{X.shape[0]}}, {{OUTPUTS}}), got {{Y.shape}}")
    return X, Y


{parts.core}

@jax.jit
def forward(params, X):
    """The network's output for inputs X."""
    X, _ = _batch(X)
    out = _forward(params, X)["A{len(net.layers)}"]
    _MEMO.clear()  # no traced value outlives its trace
    return out


@jax.custom_vjp
def loss(params, X, Y):
    """The mean loss over the rows: a 0-d array."""
    X, Y = _batch(X, Y)
    total = _cost(_forward(params, X), Y)
    _MEMO.clear()
    return total


def loss_forward(params, X, Y):
    """custom_vjp's forward rule: the cost and the values the derived backward reads."""
    X, Y = _batch(X, Y)
    values = _forward(params, X)
    _MEMO.clear()
    return _cost(values, Y), (params, values, Y)


def loss_backward(residuals, g):
    """custom_vjp's backward rule: the derived pass scaled by the incoming cotangent g."""
    params, values, Y = residuals
    grads = _backward(params, values, Y, g / Y.shape[0])
    _MEMO.clear()
    return grads, None, None  # X and Y: zero cotangents


loss.defvjp(loss_forward, loss_backward)


@jax.jit
def gradients(params, X, Y):
    """dCost/dparameter for every parameter (the proved operations): a new dict."""
    X, Y = _batch(X, Y)
    grads = _backward(params, _forward(params, X), Y, 1.0 / X.shape[0])
    _MEMO.clear()
    return grads


@jax.jit
def step(params, X, Y, lr):
    """One gradient-descent step: (new params, the loss before the step)."""
    X, Y = _batch(X, Y)
    values = _forward(params, X)
    before = _cost(values, Y)
    grads = _backward(params, values, Y, lr / X.shape[0])
    _MEMO.clear()
    return {{name: params[name] - grads[name] for name in NAMES}}, before
'''
