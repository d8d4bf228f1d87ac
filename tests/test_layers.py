"""Layered networks: the spec grammar, shapes, and the concrete chain rule against sympy.diff of
the composed loss, central finite differences and torch.autograd."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from symbp.derive.layered import derive_layers
from symbp.errors import SpecError
from symbp.layers import parse_net, parse_shape
from symbp.model import layered_network
from tests.layer_oracles import point, random_batch, random_params, torch_loss_and_gradients

TINY = [
    ("5", "dense(3,tanh) dense(2,softmax)", "cce"),
    ("1x4x4", "conv2d(2,3,relu,padding=1) maxpool2d(2) flatten dense(3,softmax)", "cce"),
    ("2x5", "conv1d(2,2,tanh,stride=2,padding=1) avgpool1d(2) flatten dense(2,sigmoid)", "bce"),
    ("1x5x5", "conv2d(1,3,sigmoid,stride=2) avgpool2d(2) flatten dense(2,identity)", "mse"),
    ("2x6", "conv1d(1,3,identity) maxpool1d(2) flatten dense(2,softmax)", "cce"),
    ("4", "residual(dense(4,tanh)) dense(2,identity)", "mse"),
    ("3x2", "rnn(2) last dense(2,softmax)", "cce"),
    ("3x2", "rnn(2,sigmoid) flatten dense(1,identity)", "mse"),
]


def test_spec_reads_layers_and_keywords() -> None:
    layers = parse_net("conv2d(16, 3, relu, padding=1) maxpool2d(2) flatten dense(10, softmax)")
    assert [layer.spec() for layer in layers] == [
        "conv2d(16,3,relu,padding=1)", "maxpool2d(2)", "flatten", "dense(10,softmax)",
    ]  # fmt: skip
    assert parse_net("residual(dense(4,tanh))")[0].inner.units == 4
    assert parse_net("rnn(8)")[0].act.name == "tanh"
    assert parse_shape("4x3") == (4, 3)


@pytest.mark.parametrize(
    ("inp", "spec", "message"),
    [
        ("1x8x8", "conv3d(8,3)", "unknown layer 'conv3d'; known: attention, avgpool1d"),
        ("1x8x8", "conv2d(8,9,relu) flatten dense(2,softmax)", "kernel 9 is larger"),
        ("1x8x8", "dense(10,softmax)", "dense(n, act): a vector input"),
        ("4", "residual(dense(3,tanh)) dense(2,softmax)", "the sizes must agree"),
        ("1x3x3", "maxpool2d(4) flatten dense(2,softmax)", "window 4 is larger"),
        ("1x8x8", "conv2d(8,3,rleu)", "unknown activation 'rleu'"),
        ("1x8x8", "conv2d(8,3,relu,strid=2)", "unknown or repeated argument 'strid'"),
        ("1x8x8", "conv2d(8", "expected , but found the end"),
        ("1x8x8", "conv2d(8,3) ; rm", "cannot read the net spec"),
        ("1x8x8", "__import__(os)", "unknown layer '__import__'"),
        ("1x8x8", "conv2d(8,3,relu)", "the last layer must be dense"),
        ("4", "dense(3,softmax) dense(2,softmax)", "softmax is allowed on the last"),
        ("4x", "dense(2,softmax)", "cannot read input shape"),
        ("4", "dense(0,tanh)", "n must be an integer >= 1"),
    ],
)
def test_bad_specs_are_one_line_errors(inp: str, spec: str, message: str) -> None:
    with pytest.raises(SpecError, match=None) as error:
        layered_network(inp, spec, "cce")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_parameters_keyed_by_layer_position_with_torch_shapes() -> None:
    net = layered_network("2x9", "conv1d(3,4,relu,stride=2) flatten dense(2,softmax)", "cce")
    assert net.parameter_shapes == {"W1": (3, 2, 4), "b1": (3,), "W3": (2, 9), "b3": (2,)}
    rnn = layered_network("4x3", "rnn(5) last dense(2,softmax)", "cce")
    assert rnn.parameter_shapes["Wx1"] == (5, 3) and rnn.parameter_shapes["Wh1"] == (5, 5)


def _tiny(inp: str, spec: str, loss: str):
    net = layered_network(inp, spec, loss)
    der = derive_layers(net)
    params = random_params(net, 0)
    X, Y = random_batch(net, 1, 0)
    return net, der, params, X, Y, der.evaluate(point(der, params, X, Y))


# sympy.diff of a composed max-pool under softmax grows fast: the conv2d case is smaller here
SYMPY = [case for case in TINY if "maxpool2d" not in case[1]] + [
    ("1x3x3", "conv2d(1,2,relu) maxpool2d(2) flatten dense(2,softmax)", "cce"),
]


@pytest.mark.parametrize(("inp", "spec", "loss"), SYMPY)
def test_derived_gradients_equal_sympy_diff_of_the_composed_loss(inp, spec, loss) -> None:
    net, der, params, X, Y, got = _tiny(inp, spec, loss)
    composed = der.forward.composed_loss()
    env = {s: sympy.Float(v, 30) for s, v in point(der, params, X, Y).items()}
    for key, array in der.forward.parameters.items():
        for idx, p in np.ndenumerate(array):
            # every other leaf at its number first: C stays the composed loss, as a function of p
            alone = composed.xreplace({s: v for s, v in env.items() if s != p})
            direct = float(sympy.diff(alone, p).xreplace({p: env[p]}))
            assert got[key][idx] == pytest.approx(direct, rel=1e-12, abs=1e-12), (key, idx)


def _loss_at(fwd, values: dict) -> float:
    """The forward equations evaluated in order at float64 numbers (no derivative involved)."""
    env = {s: sympy.Float(v, 20) for s, v in values.items()}
    for s, value in fwd.definitions:
        env[s] = value.xreplace(env)
    return float(fwd.loss.xreplace(env))


@pytest.mark.parametrize(("inp", "spec", "loss"), TINY)
def test_derived_gradients_equal_finite_differences(inp, spec, loss) -> None:
    net, der, params, X, Y, got = _tiny(inp, spec, loss)
    fwd = der.forward
    base = point(der, params, X, Y)
    h = 1e-6
    for key, array in fwd.parameters.items():
        for idx, p in list(np.ndenumerate(array))[:6]:
            up, down = dict(base), dict(base)
            up[p] += h
            down[p] -= h
            fd = (_loss_at(fwd, up) - _loss_at(fwd, down)) / (2 * h)
            assert got[key][idx] == pytest.approx(fd, rel=1e-6, abs=1e-8), (key, idx)


@pytest.mark.parametrize(("inp", "spec", "loss"), TINY)
def test_derived_gradients_equal_torch_autograd(inp, spec, loss) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    net, der, params, X, Y, got = _tiny(inp, spec, loss)
    _, expected = torch_loss_and_gradients(net, params, X, Y)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-10, atol=1e-12)


def test_max_pool_ties_route_the_whole_gradient_to_the_first_maximum() -> None:
    torch = pytest.importorskip("torch", reason="torch is not installed")
    net = layered_network("1x2x2", "maxpool2d(2) flatten dense(1,identity)", "mse")
    der = derive_layers(net)
    params = {"W3": np.array([[1.0]]), "b3": np.array([0.0])}
    X, Y = np.full((1, 1, 2, 2), 0.5), np.array([[2.0]])
    values = point(der, params, X, Y)
    values = {**values}
    x = der.forward.x
    delta = {k: der.delta(s) for k, s in np.ndenumerate(x)}
    env = {s: sympy.Float(v) for s, v in values.items()}
    for s, value in der.forward.definitions:
        env[s] = value.xreplace(env)
    from symbp.derive.layered import grad_symbol

    for s, _ in reversed(der.forward.definitions):
        env[grad_symbol(s)] = der.delta(s).xreplace(env)
    routed = {k: float(e.xreplace(env)) for k, e in delta.items()}
    assert routed[(0, 0, 0)] == pytest.approx(-1.5) and routed[(0, 0, 1)] == 0.0
    assert routed[(0, 1, 0)] == 0.0 and routed[(0, 1, 1)] == 0.0
    t = torch.tensor(X, requires_grad=True)
    (0.5 * (torch.nn.functional.max_pool2d(t, 2).sum() - 2.0) ** 2).backward()
    assert t.grad.numpy()[0, 0].tolist() == [[-1.5, 0.0], [0.0, 0.0]]
