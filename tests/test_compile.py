"""The compiled trainer against independent oracles: sympy.diff of the composed loss, the
per-parameter lambdified gradients, central finite differences; stability and the module."""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
import warnings

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symbp.activations import ACTIVATIONS, Elementwise, custom_activation, get_activation
from symbp.compile import CompileError, load_trainer, matrix_form, scalar_gradients, trainer_source
from symbp.compile.matrix import FROM_PRE_ACTIVATIONS, skeleton
from symbp.compile.scalar import _select, parameter_entry
from symbp.derive.concrete import derive
from symbp.losses import fitting_pairs, get_loss
from symbp.model import forward, network
from symbp.train import gradient_check

RELATIVE = 1e-10


PAIRS = fitting_pairs()
HIDDEN = list(ACTIVATIONS)


def batch(net, m: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, net.sizes[0]))
    if net.loss.assumptions:
        Y = rng.dirichlet(np.ones(net.sizes[-1]), size=m)
    elif net.loss.needs_range is not None:
        Y = rng.uniform(0.05, 0.95, size=(m, net.sizes[-1]))
    else:
        Y = rng.normal(size=(m, net.sizes[-1]))
    return X, Y


def random_params(net, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = {}
    for layer in range(1, net.L + 1):
        params[f"W{layer}"] = rng.normal(size=(net.sizes[layer], net.sizes[layer - 1]))
        params[f"b{layer}"] = rng.normal(size=net.sizes[layer])
    return params


def sympy_diff_gradients(net, params, X, Y) -> dict[str, np.ndarray]:
    """Oracle: sympy.diff of Forward.composed_loss() for each parameter, mean over rows."""
    fwd = forward(net)
    cost = fwd.composed_loss()
    order = fwd.parameters
    grads = [sympy.diff(cost, p) for p in order]
    f = sympy.lambdify([fwd.x, fwd.y, order], grads, "numpy", cse=True)
    values = [params[key][index] for key, index in map(parameter_entry, order)]
    rows = [np.broadcast_to(r, (len(X),)) for r in f(list(X.T), list(Y.T), values)]
    out = {key: np.zeros_like(value) for key, value in params.items()}
    for p, row in zip(order, rows, strict=True):
        key, index = parameter_entry(p)
        out[key][index] = row.mean() + (
            float(net.l2) / len(X) * params[key][index] if fwd.regularised(p) else 0.0
        )
    return out


def assert_close(got: dict, want: dict, relative: float = RELATIVE) -> None:
    assert got.keys() == want.keys()
    scale = max(max(np.abs(v).max() for v in want.values()), 1e-12)
    for key in want:
        assert got[key].shape == want[key].shape, key
        gap = np.abs(got[key] - want[key]).max() / scale
        assert gap <= relative, f"{key}: relative gap {gap:.2e}"


@pytest.mark.parametrize(("output", "loss"), PAIRS)
def test_every_output_loss_pair_matches_sympy_diff(output: str, loss: str) -> None:
    net = network([2, 3, 2], "tanh", output, loss, l2="0.3")
    params = random_params(net)
    X, Y = batch(net)
    got = load_trainer(net).gradients(params, X, Y)
    assert_close(got, sympy_diff_gradients(net, params, X, Y))


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("bias", ["explicit", pytest.param("unit", marks=pytest.mark.slow)])
def test_every_hidden_activation_matches_sympy_diff(hidden: str, bias: str) -> None:
    net = network([3, 3, 2], hidden, "softmax", "cce", bias=bias)
    params = random_params(net, seed=2)
    X, Y = batch(net, seed=3)
    got = load_trainer(net).gradients(params, X, Y)
    assert_close(got, sympy_diff_gradients(net, params, X, Y))


@pytest.mark.slow
@pytest.mark.parametrize(("output", "loss"), PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_all_combinations_match_the_scalar_lambdified_gradients(hidden, output, loss) -> None:
    for bias in ("explicit", "unit"):
        net = network([3, 3, 3], hidden, output, loss, bias=bias, l2="0.5")
        params = random_params(net, seed=4)
        X, Y = batch(net, seed=5)
        got = load_trainer(net).gradients(params, X, Y)
        assert_close(got, scalar_gradients(derive(net), params, X, Y))


def _fitting_losses(output: str) -> list[str]:
    return [loss for act, loss in PAIRS if act == output]


@st.composite
def architectures(draw):
    depth = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 3)) for _ in range(depth)] + [draw(st.integers(2, 3))]
    acts = [draw(st.sampled_from(HIDDEN)) for _ in range(depth)]
    acts = [a if a != "softmax" or sizes[i + 1] >= 2 else "tanh" for i, a in enumerate(acts)]
    loss = draw(st.sampled_from(_fitting_losses(acts[-1])))
    bias = draw(st.sampled_from(["explicit", "unit"]))
    m = draw(st.integers(1, 6))
    return network(sizes, activations=acts, loss=loss, bias=bias), m, draw(st.integers(0, 99))


