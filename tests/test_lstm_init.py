"""The compiled trainers' initialisation of an lstm layer: the forget-gate rows n..2n-1 of its
bias start at FORGET_BIAS (1.0) and every other bias at zero, the same in the NumPy, PyTorch and
JAX modules, whose init_params docstrings say so; a network without an lstm keeps zero biases."""

from __future__ import annotations

import numpy as np
import pytest

from symbp.compile.backends import load_backend
from symbp.compile.layered import FORGET_BIAS, compile_derivation, load_layered_trainer
from symbp.model import layered_network

SPEC = "lstm(3) last dense(2,softmax)"


def modules(spec: str, shape: str = "4x2") -> dict:
    net = layered_network(shape, spec, "cce")
    found = {"numpy": load_layered_trainer(compile_derivation(net))}
    for backend in ("torch", "jax"):
        pytest.importorskip(backend)
        found[backend] = load_backend(net, backend, "float64")
    return found


def as_numpy(params: dict) -> dict[str, np.ndarray]:
    out = {}
    for key, value in params.items():
        value = value.detach().cpu() if hasattr(value, "detach") else value
        out[key] = np.asarray(value)
    return out


def test_forget_gate_bias_is_one_and_the_other_biases_zero_in_every_backend() -> None:
    assert FORGET_BIAS == 1.0
    expected = np.zeros(12)
    expected[3:6] = 1.0  # gates i, f, g, o: rows 3..5 are the forget gate's
    for backend, module in modules(SPEC).items():
        params = as_numpy(module.init_params(seed=2))
        assert module.FORGET_GATE_ROWS == {"b1": (3, 6)}, backend
        np.testing.assert_array_equal(params["b1"], expected, err_msg=backend)
        np.testing.assert_array_equal(params["b3"], np.zeros(2), err_msg=backend)
        assert np.all(params["Wx1"] != 0) and params["Wh1"].shape == (12, 3), backend
        doc = module.init_params.__doc__
        assert "forget-gate rows" in doc and "1.0" in doc, backend


def test_the_backends_start_from_the_same_biases_and_weight_spread() -> None:
    drawn = {
        b: as_numpy(m.init_params(seed=0))
        for b, m in modules("lstm(40) last dense(2,softmax)", "3x30").items()
    }
    for key in ("b1", "b3"):
        np.testing.assert_array_equal(drawn["numpy"][key], drawn["torch"][key])
        np.testing.assert_array_equal(drawn["numpy"][key], drawn["jax"][key])
    glorot = np.sqrt(2 / (160 + 30))  # Wx1 has shape (4n, d) = (160, 30)
    for backend, params in drawn.items():
        assert abs(params["Wx1"].std() / glorot - 1) < 0.05, backend


def test_a_network_without_an_lstm_keeps_zero_biases() -> None:
    for backend, module in modules("rnn(3) last dense(2,softmax)").items():
        assert module.FORGET_GATE_ROWS == {}, backend
        params = as_numpy(module.init_params(seed=1))
        assert not any(params[k].any() for k in params if k.startswith("b")), backend
