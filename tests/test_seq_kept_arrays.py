"""The NumPy trainers of the sequence and normalisation layers keep their work arrays between
passes (``_work``, stored time first): the gradients are the same call after call, at a
changed batch size and back, and the arrays a call returned are not overwritten by the next
one (each compared with a trainer loaded fresh, whose kept arrays are new)."""

from __future__ import annotations

import numpy as np
import pytest

from symbp.compile import load_trainer
from symbp.model import layered_network

NETWORKS = [
    ("5x3", "lstm(4) last dense(2,softmax)"),
    ("5x3", "rnn(4) last dense(2,softmax)"),
    ("4x3", "lstm(3) lstm(2) last dense(2,softmax)"),
    ("6", "dense(5,relu) batchnorm dense(3,softmax)"),
    ("4x6", "attention(3) layernorm meanpool dense(2,softmax)"),
]


def _batch(net, m: int, seed: int):  # noqa: ANN001, ANN202 - a network; arrays
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, *net.input_shape))
    Y = np.eye(net.sizes[-1])[rng.integers(0, net.sizes[-1], m)]
    return X, Y


@pytest.mark.parametrize(("inp", "spec"), NETWORKS)
def test_kept_arrays_same_gradients_across_calls_and_batch_sizes(inp: str, spec: str) -> None:
    net = layered_network(inp, spec, "cce")
    trainer = load_trainer(net)
    params = trainer.init_params(3)
    batches = [_batch(net, m, seed) for seed, m in enumerate((6, 6, 2, 6, 9))]
    first = trainer.gradients(params, *batches[0])
    kept = {key: value.copy() for key, value in first.items()}
    got = [trainer.gradients(params, X, Y) for X, Y in batches[1:]]
    for key in first:  # what the first call returned is left as it was
        assert np.array_equal(first[key], kept[key])
    for (X, Y), grads in zip(batches[1:], got, strict=True):
        fresh = load_trainer(net).gradients(params, X, Y)  # new kept arrays
        for key, value in fresh.items():
            np.testing.assert_array_equal(grads[key], value)
    again = trainer.gradients(params, *batches[0])  # the first batch size again
    for key, value in kept.items():
        np.testing.assert_array_equal(again[key], value)