@settings(max_examples=20, deadline=None)
@given(architectures())
def test_random_architectures_match_the_scalar_gradients(case) -> None:
    net, m, seed = case
    params = random_params(net, seed)
    X, Y = batch(net, m, seed)
    got = load_trainer(net).gradients(params, X, Y)
    assert_close(got, scalar_gradients(derive(net), params, X, Y))


@pytest.mark.parametrize(("output", "loss"), PAIRS)
def test_finite_differences_agree(output: str, loss: str) -> None:
    # central differences in float64 resolve ~1e-7 of the gradient, not 1e-10
    net = network([2, 3, 2], "sigmoid", output, loss, l2="0.1")
    X, Y = batch(net)
    trainer = load_trainer(net)
    assert gradient_check(trainer, random_params(net), X, Y) < 1e-6


def test_gradient_check_catches_a_wrong_gradient() -> None:
    net = network([2, 3, 2], "sigmoid", "softmax", "cce")
    trainer = load_trainer(net)
    X, Y = batch(net)
    right = trainer.gradients

    def wrong(params, X, Y):
        grads = right(params, X, Y)
        grads["W1"][0, 0] *= 1.01
        return grads

    trainer.gradients = wrong
    assert gradient_check(trainer, random_params(net), X, Y) > 1e-4


def test_output_delta_and_hidden_factor_are_read_from_the_derivation() -> None:
    form = matrix_form(network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
    assert form.layers[-1].delta_code == "A2 - Y"
    assert form.layers[0].delta_code == "A1*(1 - A1)"
    assert form.layers[0].delta_source == "derived"
    softmax_mse = matrix_form(network([2, 3, 3], "relu", "softmax", "mse"))
    assert softmax_mse.layers[-1].kind == "softmax"
    assert softmax_mse.layers[-1].delta_code == "A2 - Y"  # dC/da of the squared error
    assert softmax_mse.layers[0].delta_source.startswith("registry")


def test_large_networks_are_read_from_a_width_3_skeleton_of_the_same_shape() -> None:
    net = network([784, 1024, 1024, 10], "sigmoid", "softmax", "cce")
    small = skeleton(net)
    assert small.sizes == (3, 3, 3, 3) and small.activations == net.activations
    assert [lf.delta_code for lf in matrix_form(net).layers] == [
        lf.delta_code for lf in matrix_form(small).layers
    ]


def test_a_custom_activation_compiles_from_its_derived_formulas() -> None:
    t = sympy.Symbol("t")
    act = custom_activation(t**3 / 3 + t, t, name="cubic")
    net = network([2, 2, 2], activations=[act, "identity"], loss="mse")
    params, (X, Y) = random_params(net), batch(net)
    got = load_trainer(net).gradients(params, X, Y)
    assert_close(got, sympy_diff_gradients(net, params, X, Y))


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda der: der.deltas.__setitem__((1, 2), 2 * der.deltas[(1, 2)]), "one formula"),
        (lambda der: der.deltas.__setitem__((2, 1), der.deltas[(2, 2)]), "mixes units"),
        (lambda der: der.deltas.__setitem__((1, 1), der.forward.a[(1, 1)]), "W^T delta"),
        (lambda der: der.gradients.__setitem__(der.forward.biases[(1, 1)], 0), "is not delta"),
        (
            lambda der: der.gradients.__setitem__(der.forward.weights[(2, 1, 1)], 1),
            "is not delta * a",
        ),
    ],
)
def test_a_derivation_without_the_matrix_structure_is_a_compile_error(
    monkeypatch, tamper, message
) -> None:
    import symbp.compile.matrix as matrix

    def tampered(net):
        der = derive(net)
        tamper(der)
        return der

    monkeypatch.setattr(matrix, "derive", tampered)
    with pytest.raises(CompileError, match=re.escape(message)):
        matrix_form(network([2, 2, 2], "tanh", "sigmoid", "mse"))


