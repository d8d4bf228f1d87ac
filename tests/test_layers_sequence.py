"""Layers over a sequence (T, n): ``meanpool`` (the mean over time) and ``dense`` acting on
each position as torch.nn.Linear does; compiled trainers equal torch.autograd to 1e-10."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.cli import main
from symbp.derive.layered import derive_layers
from symbp.derive.recognise import recognise
from symbp.model import layered_network
from tests.test_layers_compile import _check_against_torch

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")


def test_meanpool_is_recognised_and_proved() -> None:
    der = derive_layers(layered_network("3x2", "rnn(2) meanpool dense(2,softmax)", "cce"))
    steps = {(s.position, s.quantity): s for s in recognise(der)}
    assert steps[(2, "a")].ops == ("time_mean",) and steps[(2, "a")].proved == 2
    assert steps[(2, "dx")].ops == ("spread_over_time",) and steps[(2, "dx")].proved == 6


@pytest.mark.parametrize(
    ("inp", "spec", "loss"),
    [
        ("4x3", "meanpool dense(2,softmax)", "cce"),
        ("5x2", "rnn(3) meanpool dense(1,identity)", "mse"),
    ],
)
def test_meanpool_equals_torch(inp, spec, loss) -> None:
    _check_against_torch(layered_network(inp, spec, loss))


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.integers(1, 6), n=st.integers(1, 4), seed=st.integers(0, 99))
def test_meanpool_equals_torch_on_drawn_shapes(steps, n, seed) -> None:
    _check_against_torch(layered_network(f"{steps}x{n}", "meanpool dense(2,softmax)", "cce"), seed)


def test_meanpool_on_a_vector_is_one_line_error(capsys) -> None:
    argv = ["compile", "--input", "5", "--net", "meanpool dense(2,softmax)", "--loss", "cce"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "meanpool needs an input of a T x n sequence, got 5" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_dense_on_a_sequence_acts_on_each_position() -> None:
    net = layered_network("3x4", "dense(3,tanh) meanpool dense(2,softmax)", "cce")
    assert net.shapes == ((3, 4), (3, 3), (3,), (2,))
    assert net.parameter_shapes["W1"] == (3, 4)  # torch.nn.Linear's (out, in), shared over t
    steps = {(s.position, s.quantity): s.ops for s in recognise(derive_layers(net))}
    assert steps[(1, "z")] == ("affine",) and steps[(1, "dx")] == ("matmul",)
    assert steps[(1, "dW1")] == ("outer_sum",) and steps[(1, "db1")] == ("row_sum",)


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.integers(1, 5), d=st.integers(1, 4), n=st.integers(1, 4),
    act=st.sampled_from(["tanh", "relu", "sigmoid"]), seed=st.integers(0, 99),
)  # fmt: skip
def test_dense_on_a_sequence_equals_torch_on_drawn_shapes(steps, d, n, act, seed) -> None:
    spec = f"dense({n},{act}) dense(2,identity) meanpool dense(2,softmax)"
    _check_against_torch(layered_network(f"{steps}x{d}", spec, "cce"), seed)


def test_dense_on_a_sequence_has_its_index_form_steps_in_json(capsys) -> None:
    argv = ["derive", "--input", "3x4", "--net", "dense(3,tanh) meanpool dense(2,softmax)"]
    assert main([*argv, "--loss", "cce", "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)["layers"][0]
    assert first["steps"] and all(s["verified_by"] for s in first["steps"])
