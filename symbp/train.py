"""Train a compiled network: gradient descent as in the documents, mini-batches, momentum.

The loop is the last line of the source documents, for every parameter: ``w <- w - lr * dC/dw``
(full batch by default, mini-batches with ``batch``, ``v <- mu v - lr g; w <- w + v`` with
momentum). Features are standardised with the training rows' mean and spread.

>>> from symbp.data import load_dataset
>>> from symbp.model import network
>>> net = network([2, 2, 1], "sigmoid", "sigmoid", "bce")
>>> result = train(net, load_dataset("xor"), epochs=2000, lr=2.0)
>>> result.final["train_loss"] < 0.01
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from symbp import limits, values
from symbp.compile import load_trainer
from symbp.data import DataError, Dataset, check_fits, split, targets
from symbp.errors import SymbpError
from symbp.model import LayeredNetwork, Network
from symbp.runners import NumpyFacade, NumpyRunner, runner_for


@dataclass
class History:
    """Per-epoch loss and accuracy on the training and test rows."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)


@dataclass
class TrainResult:
    network: Network
    trainer: ModuleType
    params: dict[str, np.ndarray]
    history: History
    final: dict[str, float]
    mean: np.ndarray
    spread: np.ndarray
    runner: NumpyRunner | None = None  # the backend's view (symbp.runners); NumPy's if None


def accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of rows whose predicted class is the label (one output unit: a > 0.5).

    >>> accuracy(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 0]))
    0.5
    """
    if outputs.shape[1] == 1:
        predicted = (outputs[:, 0] > 0.5).astype(int)
    else:
        predicted = np.argmax(outputs, axis=1)
    return float(np.mean(predicted == labels))


def gradient_check(
    trainer: ModuleType,
    params: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    eps: float = 1e-6,
) -> float:
    """Largest relative gap between compiled gradients and central finite differences.

    Each parameter is nudged by +-eps and ``(C(w + eps) - C(w - eps)) / (2 eps)`` compared with
    the compiled gradient; the gap is relative to the largest gradient of the same array.

    >>> from symbp.model import network
    >>> trainer = load_trainer(network([2, 3, 2], "tanh", "softmax", "cce"))
    >>> params = trainer.init_params(seed=1)
    >>> X, Y = np.random.default_rng(0).normal(size=(5, 2)), np.eye(2)[[0, 1, 1, 0, 1]]
    >>> gradient_check(trainer, params, X, Y) < 1e-6
    True
    """
    compiled = trainer.gradients(params, X, Y)
    worst = 0.0
    for key, value in params.items():
        numeric = np.zeros_like(value, dtype=float)
        for index in np.ndindex(value.shape):
            saved = value[index]
            value[index] = saved + eps
            up = trainer.loss(params, X, Y)
            value[index] = saved - eps
            down = trainer.loss(params, X, Y)
            value[index] = saved
            numeric[index] = (up - down) / (2 * eps)
        scale = max(np.abs(numeric).max(), np.abs(compiled[key]).max(), 1e-8)
        worst = max(worst, float(np.abs(numeric - compiled[key]).max() / scale))
    return worst


def gradient_check_of(result: TrainResult, X: np.ndarray, Y: np.ndarray) -> tuple[float, str]:
    """:func:`gradient_check` of a trained network, and the dtype it was judged in.

    float32 cannot resolve a central difference to 1e-5 (its loss has ~7 digits), so a float32
    trainer is judged by the same derived code compiled in float64 at the same parameters; no
    gap is ever called ok because of the dtype it was computed in.
    """
    runner = result.runner
    if runner is not None and runner.backend != "numpy":  # the backend's own derived code
        if runner.dtype != "float64":
            runner = runner_for(result.network, runner.backend, "float64")
        params = {key: value.astype(np.float64) for key, value in result.params.items()}
        return gradient_check(NumpyFacade(runner), params, X, Y), "float64"
    trainer = result.trainer
    params = result.params
    if trainer.DTYPE is not np.float64:
        trainer = load_trainer(result.network, "float64")
        params = {key: value.astype(np.float64) for key, value in params.items()}
    return gradient_check(trainer, params, X, Y), "float64"


def check_trainable(net: Network, force: bool = False) -> None:
    """Refuse (one line, the limit named) a network past symbp.limits.MAX_PARAMETERS unless
    ``force``, which warns of the memory it will take.

    >>> from symbp.model import network
    >>> check_trainable(network([100_000, 1000]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.SymbpError: 100000-1000 has 100,001,000 parameters, past the limit of ...
    """
    count = net.parameter_count
    if count <= limits.MAX_PARAMETERS:
        return
    gigabytes = count * 8 * 4 / 1e9  # weights, gradients, velocity, buffers: ~4 copies
    sizes = "-".join(map(str, net.sizes))
    if not force:
        raise SymbpError(
            f"{sizes} has {count:,} parameters, past the limit of {limits.MAX_PARAMETERS:,} "
            f"(symbp.limits.MAX_PARAMETERS); --force goes on anyway (about {gigabytes:.0f} GB)"
        )
    limits.warn(f"{sizes} has {count:,} parameters: expect about {gigabytes:.0f} GB of memory")


def _standardise(train_X: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of each feature; values so large that they overflow are an error."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean = train_X.mean(axis=0)
        spread = train_X.std(axis=0)
    bad = ~(np.isfinite(mean) & np.isfinite(spread))
    if bad.any():
        column = int(np.argmax(bad)) + 1
        raise DataError(
            f"{name}: the values of feature column {column} are too large to standardise "
            "(their mean or spread overflows); rescale them"
        )
    spread[spread == 0] = 1.0
    return mean, spread


def _progress(epoch: int, epochs: int, loss: float) -> None:
    width = 30
    done = width * epoch // epochs
    bar = "#" * done + "-" * (width - done)
    sys.stderr.write(f"\r[{bar}] epoch {epoch}/{epochs} loss {loss:.4f}")
    if epoch == epochs:
        sys.stderr.write("\n")
    sys.stderr.flush()


def train(
    net: Network | LayeredNetwork,
    data: Dataset,
    *,
    epochs: int,
    lr: float,
    batch: int | None = None,
    seed: int = 0,
    momentum: float = 0.0,
    dtype: str = "float64",
    test_fraction: float = 0.25,
    progress: Callable[[int, int, float], None] | None = None,
    backend: str = "numpy",
    standardise: bool = True,
) -> TrainResult:
    """Split, standardise, and train ``net`` on ``data``; losses and accuracies per epoch.

    ``standardise=False`` feeds the features as they are (mean 0 and spread 1 are recorded, so
    the result predicts on raw rows either way).

    ``backend`` (numpy, jax or torch) picks the compiled module that trains (symbp.runners);
    the result's parameters are NumPy arrays whatever the backend.
    """
    epochs = values.parse_int(epochs, "epochs", 1, limits.MAX_EPOCHS)
    lr = values.parse_float(lr, "lr", 0, 1e10)
    momentum = values.parse_float(momentum, "momentum", 0, 1, open_hi=True)
    seed = values.parse_int(seed, "seed", 0, 2**32 - 1)
    test_fraction = values.parse_float(test_fraction, "test_fraction", 0, 1, open_hi=True)
    if not lr > 0 or (batch is not None and values.parse_int(batch, "batch", 1, 10**9) < 1):
        raise SymbpError("need epochs >= 1, lr > 0, batch >= 1 and momentum in [0, 1)")
    shape = net.input_shape if isinstance(net, LayeredNetwork) else None
    check_fits(data, net.sizes[0], net.sizes[-1], shape)
    runner = runner_for(net, backend, dtype)
    train_set, test_set = split(data, test_fraction, seed)
    mean, spread = _standardise(train_set.X, data.name)
    if not standardise:
        mean, spread = np.zeros_like(mean), np.ones_like(spread)
    as_array = runner.asarray
    X = as_array((train_set.X - mean) / spread)
    Xt = as_array((test_set.X - mean) / spread)
    Y = as_array(targets(train_set.labels, net.sizes[-1]))
    Yt = as_array(targets(test_set.labels, net.sizes[-1]))
    params = runner.init_params(seed)
    velocity = runner.zeros(params)
    rng = np.random.default_rng(seed)
    history = History()
    size = batch or len(X)
    # overflow on the way to divergence is reported once, below, not as NumPy warnings
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(X)) if size < len(X) else None
            for start in range(0, len(X), size):
                rows = slice(start, start + size) if order is None else order[start : start + size]
                if momentum:
                    params, velocity = runner.momentum_step(
                        params, velocity, X[rows], Y[rows], lr, momentum
                    )
                else:
                    params = runner.step(params, X[rows], Y[rows], lr)
            history.train_loss.append(runner.loss(params, X, Y))
            history.test_loss.append(runner.loss(params, Xt, Yt))
            history.train_accuracy.append(accuracy(runner.forward(params, X), train_set.labels))
            history.test_accuracy.append(accuracy(runner.forward(params, Xt), test_set.labels))
            if not np.isfinite(history.train_loss[-1]):
                raise SymbpError(f"training diverged at epoch {epoch}; try a smaller --lr")
            if progress is not None:
                progress(epoch, epochs, history.train_loss[-1])
    final = {
        "train_loss": history.train_loss[-1],
        "test_loss": history.test_loss[-1],
        "train_accuracy": history.train_accuracy[-1],
        "test_accuracy": history.test_accuracy[-1],
        "train_rows": len(train_set),
        "test_rows": len(test_set),
        "test_is_train": test_set is train_set,
    }
    numpy_params = runner.numpy(params)
    return TrainResult(net, runner.trainer, numpy_params, history, final, mean, spread, runner)


def plot_history(history: History, path: str) -> None:
    """Loss and accuracy curves (train and test) side by side, saved with matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SymbpError("--plot needs matplotlib: pip install 'symbp[train]'") from None
    epochs = np.arange(1, len(history.train_loss) + 1)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, history.train_loss, label="train")
    left.plot(epochs, history.test_loss, label="test")
    left.set(xlabel="epoch", ylabel="loss", title="loss")
    right.plot(epochs, history.train_accuracy, label="train")
    right.plot(epochs, history.test_accuracy, label="test")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
    for axes in (left, right):
        axes.legend()
    figure.tight_layout()
    try:
        figure.savefig(path)
    except (OSError, ValueError) as error:
        raise SymbpError(f"cannot write the plot {path!r}: {error}") from None
    finally:
        plt.close(figure)


def terminal_progress() -> Callable[[int, int, float], None] | None:
    """A progress bar on stderr when it is a terminal, else nothing."""
    return _progress if sys.stderr.isatty() else None
