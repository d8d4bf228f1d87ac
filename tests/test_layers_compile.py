"""Compiled layered trainers: printed from the derivation's proved array form, equal to
torch.autograd to 1e-10 in float64 (fixed and hypothesis-drawn shapes), finite at |z| = 500."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.compile.layered import compile_derivation, layered_source, load_layered_trainer
from symbp.derive.recognise import RecognitionError
from symbp.model import layered_network
from tests.layer_oracles import random_batch, random_params, torch_loss_and_gradients

CASES = [
    ("5", "dense(3,tanh) dense(2,softmax)", "cce"),
    ("1x6x6", "conv2d(3,3,relu,padding=1) maxpool2d(2) flatten dense(3,softmax)", "cce"),
    ("2x7", "conv1d(2,2,tanh,stride=2,padding=1) avgpool1d(2) flatten dense(2,sigmoid)", "bce"),
    ("1x7x7", "conv2d(2,3,sigmoid,stride=2) avgpool2d(2) flatten dense(2,identity)", "mse"),
    ("2x9", "conv1d(3,3,identity,padding=2) maxpool1d(2) flatten dense(2,softmax)", "cce"),
    ("4", "residual(dense(4,tanh)) dense(2,identity)", "mse"),
    ("5x3", "rnn(4) last dense(2,softmax)", "cce"),
    ("4x2", "rnn(3,sigmoid) flatten dense(1,identity)", "mse"),
    (
        "1x8x8",
        "conv2d(4,3,relu,stride=2,padding=1) conv2d(2,2,tanh) flatten dense(3,softmax)",
        "cce",
    ),
]


def _check_against_torch(net, seed: int = 1, m: int = 4) -> None:
    trainer = load_layered_trainer(compile_derivation(net))
    params = random_params(net, seed)
    X, Y = random_batch(net, m, seed)
    cost, expected = torch_loss_and_gradients(net, params, X, Y)
    assert trainer.loss(params, X, Y) == pytest.approx(cost, rel=1e-10, abs=1e-12)
    got = trainer.gradients(params, X, Y)
    assert set(got) == set(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize(("inp", "spec", "loss"), CASES)
def test_compiled_gradients_equal_torch_autograd(inp, spec, loss) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    _check_against_torch(layered_network(inp, spec, loss))


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    channels=st.integers(1, 3), size=st.integers(3, 7), k=st.integers(1, 3),
    stride=st.integers(1, 2), padding=st.integers(0, 1), out=st.integers(1, 3),
    pool=st.sampled_from(["", "maxpool2d(2) ", "avgpool2d(2) "]), seed=st.integers(0, 99),
)  # fmt: skip
def test_compiled_conv_equals_torch_on_drawn_shapes(
    channels, size, k, stride, padding, out, pool, seed
) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    spec = (
        f"conv2d({out},{k},tanh,stride={stride},padding={padding}) {pool}flatten dense(2,softmax)"
    )
    try:
        net = layered_network(f"{channels}x{size}x{size}", spec, "cce")
    except Exception:  # a drawn kernel or window that does not fit is a SpecError: skip it
        return
    _check_against_torch(net, seed)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.integers(1, 5), d=st.integers(1, 3), n=st.integers(1, 4), seed=st.integers(0, 99))
def test_compiled_rnn_equals_torch_on_drawn_shapes(steps, d, n, seed) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    _check_against_torch(layered_network(f"{steps}x{d}", f"rnn({n}) last dense(2,softmax)", "cce"))


def test_compiled_gradients_equal_central_differences() -> None:
    net = layered_network(
        "2x5x5", "conv2d(2,2,tanh,padding=1) maxpool2d(2) flatten dense(2,sigmoid)", "bce"
    )
    trainer = load_layered_trainer(compile_derivation(net))
    params = random_params(net, 3)
    X, Y = random_batch(net, 3, 3)
    got = trainer.gradients(params, X, Y)
    h = 1e-6
    for key, value in params.items():
        for idx in list(np.ndindex(value.shape))[:8]:
            old = value[idx]
            value[idx] = old + h
            up = trainer.loss(params, X, Y)
            value[idx] = old - h
            down = trainer.loss(params, X, Y)
            value[idx] = old
            assert got[key][idx] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8)


def test_finite_at_large_pre_activations() -> None:
    for spec, loss in [("conv2d(2,2,sigmoid) flatten dense(3,softmax)", "cce"),
                       ("conv2d(2,2,tanh) flatten dense(1,sigmoid)", "bce")]:  # fmt: skip
        net = layered_network("1x3x3", spec, loss)
        trainer = load_layered_trainer(compile_derivation(net))
        params = {k: np.full_like(v, 100.0) for k, v in random_params(net, 0).items()}
        X, Y = np.full((2, 1, 3, 3), 5.0), random_batch(net, 2, 0)[1]
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            assert np.isfinite(trainer.loss(params, X, Y))
            assert all(np.isfinite(g).all() for g in trainer.gradients(params, X, Y).values())


def _loops(source: str) -> list[str]:
    body = source[source.index("def _forward") :]
    return [line.strip() for line in body.splitlines() if line.strip().startswith("for ")]


def test_code_is_vectorised_only_time_loops() -> None:
    net = layered_network("3x4", "rnn(3) last dense(2,softmax)", "cce")
    rnn = layered_source(compile_derivation(net))
    assert _loops(rnn) == [
        "for t in range(X.shape[1]):",
        "for t in range(Z1.shape[1] - 1, -1, -1):",
        "for key, value in grads.items():",
    ]
    spec = "conv2d(2,3,relu) maxpool2d(2) flatten dense(2,softmax)"
    cnn = layered_source(compile_derivation(layered_network("1x8x8", spec, "cce")))
    assert _loops(cnn) == ["for key, value in grads.items():"]


def test_compiled_code_is_printed_from_the_derivation() -> None:
    net = layered_network("1x4x4", "conv2d(1,2,tanh) flatten dense(2,softmax)", "cce")
    der = compile_derivation(net)
    before = layered_source(der)
    assert "DZ1 = DA1 * (1 - A1**2)" in before
    step = next(s for s in der.array_form if s.position == 1 and s.quantity == "dz")
    index = der.array_form.index(step)
    A = sympy.Symbol("A", real=True)
    der.array_form[index] = type(step)(**{**step.__dict__, "template": 1 - A**3})
    assert "DZ1 = DA1 * (1 - A1**3)" in layered_source(der)
    # tamper with a derived equation itself: the recogniser finds no operation, compile refuses
    der = compile_derivation(net)
    w = der.forward.parameters["W1"]
    s = der.forward.layers[0].arrays["x"][0, 1, 1]
    der.contributions[s][1] = der.contributions[s][1].xreplace({w[0, 0, 0, 0]: w[0, 0, 1, 1]})
    der.array_form = []
    with pytest.raises(RecognitionError):
        layered_source(der)