def test_unit_bias_compiles_to_the_same_interface_and_values() -> None:
    explicit = network([3, 4, 2], "tanh", "softmax", "cce")
    unit = network([3, 4, 2], "tanh", "softmax", "cce", bias="unit")
    params, (X, Y) = random_params(explicit), batch(explicit)
    a = load_trainer(explicit).gradients(params, X, Y)
    b = load_trainer(unit).gradients(params, X, Y)
    assert_close(b, a, 0.0)
    assert "\\Theta^{(2)}_{ij}" in trainer_source(unit, style="ng")


def test_interface_shapes_loss_and_step() -> None:
    net = network([3, 5, 4, 2], "relu", "softmax", "cce", l2="0.2")
    trainer = load_trainer(net)
    params = trainer.init_params(seed=0)
    assert sorted(params) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert params["W2"].shape == (4, 5) and params["b2"].shape == (4,)
    assert params["W1"].dtype == np.float64
    X, Y = batch(net, m=7)
    A = trainer.forward(params, X)
    assert A.shape == (7, 2) and np.allclose(A.sum(axis=1), 1.0)
    cost = -np.mean(np.sum(Y * np.log(A), axis=1))
    cost += 0.2 / (2 * 7) * sum(np.sum(params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert trainer.loss(params, X, Y) == pytest.approx(cost, rel=1e-12)
    grads = trainer.gradients(params, X, Y)
    expected = {k: v - 0.1 * grads[k] for k, v in params.items()}
    assert trainer.step(params, X, Y, 0.1) == pytest.approx(cost, rel=1e-12)
    assert_close(params, expected, 1e-14)
    with pytest.raises(ValueError):
        trainer.forward(params, X[:, :2])


def test_float32_on_request_matches_float64() -> None:
    net = network([3, 6, 3], "sigmoid", "softmax", "cce")
    t64, t32 = load_trainer(net), load_trainer(net, "float32")
    p64 = random_params(net)
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    X, Y = batch(net, m=8)
    g32 = t32.gradients(p32, X, Y)
    assert all(v.dtype == np.float32 for v in g32.values())
    assert_close({k: v.astype(float) for k, v in g32.items()}, t64.gradients(p64, X, Y), 1e-5)
    assert t32.init_params()["W1"].dtype == np.float32


@functools.cache
def _cached_trainer(hidden: str, output: str, loss: str, dtype: str):
    return load_trainer(network([2, 3, 3], hidden, output, loss), dtype)


@pytest.mark.parametrize(("output", "loss"), PAIRS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_finite_at_pre_activations_of_magnitude_500(output: str, loss: str, dtype: str) -> None:
    for hidden in HIDDEN:
        trainer = _cached_trainer(hidden, output, loss, dtype)
        params = trainer.init_params(0)
        params["W1"][:] = 0
        params["b1"][:] = [500, -500, 0]
        params["W2"][:] = np.diag([1.0, 1.0, 0.0])
        params["b2"][:] = [0, -500, 500]
        X, Y = np.zeros((2, 2)), np.array([[1.0, 0, 0], [0, 0, 1.0]])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cost = trainer.loss(params, X, Y)
            grads = trainer.gradients(params, X, Y)
        assert np.isfinite(cost), (hidden, output, loss)
        assert all(np.isfinite(g).all() for g in grads.values()), (hidden, output, loss)


def test_saturated_cross_entropy_is_exact_from_the_pre_activations() -> None:
    net = network([1, 2], "identity", "softmax", "cce")
    trainer = load_trainer(net)
    params = {"W1": np.array([[1.0], [-1.0]]), "b1": np.zeros(2)}
    X, Y = np.array([[500.0]]), np.array([[0.0, 1.0]])
    assert trainer.loss(params, X, Y) == pytest.approx(1000.0, rel=1e-15)
    net = network([1, 1], "identity", "sigmoid", "bce")
    trainer = load_trainer(net)
    params = {"W1": np.array([[1.0]]), "b1": np.zeros(1)}
    assert trainer.loss(params, np.array([[-500.0]]), np.array([[1.0]])) == pytest.approx(500.0)


def _evaluate(code: str, **arrays: np.ndarray) -> np.ndarray:
    return eval(code, {"np": np}, arrays)  # registry code written in this repository


ELEMENTWISE = [name for name in ACTIVATIONS if isinstance(get_activation(name), Elementwise)]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_registry_stable_forms_equal_the_derived_formulas(name: str) -> None:
    act = get_activation(name)
    t = sympy.Symbol("t", real=True)
    z = np.concatenate([np.linspace(-30, 30, 601), [0.0]])
    numeric = {"Heaviside": lambda x, h: np.heaviside(x, h), "select": _select}
    f = sympy.lambdify(t, act.f(t), [numeric, "numpy"])
    fprime = sympy.lambdify(t, act.fprime(t), [numeric, "numpy"])
    a = _evaluate(act.numpy_forward, z=z)
    # NOTE: the registry's tanh-form sigmoid is exact to 1e-16 absolute, not relative, below -20
    np.testing.assert_allclose(a, np.broadcast_to(f(z), z.shape), rtol=1e-13, atol=1e-15)
    derived = np.broadcast_to(np.asarray(fprime(z), float), z.shape)
    stable = _evaluate(act.numpy_derivative, z=z, a=a)
    np.testing.assert_allclose(np.broadcast_to(stable, z.shape), derived, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("pair", sorted(FROM_PRE_ACTIVATIONS))
def test_losses_from_pre_activations_equal_the_composed_loss(pair) -> None:
    act, loss = get_activation(pair[0]), get_loss(pair[1])
    z, y = sympy.symbols("z y", real=True)
    reference = sympy.lambdify((z, y), loss.term(act([z])[0], y), "mpmath")
    Z = np.linspace(-20, 20, 41)
    got = _evaluate(FROM_PRE_ACTIVATIONS[pair], Z=Z, Y=0.3)  # 0.3 is 3/10 to 1e-17
    with mpmath.workdps(50):
        want = np.array([float(reference(mpmath.mpf(v), mpmath.mpf(3) / 10)) for v in Z])
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_the_module_is_standalone_numpy_and_commented(tmp_path) -> None:
    net = network([2, 3, 2], "tanh", "softmax", "cce")
    source = trainer_source(net, style="nielsen")
    imports = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert [alias.name for node in imports for alias in node.names] == ["numpy"]
    backward = source[source.index("def _backward") : source.index("def forward")]
    statements = [line.strip() for line in backward.splitlines() if line.strip().startswith("np.")]
    comments = [line.strip() for line in backward.splitlines() if line.strip().startswith("#")]
    assert statements and len(comments) >= 2 * net.L + 2
    assert "\\delta^{2}_{j}" in backward  # Nielsen numbers the input layer 1
    (tmp_path / "trainer.py").write_text(source)
    code = (
        "import sys, trainer; assert set(sys.modules) >= {'numpy'}; "
        "p = trainer.init_params(0); import numpy as np; "
        "X = np.ones((4, 2)); Y = np.eye(2)[[0, 1, 0, 1]]; print(trainer.step(p, X, Y, 0.1))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert float(done.stdout) > 0


def test_buffers_are_reused_between_steps() -> None:
    net = network([4, 8, 3], "sigmoid", "softmax", "cce")
    trainer = load_trainer(net)
    params, (X, Y) = trainer.init_params(0), batch(net, m=16)
    trainer.step(params, X, Y, 0.1)
    first = [id(b) for b in trainer._buffers(16)]
    trainer.step(params, X, Y, 0.1)
    assert [id(b) for b in trainer._buffers(16)] == first
