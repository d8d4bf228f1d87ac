"""Data sets for ``symbp train``: generated (xor, moons, spirals; the sequences first-token and
largest-token of :mod:`symbp.data_sequences`), scikit-learn's (iris, digits), or the user's own
CSV or NPZ file, each checked so that bad data gets one clear line.

A :class:`Dataset` holds features ``X`` (n, d) and integer class labels (n,). The labels become
targets for a network with :func:`targets`: a single 0/1 column for one output unit, one-hot
rows for K >= 2 units.

>>> xor = load_dataset("xor")
>>> xor.X.tolist(), xor.labels.tolist()
([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
>>> targets(xor.labels, 1).ravel().tolist()
[0.0, 1.0, 1.0, 0.0]
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from symbp.data_files import read_csv, read_npz
from symbp.data_sequences import SEQUENCES
from symbp.dataset import DataError, Dataset

__all__ = ["BUILTIN", "DataError", "Dataset", "check_fits", "load_dataset", "split", "targets"]

GENERATED = ("xor", "moons", "spirals", *SEQUENCES)
FROM_SKLEARN = ("iris", "digits")
BUILTIN = GENERATED + FROM_SKLEARN


def _xor(seed: int) -> Dataset:
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return Dataset("xor", X, np.array([0, 1, 1, 0]), ("0", "1"))


def _moons(seed: int, n: int = 200, noise: float = 0.1) -> Dataset:
    """Two interleaved half circles (as scikit-learn's make_moons), with Gaussian noise."""
    rng = np.random.default_rng(seed)
    half = n // 2
    t_out, t_in = np.linspace(0, np.pi, half), np.linspace(0, np.pi, n - half)
    outer = np.column_stack([np.cos(t_out), np.sin(t_out)])
    inner = np.column_stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)])
    X = np.vstack([outer, inner]) + rng.normal(scale=noise, size=(n, 2))
    labels = np.repeat([0, 1], [half, n - half])
    return Dataset("moons", X, labels, ("0", "1"))


def _spirals(seed: int, per_class: int = 100, classes: int = 3) -> Dataset:
    """Three interleaved spiral arms in the plane (the classic CS231n toy problem)."""
    rng = np.random.default_rng(seed)
    X, labels = [], []
    for c in range(classes):
        radius = np.linspace(0.0, 1.0, per_class)
        angle = np.linspace(c * 4.0, (c + 1) * 4.0, per_class) + rng.normal(0, 0.2, per_class)
        X.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        labels.append(np.full(per_class, c))
    return Dataset("spirals", np.vstack(X), np.concatenate(labels), tuple(map(str, range(classes))))


def _sklearn(name: str) -> Dataset:
    try:
        from sklearn import datasets
    except ImportError:
        raise DataError(
            f"data set {name!r} comes from scikit-learn; install it: pip install 'symbp[train]'"
        ) from None
    bunch = datasets.load_iris() if name == "iris" else datasets.load_digits()
    classes = tuple(str(c) for c in getattr(bunch, "target_names", range(10)))
    return Dataset(name, np.asarray(bunch.data, float), np.asarray(bunch.target), classes)


def load_dataset(
    spec: str, *, label: str | None = None, seed: int = 0, force: bool = False
) -> Dataset:
    """A built-in data set by name, or a ``.csv``/``.npz`` file (label: last column or named).

    Files are read only up to symbp.limits.MAX_DATA_BYTES and MAX_DATA_VALUES (``force``
    lifts both); an .npz array's header is checked before its data is read.

    >>> load_dataset("spirals").X.shape
    (300, 2)
    >>> load_dataset("nosuch.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.dataset.DataError: no such data set or file: 'nosuch.csv'; built in: xor, moons, ...
    """
    if spec in GENERATED:
        return {"xor": _xor, "moons": _moons, "spirals": _spirals, **SEQUENCES}[spec](seed)
    if spec in FROM_SKLEARN:
        return _sklearn(spec)
    path = Path(spec)
    if not path.is_file():
        known = ", ".join(BUILTIN)
        raise DataError(f"no such data set or file: {spec!r}; built in: {known}")
    if path.suffix.lower() == ".npz":
        return read_npz(path, label, force)
    return read_csv(path, label, force)


