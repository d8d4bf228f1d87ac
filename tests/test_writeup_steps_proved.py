"""Every step a writeup prints is proved when it is made, intermediate steps included; a false
step (tampered here) fails the proof instead of being printed."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.derive import indexform as ix
from symbp.derive.concrete import derive
from symbp.derive.generic import derive_generic
from symbp.derive.steps import Rule
from symbp.derive.verify import StepNotVerified, verify_steps
from symbp.derive.verify_generic import verify_generic_step
from symbp.latex.writeup_steps import step_rows
from symbp.model import network

# the canonical cases of derivations/ (sizes, hidden, output, loss, bias, examples, l2)
CONCRETE = [
    ((2, 2, 1), "sigmoid", "sigmoid", "bce", "explicit", 1, 0),
    ((2, 3, 2), "sigmoid", "sigmoid", "bce", "unit", 4, sympy.Rational(1, 10)),
    ((2, 3, 2), "sigmoid", "sigmoid", "mse", "explicit", 1, 0),
    ((2, 3, 3), "sigmoid", "softmax", "cross-entropy", "explicit", 1, 0),
    ((2, 3, 1), "relu", "sigmoid", "bce", "explicit", 1, 0),
    ((2, 2, 2), "tanh", "tanh", "mse", "explicit", 1, 0),
]
GENERIC = [
    ("sigmoid", "sigmoid", "mse", "explicit", False, False),
    ("sigmoid", "sigmoid", "bce", "unit", True, True),
    ("sigmoid", "softmax", "cross-entropy", "explicit", False, False),
    ("leaky_relu(0.5)", "identity", "mse", "explicit", True, True),
]


def _quantities(der) -> list[str]:
    fwd = der.forward
    names = [s.name for s in fwd.delta.values()] + [p.name for p in fwd.parameters]
    return names + [x.name for x in fwd.x]


@pytest.mark.slow
@pytest.mark.parametrize("case", CONCRETE, ids=lambda c: "-".join(map(str, c[0])) + "-" + c[1])
def test_every_printed_step_of_a_sized_writeup_is_proved(case):
    sizes, hidden, output, loss, bias, m, l2 = case
    der = derive(network(list(sizes), hidden, output, loss, bias=bias, examples=m, l2=l2))
    for quantity in _quantities(der):
        steps = der.steps_for(quantity)  # raises StepNotVerified on a false step
        assert steps and all(s.verified_by for s in steps), quantity


@pytest.mark.parametrize("args", GENERIC, ids=lambda a: f"{a[0]}-{a[1]}-{a[3]}")
def test_every_step_of_the_generic_derivation_is_proved_on_concrete_networks(args):
    der = derive_generic(*args)
    assert der.steps
    for step in der.steps:
        assert step.verified_by.startswith("every instantiation on "), step
        count = int(step.verified_by.split()[3])
        assert count >= 1


_ACTS = st.sampled_from(["sigmoid", "tanh", "relu", "softplus", "identity", "leaky_relu(0.2)"])


@pytest.mark.slow
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(1, 2), min_size=2, max_size=3),
    hidden=_ACTS,
    output=st.sampled_from(["sigmoid", "identity", "softmax"]),
    bias=st.sampled_from(["explicit", "unit"]),
)
def test_steps_of_drawn_networks_are_proved(sizes, hidden, output, bias):
    loss = {"softmax": "cross-entropy", "sigmoid": "bce", "identity": "mse"}[output]
    if output == "softmax":
        sizes[-1] = 2  # softmax needs two outputs
    der = derive(network(sizes, hidden, output, loss, bias=bias))
    for quantity in _quantities(der):
        assert all(s.verified_by for s in der.steps_for(quantity))


def test_a_tampered_concrete_step_fails_its_proof():
    der = derive(network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
    steps = der.steps_for("w1_1_2")
    chain = next(s for s in steps if s.rule == Rule.CHAIN_RULE)
    verify_steps(der.forward, [chain])
    wrong = [replace(chain, rhs=chain.rhs * 2, verified_by="")]
    with pytest.raises(StepNotVerified, match="is false"):
        verify_steps(der.forward, wrong)
    hidden = der.steps_for("delta1_2")
    last = hidden[-1]
    w11, w12 = sympy.symbols("w2_1_1 w2_1_2", real=True)
    swapped = last.rhs.xreplace({w12: w11})
    with pytest.raises(StepNotVerified):
        verify_steps(der.forward, [replace(last, rhs=swapped)])


def test_a_tampered_generic_step_fails_on_the_concrete_networks():
    der = derive_generic(output="softmax", loss="cross-entropy")
    jacobian = next(s for s in der.steps_for("delta_L") if s.rule == Rule.OUTPUT_FORM)
    i, q = sympy.Symbol("i", integer=True), ix.Q
    # a_i (1 - a_j): the Jacobian with the Iverson bracket dropped
    wrong = replace(jacobian, rhs=jacobian.rhs.subs(sympy.KroneckerDelta(q, i), 1))
    with pytest.raises(StepNotVerified):
        verify_generic_step(wrong, der.spec, der.bias)
    grad = der.steps_for("grad_W")[-1]
    transposed = replace(grad, rhs=grad.rhs.xreplace({ix.P: ix.Q, ix.Q: ix.P}))
    with pytest.raises(StepNotVerified):
        verify_generic_step(transposed, der.spec, der.bias)


def test_the_softmax_jacobian_is_printed_with_the_outputs_and_no_tautology():
    der = derive_generic(output="softmax", loss="cross-entropy")
    rows = step_rows(der, "delta_L", "wikipedia")
    text = [r[1] for r in rows]
    # a_i ([i = j] - a_j), in a textbook's order: the activation before the bracket
    assert "= a_{i}^{L} \\left(\\left[i = j\\right] - a_{j}^{L}\\right)" in text, text
    for lhs, rhs, _ in rows:
        assert lhs.strip() == "" or rhs != "= " + lhs, (lhs, rhs)
    assert not any(r[1] == "= \\frac{\\partial a^{L}_{i}}{\\partial z^{L}_{j}}" for r in rows)
