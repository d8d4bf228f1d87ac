"""The NumPy trainer's conv and pool operations keep their arrays between passes (one set per
batch size): gradients stay equal to torch.autograd when the batch, its size and the
parameters change from one call to the next, and the kept arrays are the same objects."""

from __future__ import annotations

import numpy as np
import pytest

from symbp.compile.layered import compile_derivation, load_layered_trainer
from symbp.model import layered_network
from tests.layer_oracles import random_batch, random_params, torch_loss_and_gradients

NETS = [
    ("1x7x7", "conv2d(3,3,relu,padding=1) maxpool2d(2) flatten dense(3,softmax)", "cce"),
    (
        "2x9x8",
        "conv2d(2,3,tanh,stride=2,padding=1) conv2d(3,2,relu) flatten dense(2,softmax)",
        "cce",
    ),  # fmt: skip
    ("2x9", "conv1d(3,2,relu) maxpool1d(2) flatten dense(2,identity)", "mse"),
]


@pytest.mark.parametrize(("inp", "spec", "loss"), NETS)
def test_kept_arrays_give_torch_gradients_call_after_call(inp, spec, loss) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    net = layered_network(inp, spec, loss)
    trainer = load_layered_trainer(compile_derivation(net))
    for seed, m in [(1, 4), (2, 4), (3, 3), (4, 4)]:  # a new batch size, then the first again
        params = random_params(net, seed)
        X, Y = random_batch(net, m, seed)
        cost, expected = torch_loss_and_gradients(net, params, X, Y)
        assert trainer.loss(params, X, Y) == pytest.approx(cost, rel=1e-10, abs=1e-12)
        got = trainer.gradients(params, X, Y)
        for key in expected:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-10, atol=1e-12)


def test_the_same_arrays_every_pass() -> None:
    net = layered_network("1x6x6", "conv2d(2,3,relu) maxpool2d(2) flatten dense(2,softmax)", "cce")
    trainer = load_layered_trainer(compile_derivation(net))
    params = random_params(net, 0)
    X, _ = random_batch(net, 3, 0)
    first = trainer._forward(params, X)
    again = trainer._forward(params, X + 1.0)
    for name in ("Z1", "A1", "A2"):
        assert np.shares_memory(first[name], again[name]), name
    other = trainer._forward(params, np.concatenate([X, X]))  # another batch size: its own
    assert not np.shares_memory(other["Z1"], again["Z1"])


@pytest.mark.parametrize("act", ["identity", "sigmoid", "tanh", "relu", "softplus"])
def test_every_activation_of_a_conv_layer_in_kept_arrays(act) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    net = layered_network("2x6x6", f"conv2d(2,3,{act}) conv2d(2,2,{act}) flatten dense(2,softmax)",
                          "cce")  # fmt: skip
    trainer = load_layered_trainer(compile_derivation(net))
    for seed in (0, 1):
        params = random_params(net, seed)
        X, Y = random_batch(net, 3, seed)
        _, expected = torch_loss_and_gradients(net, params, X, Y)
        got = trainer.gradients(params, X, Y)
        for key in expected:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-10, atol=1e-12)


def test_leaky_relu_conv_layer_trains() -> None:
    net = layered_network("1x6x6", "conv2d(2,3,leaky_relu) flatten dense(2,softmax)", "cce")
    trainer = load_layered_trainer(compile_derivation(net))
    params = trainer.init_params(0)
    X, Y = random_batch(net, 4, 0)
    before = trainer.step(params, X, Y, 0.5)
    assert trainer.loss(params, X, Y) < before
