"""``batchnorm``: the batch's own statistics (training mode), so the network is derived over a
batch of m examples; the compact input gradient recognised and proved; the trainer equals
torch.autograd (torch.nn.functional.batch_norm, training=True) to 1e-10 in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.cli import main
from symbp.compile.layered import compile_derivation, load_layered_trainer
from symbp.derive import arrayops
from symbp.derive.layered import derive_layers
from symbp.derive.layered_text import report
from symbp.derive.recognise import RecognitionError, recognise
from symbp.model import layered_network
from tests.layer_oracles import random_batch, random_params
from tests.test_layers_compile import _check_against_torch

MLP = "dense(3,tanh) batchnorm dense(2,softmax)"


def test_derived_over_a_batch_and_the_compact_form_proved() -> None:
    net = layered_network("4", MLP, "cce")
    der = derive_layers(net)
    assert der.forward.batched and der.forward.x.shape == (3, 4)
    steps = {(s.position, s.quantity): s for s in recognise(der)}
    assert steps[(2, "dx")].ops == ("batch_normalised_input_grad",)
    assert steps[(2, "dx")].proved == 9  # every entry of the 3 x 3 batch
    assert steps[(2, "dgamma2")].ops == ("weighted_row_sum",)
    assert steps[(2, "dbeta2")].ops == ("row_sum",)
    assert steps[(2, "mu")].ops == ("batch_mean",) and steps[(2, "var")].ops == ("batch_variance",)
    assert "derived over a batch of m = 3 examples" in report(net)


def _without_mean_term(D, gamma, XHAT, SIGMA):
    """the compact form with sum(delta) forgotten (the mean treated as a constant)."""
    m = D.shape[0]
    along = (D * XHAT).sum(axis=0, keepdims=True)
    return gamma * (m * D - XHAT * along) / (m * SIGMA)


@pytest.mark.parametrize("wrong", [_without_mean_term, arrayops.normalised_input_grad])
def test_the_proof_refuses_a_wrong_compact_form(wrong, monkeypatch) -> None:
    net = layered_network("3", "batchnorm dense(2,softmax)", "cce")
    others = tuple(f for f in arrayops.BACKWARD if f is not arrayops.batch_normalised_input_grad)
    if wrong not in others:
        others = (*others, wrong)
    monkeypatch.setattr(arrayops, "BACKWARD", others)
    with pytest.raises(RecognitionError, match="layer 1: the derived dx matches none"):
        recognise(derive_layers(net))


@pytest.mark.parametrize(
    ("inp", "spec", "loss"),
    [
        ("4", MLP, "cce"),
        ("6", "dense(5,relu) batchnorm dense(4,tanh) batchnorm dense(3,softmax)", "cce"),
        ("3x4", "dense(4,tanh) layernorm meanpool batchnorm dense(2,sigmoid)", "bce"),
    ],
)
def test_batchnorm_equals_torch(inp, spec, loss) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    _check_against_torch(layered_network(inp, spec, loss), m=5)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(d=st.integers(1, 5), n=st.integers(1, 5), m=st.integers(2, 7), seed=st.integers(0, 99))
def test_batchnorm_equals_torch_on_drawn_shapes(d, n, m, seed) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    net = layered_network(str(d), f"dense({n},sigmoid) batchnorm dense(2,softmax)", "cce")
    _check_against_torch(net, seed, m=m)


def test_finite_at_large_inputs_and_a_constant_feature() -> None:
    net = layered_network("3", "batchnorm dense(2,softmax)", "cce")
    trainer = load_layered_trainer(compile_derivation(net))
    params = random_params(net, 0)
    Y = random_batch(net, 4, 0)[1]
    X = np.array([[500.0, 2.0, 1.0], [-500.0, 2.0, 2.0], [500.0, 2.0, 3.0], [0.0, 2.0, 4.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isfinite(trainer.loss(params, X, Y))  # feature 1 is constant: variance 0
        assert all(np.isfinite(g).all() for g in trainer.gradients(params, X, Y).values())


def test_batchnorm_on_a_sequence_is_one_line_error(capsys) -> None:
    argv = ["compile", "--input", "3x4", "--net", "batchnorm meanpool dense(2,softmax)"]
    assert main([*argv, "--loss", "cce"]) == 2
    err = capsys.readouterr().err
    assert "batchnorm needs an input of a vector of features" in err and err.count("\n") == 1
