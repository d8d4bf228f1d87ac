"""The separated instance compile derives and proves: small whatever the input size, with every
boundary case of the real sizes, and compiled trainers for the real sizes still equal torch."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symbp.derive.layered import derive_layers
from symbp.derive.recognise import recognise
from symbp.layers.conv import axis_cases
from symbp.model import layered_network
from tests.test_layers_compile import _check_against_torch

CNN28 = "conv2d(16,5,relu) maxpool2d(2) conv2d(32,5,relu) maxpool2d(2) flatten dense(10,softmax)"
BENCHMARKS = [
    ("1x28x28", CNN28),
    ("1x8x8", "conv2d(16,3,relu,padding=1) maxpool2d(2) flatten dense(10,softmax)"),
    ("20x8", "rnn(64) last dense(10,softmax)"),
]


@pytest.mark.parametrize(("inp", "spec"), BENCHMARKS)
def test_benchmark_networks_are_derived_on_a_small_instance(inp, spec) -> None:
    net = layered_network(inp, spec, "cce")
    instance = net.skeleton()
    der = derive_layers(net, instance)
    assert len(der.forward.definitions) < 300  # 1x28x28 CNN: 222 (the old skeleton: 1x20x20)
    assert instance.parameter_count < 200
    assert all(step.proved for step in recognise(der) if step.ops != ("reshape",))


def test_the_instance_does_not_grow_with_the_image() -> None:
    small = layered_network("1x28x28", CNN28, "cce").skeleton().pieces
    assert small == ((1, 9, 9), (2, 4, 4), (2, 9, 9), (2, 4, 4), (2, 2, 2), (3,))
    assert layered_network("3x224x224", CNN28, "cce").skeleton().pieces == (
        (2, 9, 9), (2, 4, 4), (2, 9, 9), (2, 4, 4), (2, 2, 2), (3,),
    )  # fmt: skip


@given(n=st.integers(1, 60), k=st.integers(1, 6), stride=st.integers(1, 3), pad=st.integers(0, 3))
def test_the_short_axis_has_every_case_of_the_real_one(n, k, stride, pad) -> None:
    from symbp.activations import get_activation
    from symbp.layers.conv import Conv

    real = axis_cases(n, k, stride, pad)
    if real is None:
        return
    layer = Conv(1, 2, k, get_activation("tanh"), stride, pad)
    short = layer.small_input((4, n))[1]
    assert short <= n and axis_cases(short, k, stride, pad) == real
    assert short <= 2 * (k + stride + pad)  # bounded by the hyper-parameters alone
    # past the edges, a length and the next one of the same stride phase share every case
    if n > 2 * (k + stride + pad):
        assert layer.small_input((4, n + stride)) == layer.small_input((4, n))


@pytest.mark.parametrize(
    ("inp", "spec"),
    [
        ("1x28x28", "conv2d(3,5,relu) maxpool2d(2) conv2d(2,5,tanh) maxpool2d(2) flatten "
                    "dense(3,softmax)"),
        ("2x17x13", "conv2d(2,3,relu,stride=2,padding=1) avgpool2d(2) flatten dense(2,softmax)"),
        ("1x30", "conv1d(2,4,tanh,stride=3,padding=2) maxpool1d(3) flatten dense(2,softmax)"),
        ("9x5", "rnn(6) last dense(2,softmax)"),
    ],
)  # fmt: skip
def test_trainers_proved_on_the_instance_equal_torch_at_the_real_size(inp, spec) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    net = layered_network(inp, spec, "cce")
    assert net.skeleton().parameter_count < net.parameter_count
    _check_against_torch(net, seed=2, m=3)


def test_reused_im2col_never_outlives_its_pass() -> None:
    from symbp.compile.layered import compile_derivation, load_layered_trainer
    from tests.layer_oracles import random_batch, random_params

    net = layered_network(
        "2x6x6", "conv2d(2,3,tanh) conv2d(2,2,tanh) flatten dense(2,softmax)", "cce"
    )
    trainer = load_layered_trainer(compile_derivation(net))
    params = random_params(net, 4)
    X, Y = random_batch(net, 3, 4)
    trainer.gradients(params, X, Y)
    X *= -0.5  # the same array, changed in place: the next pass must not reuse its columns
    again = trainer.gradients(params, X, Y)
    fresh = load_layered_trainer(compile_derivation(net)).gradients(params, X.copy(), Y)
    for key in fresh:
        assert (again[key] == fresh[key]).all(), key
