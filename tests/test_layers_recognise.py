"""Each layer's derived backward recognised as one array operation, proved on the instance."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from symbp.derive.layered import derive_layers
from symbp.derive.recognise import RecognitionError, recognise
from symbp.model import layered_network

EXPECTED = [
    ("1x5x5", "conv2d(2,3,relu,stride=2,padding=1) flatten dense(2,softmax)", {
        (1, "z"): ("correlate",), (1, "dx"): ("full_convolution",),
        (1, "dW1"): ("correlate_input_delta",), (1, "db1"): ("channel_sum",),
        (3, "z"): ("affine",), (3, "dx"): ("matmul",), (3, "dW3"): ("outer_sum",),
        (3, "db3"): ("row_sum",),
    }),
    ("2x4x4", "maxpool2d(2) avgpool2d(2) flatten dense(2,sigmoid)", {
        (1, "a"): ("max_pool",), (1, "dx"): ("scatter_to_argmax",),
        (2, "a"): ("avg_pool",), (2, "dx"): ("spread_mean",),
    }),
    ("3", "residual(dense(3,tanh)) dense(2,identity)", {
        (1, "dx"): ("matmul", "identity"),
    }),
    ("3x2", "rnn(2) last dense(2,softmax)", {
        (1, "z"): ("recurrent_affine",), (1, "dx"): ("matmul",), (1, "dh"): ("shifted_matmul",),
        (1, "dWx1"): ("outer_sum",), (1, "dWh1"): ("shifted_outer_sum",), (1, "db1"): ("row_sum",),
    }),
]  # fmt: skip


@pytest.mark.parametrize(("inp", "spec", "expected"), EXPECTED)
def test_each_layer_is_recognised_as_its_array_operation(inp, spec, expected) -> None:
    der = derive_layers(layered_network(inp, spec, "cce" if "softmax" in spec else "mse"))
    steps = {(s.position, s.quantity): s for s in recognise(der)}
    for key, ops in expected.items():
        assert set(steps[key].ops) == set(ops), key
        assert steps[key].proved > 0
    assert der.array_form == list(steps.values())


def test_activation_factor_and_output_delta_are_read_from_the_derivation() -> None:
    der = derive_layers(layered_network("1x4", "conv1d(1,2,tanh) flatten dense(2,softmax)", "cce"))
    steps = {(s.position, s.quantity): s for s in recognise(der)}
    A, Y = sympy.symbols("A Y", real=True)
    assert steps[(1, "dz")].template == 1 - A**2
    assert steps[(3, "dz")].template == A - Y


def test_a_tampered_derivation_is_refused() -> None:
    der = derive_layers(layered_network("1x4x4", "conv2d(1,2) flatten dense(2,softmax)", "cce"))
    x = der.forward.x
    weight = der.forward.parameters["W1"]
    s = x[0, 1, 1]
    parts = der.contributions[s]
    parts[1] = parts[1].xreplace({weight[0, 0, 0, 0]: weight[0, 0, 1, 1]})  # kernel not flipped
    with pytest.raises(RecognitionError, match="layer 1: the derived dx matches none"):
        recognise(der)


def test_max_pool_tie_convention_is_in_the_proved_form() -> None:
    der = derive_layers(layered_network("1x2x2", "maxpool2d(2) flatten dense(1,identity)"))
    step = next(s for s in recognise(der) if s.quantity == "dx" and s.position == 1)
    assert step.ops == ("scatter_to_argmax",)
    from symbp.derive.arrayops import scatter_to_argmax

    tied = scatter_to_argmax(np.full((1, 1, 2, 2), 3.0), np.array([[[[1.0]]]]), k=2)
    assert tied[0, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]
