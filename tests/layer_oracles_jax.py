"""The layered networks written again in plain jax.numpy / jax.lax, independently of symbp's
derivation, for jax.grad to differentiate (the oracle of the JAX backend's layered trainers)."""

from __future__ import annotations

from symbp.layers.conv import Conv
from symbp.layers.dense import Dense
from symbp.layers.norm import BatchNorm, LayerNorm
from symbp.layers.pool import MeanPool, Pool
from symbp.layers.recurrent import Rnn
from symbp.layers.reshape import Flatten, Last
from symbp.layers.residual import Residual
from symbp.model import LayeredNetwork


def jax_cost(net: LayeredNetwork):  # noqa: ANN201 - a jax function
    """cost(params, X, Y): the mean loss over the rows, in jax.numpy (jax.grad-able)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    acts = {
        "identity": lambda z: z,
        "sigmoid": jax.nn.sigmoid,
        "tanh": jnp.tanh,
        "relu": jax.nn.relu,
        "softplus": jax.nn.softplus,
        "softmax": lambda z: jax.nn.softmax(z, axis=1),
    }
    losses = {
        "squared_error": lambda a, y: 0.5 * ((a - y) ** 2).sum(),
        "binary_cross_entropy": lambda a, y: -(y * jnp.log(a) + (1 - y) * jnp.log(1 - a)).sum(),
        "categorical_cross_entropy": lambda a, y: -(y * jnp.log(a)).sum(),
    }

    def cost(params, X, Y):  # noqa: ANN001, ANN202
        a = X
        for p, layer in enumerate(net.layers, start=1):
            if isinstance(layer, Dense):
                a = acts[layer.act.name](a @ params[f"W{p}"].T + params[f"b{p}"])
            elif isinstance(layer, LayerNorm) or (
                isinstance(layer, Residual) and isinstance(layer.inner, LayerNorm)
            ):
                mu = a.mean(axis=-1, keepdims=True)
                var = ((a - mu) ** 2).mean(axis=-1, keepdims=True)
                normed = (a - mu) / jnp.sqrt(var + 1e-5) * params[f"gamma{p}"] + params[f"beta{p}"]
                a = a + normed if isinstance(layer, Residual) else normed
            elif isinstance(layer, BatchNorm):
                mu = a.mean(axis=0, keepdims=True)
                var = ((a - mu) ** 2).mean(axis=0, keepdims=True)
                a = (a - mu) / jnp.sqrt(var + 1e-5) * params[f"gamma{p}"] + params[f"beta{p}"]
            elif isinstance(layer, MeanPool):
                a = a.mean(axis=1)
            elif isinstance(layer, Residual):
                a = a + acts[layer.inner.act.name](a @ params[f"W{p}"].T + params[f"b{p}"])
            elif isinstance(layer, Conv):
                d = layer.dims
                spatial = "HW"[:d] if d == 2 else "H"
                z = lax.conv_general_dilated(
                    a, params[f"W{p}"], (layer.stride,) * d, [(layer.padding, layer.padding)] * d,
                    dimension_numbers=("NC" + spatial, "OI" + spatial, "NC" + spatial),
                )  # fmt: skip
                a = acts[layer.act.name](z + params[f"b{p}"].reshape((-1,) + (1,) * d))
            elif isinstance(layer, Pool):
                window = (1, 1) + (layer.k,) * layer.dims
                if layer.mode == "max":
                    a = lax.reduce_window(a, -jnp.inf, lax.max, window, window, "VALID")
                else:
                    a = lax.reduce_window(a, 0.0, lax.add, window, window, "VALID")
                    a = a / layer.k**layer.dims
            elif isinstance(layer, Flatten):
                a = a.reshape(a.shape[0], -1)
            elif isinstance(layer, Last):
                a = a[:, -1]
            elif isinstance(layer, Rnn):
                wx, wh, b = params[f"Wx{p}"], params[f"Wh{p}"], params[f"b{p}"]
                h = jnp.zeros((a.shape[0], layer.units), a.dtype)
                steps = []
                for t in range(a.shape[1]):
                    h = acts[layer.act.name](a[:, t] @ wx.T + h @ wh.T + b)
                    steps.append(h)
                a = jnp.stack(steps, axis=1)
            else:
                raise TypeError(layer)
        return losses[net.loss.name](a, Y) / X.shape[0]

    return cost
