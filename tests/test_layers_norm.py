"""``layernorm``: forward equations only; the backward derived by the chain rule, the compact
input gradient recognised and proved modulo the layer's definitions; compiled trainers equal
torch.autograd (torch.nn.functional.layer_norm) to 1e-10 in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.cli import main
from symbp.compile.layered import compile_derivation, load_layered_trainer
from symbp.derive import arrayops
from symbp.derive.layered import derive_layers
from symbp.derive.recognise import RecognitionError, recognise
from symbp.model import layered_network
from tests.layer_oracles import random_batch, random_params
from tests.test_layers_compile import _check_against_torch

NET = ("5x4", "dense(6,tanh) layernorm meanpool dense(3,softmax)")


@pytest.mark.parametrize("inp", ["3", "2x3"])
def test_compact_backward_is_recognised_and_proved(inp) -> None:
    net = layered_network(inp, "layernorm dense(4,tanh) flatten dense(2,softmax)", "cce")
    steps = {(s.position, s.quantity): s for s in recognise(derive_layers(net))}
    assert steps[(1, "dx")].ops == ("normalised_input_grad",)
    assert steps[(1, "dx")].operands == (("DA", "gamma", "XHAT", "SIGMA"),)
    assert steps[(1, "dx")].proved == (3 if inp == "3" else 6)
    assert steps[(1, "dgamma1")].ops == ("weighted_row_sum",)
    assert steps[(1, "dbeta1")].ops == ("row_sum",)
    forward = [steps[(1, q)].ops for q in ("mu", "var", "xhat", "a")]
    assert forward == [("feature_mean",), ("feature_variance",), ("normalise",), ("scale_shift",)]
    assert str(steps[(1, "sigma")].template) == "sqrt(VAR + 1/100000)"


def _without_x_hat_term(D, gamma, XHAT, SIGMA):
    """the compact form with the x_hat sum(g x_hat) term forgotten (a usual mistake)."""
    G = D * gamma
    return (G.shape[-1] * G - G.sum(axis=-1, keepdims=True)) / (G.shape[-1] * SIGMA)


def _gamma_outside(D, gamma, XHAT, SIGMA):
    """batch norm's form (gamma outside the sums), wrong over the features."""
    n = D.shape[-1]
    inner = n * D - D.sum(axis=-1, keepdims=True) - XHAT * (D * XHAT).sum(axis=-1, keepdims=True)
    return gamma * inner / (n * SIGMA)


@pytest.mark.parametrize("wrong", [_without_x_hat_term, _gamma_outside])
def test_the_proof_refuses_a_wrong_compact_form(wrong, monkeypatch) -> None:
    net = layered_network("3", "layernorm dense(2,softmax)", "cce")
    others = tuple(f for f in arrayops.BACKWARD if f is not arrayops.normalised_input_grad)
    monkeypatch.setattr(arrayops, "BACKWARD", (*others, wrong))
    with pytest.raises(RecognitionError, match="layer 1: the derived dx matches none"):
        recognise(derive_layers(net))
    monkeypatch.setattr(arrayops, "BACKWARD", (*others, wrong, arrayops.normalised_input_grad))
    steps = {(s.position, s.quantity): s for s in recognise(derive_layers(net))}
    assert steps[(1, "dx")].ops == ("normalised_input_grad",)


@pytest.mark.parametrize(
    ("inp", "spec"),
    [
        ("4", "layernorm dense(2,softmax)"),
        ("5", "dense(4,tanh) layernorm dense(3,identity)"),
        NET,
    ],
)
def test_layernorm_equals_torch(inp, spec) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    _check_against_torch(layered_network(inp, spec, "cce" if "softmax" in spec else "mse"))


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.integers(1, 4), d=st.integers(1, 5), n=st.integers(1, 5), seed=st.integers(0, 99))
def test_layernorm_equals_torch_on_drawn_shapes(steps, d, n, seed) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    spec = f"dense({n},sigmoid) layernorm meanpool dense(2,softmax)"
    _check_against_torch(layered_network(f"{steps}x{d}", spec, "cce"), seed, m=3)


def test_finite_at_large_inputs_and_a_constant_feature() -> None:
    net = layered_network("4", "layernorm dense(2,softmax)", "cce")
    trainer = load_layered_trainer(compile_derivation(net))
    params = random_params(net, 0)
    Y = random_batch(net, 3, 0)[1]
    X = np.array([[500.0, -500.0, 500.0, -500.0], [7.0, 7.0, 7.0, 7.0], [0.0, 0.0, 0.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isfinite(trainer.loss(params, X, Y))
        grads = trainer.gradients(params, X, Y)
        assert all(np.isfinite(g).all() for g in grads.values())


@pytest.mark.parametrize(
    ("inp", "spec", "message"),
    [
        ("5", "layernorm(3) dense(2,softmax)", "layernorm takes no arguments"),
        ("2x3x3", "layernorm flatten dense(2,softmax)", "layernorm needs an input of a vector"),
    ],
)
def test_bad_layernorm_specs_are_one_line_errors(inp, spec, message, capsys) -> None:
    assert main(["compile", "--input", inp, "--net", spec, "--loss", "cce"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_compiles_a_trainer_that_trains(tmp_path) -> None:
    out = tmp_path / "t.py"
    argv = ["compile", "--input", NET[0], "--net", NET[1], "--loss", "cce", "-o", str(out)]
    assert main(argv) == 0
    namespace: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)  # the file symbp wrote
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 5, 4))
    Y = np.eye(3)[(X[:, :, 0].sum(axis=1) > 0).astype(int) + (X[:, 0, 1] > 1)]
    params = namespace["init_params"](seed=0)
    first = namespace["step"](params, X, Y, 0.5)
    for _ in range(60):
        last = namespace["step"](params, X, Y, 0.5)
    assert last < 0.7 * first


def test_residual_layernorm_adds_the_skip_to_the_proved_compact_form() -> None:
    net = layered_network("3", "residual(layernorm) dense(2,softmax)", "cce")
    steps = {(s.position, s.quantity): s for s in recognise(derive_layers(net))}
    assert steps[(1, "a")].ops == ("skip_add",)
    assert set(steps[(1, "dx")].ops) == {"identity", "normalised_input_grad"}


@pytest.mark.parametrize(
    ("inp", "spec"),
    [
        ("4", "residual(layernorm) dense(2,softmax)"),
        ("3x4", "residual(layernorm) residual(dense(4,tanh)) meanpool dense(2,softmax)"),
        ("2x3", "dense(3,relu) residual(layernorm) layernorm meanpool dense(2,softmax)"),
    ],
)
def test_residual_layers_on_a_sequence_equal_torch(inp, spec) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    _check_against_torch(layered_network(inp, spec, "cce"), m=3)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("residual(dense(3,tanh)) meanpool dense(2,softmax)", "the sizes must agree"),
        ("residual(meanpool) dense(2,softmax)", "residual wraps a dense or layernorm layer"),
    ],
)
def test_bad_residual_specs_are_one_line_errors(spec, message, capsys) -> None:
    assert main(["compile", "--input", "2x4", "--net", spec, "--loss", "cce"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
