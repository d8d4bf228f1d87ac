"""Registry entries: derivatives, output identities, kink conventions, numeric forms, fits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from symbp.activations import ACTIVATIONS, Elementwise, custom_activation, get_activation
from symbp.errors import SpecError
from symbp.losses import LOSSES, custom_loss, get_loss

z = sympy.Symbol("z", real=True)
ELEMENTWISE = [n for n in ACTIVATIONS if isinstance(get_activation(n), Elementwise)]
POINTS = [-2.5, -0.7, 0.3, 1.9]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_sympy_away_from_kinks(name):
    act = get_activation(name)
    t = sympy.Symbol("t", real=True)
    reference = sympy.diff(act.f(t), t)
    for p in POINTS:
        assert math.isclose(float(act.fprime(sympy.Float(p))), float(reference.subs(t, p)))


WITH_OUTPUT_FORM = [n for n in ELEMENTWISE if get_activation(n).from_output is not None]


def test_only_kinked_activations_lack_an_output_form():
    assert sorted(set(ELEMENTWISE) - set(WITH_OUTPUT_FORM)) == ["leaky_relu", "relu"]


@pytest.mark.parametrize("name", WITH_OUTPUT_FORM)
def test_output_form_is_the_derivative(name):
    act = get_activation(name)
    assert sympy.simplify(act.fprime(z) - act.fprime_in_output(act.f(z))) == 0


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_numpy_forms_match_sympy_and_stay_finite(name):
    act = get_activation(name)
    values = np.array(POINTS)
    a = eval(act.numpy_forward, {"np": np, "z": values})  # our own registry code, not user text
    da = eval(act.numpy_derivative, {"np": np, "z": values, "a": a})
    for p, got, dgot in zip(POINTS, a, da, strict=True):
        assert math.isclose(got, float(act.f(sympy.Float(p))), rel_tol=1e-12)
        assert math.isclose(dgot, float(act.fprime(sympy.Float(p))), rel_tol=1e-12)
    big = np.array([-500.0, 500.0])
    with np.errstate(all="raise"):
        a = eval(act.numpy_forward, {"np": np, "z": big})
        da = eval(act.numpy_derivative, {"np": np, "z": big, "a": a})
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(da))


def test_relu_derivative_at_zero_is_zero_unlike_sympys_heaviside():
    relu = get_activation("relu")
    assert relu.fprime(sympy.Integer(0)) == 0
    # NOTE: this is the trap the convention avoids.
    assert sympy.diff(sympy.Max(z, 0), z).subs(z, 0) == sympy.Rational(1, 2)
    assert relu.kink == "relu'(0) = 0"


def test_leaky_relu_takes_its_slope_and_states_its_kink():
    act = get_activation("leaky_relu(0.2)")
    assert act.fprime(sympy.Integer(0)) == sympy.Float(0.2)
    assert act.fprime(sympy.Integer(1)) == 1
    assert "0.2" in act.kink
    with pytest.raises(SpecError, match="cannot read activation"):
        get_activation("leaky_relu(abc)")
    with pytest.raises(SpecError, match="takes no argument"):
        get_activation("tanh(2)")


def test_softmax_jacobian_is_not_diagonal():
    act = get_activation("softmax")
    zs = sympy.symbols("z1:4", real=True)
    outs = act(zs)
    for i in range(3):
        for j in range(3):
            entry = sympy.diff(outs[i], zs[j])
            stated = act.jacobian_in_outputs(outs, i, j)
            assert sympy.simplify(entry - stated) == 0
    assert sympy.simplify(sympy.diff(outs[0], zs[1])) != 0


def test_unknown_activation_names_the_choices():
    with pytest.raises(SpecError) as err:
        get_activation("sigmod")
    assert str(err.value) == (
        "unknown activation 'sigmod'; known: identity, leaky_relu, relu, sigmoid, softmax, "
        "softplus, tanh"
    )


def test_custom_activation_derivative_and_free_symbol_check():
    t, u = sympy.symbols("t u")
    act = custom_activation(sympy.sin(t), t)
    assert act.fprime(z) == sympy.cos(z)
    with pytest.raises(SpecError, match="may only use t; also found: u"):
        custom_activation(t * u, t)


def test_losses_by_alias_and_unknown_names():
    assert get_loss("mse").name == "squared_error"
    assert get_loss("bce").name == "binary_cross_entropy"
    assert get_loss("cross-entropy").name == "categorical_cross_entropy"
    with pytest.raises(
        SpecError, match="unknown loss 'mae'; known: bce, binary_cross_entropy, categorical_"
    ):
        get_loss("mae")


@pytest.mark.parametrize("name", list(LOSSES))
def test_every_loss_is_zero_gradient_at_the_target(name):
    a, y = sympy.Symbol("a", positive=True), sympy.Rational(1, 3)
    loss = get_loss(name)
    grad = sympy.diff(loss([a], [y]), a).subs(a, y)
    if loss.assumptions:  # -y log a alone is minimised with the sum constraint only
        assert grad == -1
    else:
        assert grad == 0


def test_loss_fit_errors_name_fitting_activations():
    with pytest.raises(SpecError) as err:
        get_loss("cross-entropy").check_fits(get_activation("tanh"))
    assert "needs outputs in (0, oo)" in str(err.value)
    assert "sigmoid" in str(err.value) and "softmax" in str(err.value)


def test_custom_loss_checks_its_symbols():
    a, y, q = sympy.symbols("a y q")
    with pytest.raises(SpecError, match="may only use a and y; also found: q"):
        custom_loss(a * q, a, y)
