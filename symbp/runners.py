"""The training loop's view of a compiled trainer, whatever its backend (NumPy, JAX, PyTorch).

:mod:`symbp.train` holds NumPy data and asks for a few things: parameters, a step, a momentum
step, the loss as a float and the outputs as a NumPy array. A runner answers them in its
framework's arrays (the batch is converted once, the parameters stay on the framework's side)
and hands the parameters back as NumPy at the end.

>>> from symbp.model import network
>>> runner = runner_for(network([2, 2, 1], "sigmoid", "sigmoid", "bce"), "numpy", "float64")
>>> params = runner.init_params(0)
>>> X, Y = runner.asarray(np.eye(2)), runner.asarray(np.ones((2, 1)))
>>> before = runner.loss(params, X, Y)
>>> params = runner.step(params, X, Y, 1.0)
>>> runner.loss(params, X, Y) < before
True
"""

from __future__ import annotations

import types

import numpy as np

from symbp.compile import load_trainer
from symbp.compile.backends import check_backend, load_backend
from symbp.model import LayeredNetwork, Network


class NumpyRunner:
    """The NumPy trainer: parameters updated in place."""

    backend = "numpy"

    def __init__(self, trainer: types.ModuleType, dtype: str) -> None:
        self.trainer, self.dtype = trainer, dtype

    def asarray(self, array: np.ndarray):  # noqa: ANN201 - the framework's array
        return array

    def init_params(self, seed: int) -> dict:
        return self.trainer.init_params(seed)

    def step(self, params: dict, X, Y, lr: float) -> dict:  # noqa: ANN001
        self.trainer.step(params, X, Y, lr)
        return params

    def zeros(self, params: dict) -> dict:
        return {key: np.zeros_like(value) for key, value in params.items()}

    def momentum_step(self, params: dict, velocity: dict, X, Y, lr: float, mu: float):  # noqa: ANN001, ANN201
        """v <- mu v - lr g; w <- w + v (in place)."""
        grads = self.trainer.gradients(params, X, Y)
        for key, value in params.items():
            velocity[key] *= mu
            velocity[key] -= lr * grads[key]
            value += velocity[key]
        return params, velocity

    def loss(self, params: dict, X, Y) -> float:  # noqa: ANN001
        return float(self.trainer.loss(params, X, Y))

    def forward(self, params: dict, X) -> np.ndarray:  # noqa: ANN001
        return np.asarray(self.trainer.forward(params, X))

    def numpy(self, params: dict) -> dict[str, np.ndarray]:
        return params

    def from_numpy(self, params: dict[str, np.ndarray]) -> dict:
        return params


class TorchRunner(NumpyRunner):
    """The PyTorch module: tensors, updated in place without an autograd tape."""

    backend = "torch"

    def asarray(self, array: np.ndarray):  # noqa: ANN201
        import torch

        return torch.as_tensor(array, dtype=self.trainer.DTYPE)

    def zeros(self, params: dict) -> dict:
        import torch

        return {key: torch.zeros_like(value) for key, value in params.items()}

    def momentum_step(self, params: dict, velocity: dict, X, Y, lr: float, mu: float):  # noqa: ANN001, ANN201
        import torch

        grads = self.trainer.gradients(params, X, Y)
        with torch.no_grad():
            for key, value in params.items():
                velocity[key].mul_(mu).sub_(lr * grads[key])
                value.add_(velocity[key])
        return params, velocity

    def forward(self, params: dict, X) -> np.ndarray:  # noqa: ANN001
        return self.trainer.forward(params, X).cpu().numpy()

    def numpy(self, params: dict) -> dict[str, np.ndarray]:
        return {key: value.detach().cpu().numpy().copy() for key, value in params.items()}

    def from_numpy(self, params: dict[str, np.ndarray]) -> dict:
        return {key: self.asarray(value).clone() for key, value in params.items()}


class JaxRunner(NumpyRunner):
    """The JAX module: immutable arrays, each step returns new parameters (jitted)."""

    backend = "jax"

    def asarray(self, array: np.ndarray):  # noqa: ANN201
        import jax.numpy as jnp

        return jnp.asarray(array, self.trainer.DTYPE)

    def step(self, params: dict, X, Y, lr: float) -> dict:  # noqa: ANN001
        return self.trainer.step(params, X, Y, lr)[0]

    def zeros(self, params: dict) -> dict:
        import jax.numpy as jnp

        return {key: jnp.zeros_like(value) for key, value in params.items()}

    def momentum_step(self, params: dict, velocity: dict, X, Y, lr: float, mu: float):  # noqa: ANN001, ANN201
        grads = self.trainer.gradients(params, X, Y)
        velocity = {key: mu * velocity[key] - lr * grads[key] for key in params}
        return {key: params[key] + velocity[key] for key in params}, velocity

    def numpy(self, params: dict) -> dict[str, np.ndarray]:
        return {key: np.array(value) for key, value in params.items()}

    def from_numpy(self, params: dict[str, np.ndarray]) -> dict:
        return {key: self.asarray(value) for key, value in params.items()}


RUNNERS = {"numpy": NumpyRunner, "torch": TorchRunner, "jax": JaxRunner}


def runner_for(net: Network | LayeredNetwork, backend: str, dtype: str) -> NumpyRunner:
    """Compile ``net`` for ``backend`` (one SpecError line if unknown or not installed)."""
    check_backend(backend)
    if backend == "numpy":
        return NumpyRunner(load_trainer(net, dtype), dtype)
    return RUNNERS[backend](load_backend(net, backend, dtype), dtype)


class NumpyFacade:
    """A runner's trainer behind the NumPy trainer's interface (NumPy parameters in, NumPy
    gradients and float losses out), for :func:`symbp.train.gradient_check`."""

    def __init__(self, runner: NumpyRunner) -> None:
        self.runner = runner

    def loss(self, params: dict, X: np.ndarray, Y: np.ndarray) -> float:
        r = self.runner
        return r.loss(r.from_numpy(params), r.asarray(X), r.asarray(Y))

    def gradients(self, params: dict, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
        r = self.runner
        return r.numpy(r.trainer.gradients(r.from_numpy(params), r.asarray(X), r.asarray(Y)))