def check_fits(
    data: Dataset, inputs: int, outputs: int, input_shape: tuple[int, ...] | None = None
) -> None:
    """One clear line when the data do not fit a network with these input and output widths
    (``input_shape``: a layered network's ``--input`` shape, named in the advice). A sequence
    data set fits its own shape, or a flat input of as many values.

    >>> import textwrap
    >>> data = Dataset("d", np.zeros((4, 6)), np.array([0, 1, 0, 1]), ("0", "1"))
    >>> try:
    ...     check_fits(data, 4, 1, (1, 2, 2))
    ... except DataError as error:
    ...     print(textwrap.fill(str(error), 90))
    d has 6 feature columns but the network's input 1x2x2 has 4 values; use an --input shape
    with 6 values (for example --input 6 or --input 1x2x3)
    """
    columns = data.X.shape[1]
    _check_shape(data, input_shape)
    if columns != inputs:
        if input_shape is None:
            raise DataError(
                f"{data.name} has {columns} feature columns but the network's input layer "
                f"has {inputs} units; use --layers {columns},..."
            )
        shape = "x".join(map(str, input_shape))
        raise DataError(
            f"{data.name} has {columns} feature columns but the network's input {shape} has "
            f"{inputs} values; use an --input shape with {columns} values "
            f"(for example {_shape_examples(columns)})"
        )
    classes = 2 if outputs == 1 else outputs
    if len(data.classes) > classes or data.labels.max() >= classes:
        shown = "0 and 1" if outputs == 1 else f"0..{classes - 1}"
        raise DataError(
            f"{data.name} has labels outside the network's {classes} classes ({shown}): "
            f"found {len(data.classes)} classes; set the output layer to {len(data.classes)} units"
        )


def _check_shape(data: Dataset, input_shape: tuple[int, ...] | None) -> None:
    """A sequence data set (``data.shape``) with a layered network's ``--input`` of another shape.

    >>> from symbp.data_sequences import first_token
    >>> import textwrap
    >>> try:
    ...     _check_shape(first_token(rows=4), (8, 30))
    ... except DataError as error:
    ...     print(textwrap.fill(str(error), 90))
    first-token is a sequence of shape 30x8 (steps x features) but the network's --input is
    8x30; use --input 30x8
    """
    if data.shape is None or input_shape is None or tuple(input_shape) == data.shape:
        return
    if len(input_shape) == 1 and input_shape[0] == data.X.shape[1]:
        return  # the flattened rows, for a network of dense layers
    shape = "x".join(map(str, data.shape))
    raise DataError(
        f"{data.name} is a sequence of shape {shape} (steps x features) but the network's "
        f"--input is {'x'.join(map(str, input_shape))}; use --input {shape}"
    )


def _shape_examples(columns: int) -> str:
    """``--input N`` and, where N has a factor pair, a C x H x W shape with that many values.

    >>> _shape_examples(64)
    '--input 64 or --input 1x8x8'
    >>> _shape_examples(7)
    '--input 7'
    """
    side = math.isqrt(columns)
    while side > 1 and columns % side:
        side -= 1
    if side <= 1:
        return f"--input {columns}"
    return f"--input {columns} or --input 1x{side}x{columns // side}"


def targets(labels: np.ndarray, outputs: int) -> np.ndarray:
    """Targets for a network with ``outputs`` units: one 0/1 column, or one-hot rows."""
    if outputs == 1:
        return labels.astype(float).reshape(-1, 1)
    return np.eye(outputs)[labels]


def split(data: Dataset, test_fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """A seeded shuffle into train and test; data sets under 10 rows are tested on themselves.

    >>> train, test = split(load_dataset("moons"), 0.25, seed=0)
    >>> len(train), len(test)
    (150, 50)
    """
    if not 0 <= test_fraction < 1:
        raise DataError(f"the test fraction must be in [0, 1), got {test_fraction}")
    n = len(data)
    if n < 10 or test_fraction == 0:
        return data, data
    order = np.random.default_rng(seed).permutation(n)
    cut = n - max(1, round(n * test_fraction))
    if cut < 1:
        raise DataError(
            f"a test fraction of {test_fraction} leaves none of the {n} rows to train on; "
            f"use at most {(n - 1) / n:.3f}"
        )
    return data.subset(order[:cut]), data.subset(order[cut:])
