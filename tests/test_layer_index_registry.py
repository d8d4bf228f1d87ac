"""Every layer kind states its forward equations twice, in its own file under symbp/layers/:
over arrays of symbols (``equations``) and in index form with symbolic sizes
(``index_forward``, ``index_equations`` or ``index_stages``). Here each kind's index form,
instantiated at concrete sizes, is checked equal to the expressions of its concrete equations
entry by entry, and a deliberately wrong index form of each kind is refused, so the two
statements of a forward cannot drift apart."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sympy

from symbp.activations import get_activation
from symbp.derive import layer_index as li
from symbp.derive import layer_index_attention as la
from symbp.derive import layer_index_lstm as ll
from symbp.derive import norm_proof as npf
from symbp.derive import norm_steps as ns
from symbp.derive.layer_index_lstm_proof import LstmInstance
from symbp.derive.layer_index_multi import stated_with
from symbp.derive.layer_index_multi_proof import Instance, StepNotProved, prove_forward
from symbp.layers import attention, norm
from symbp.layers import index as ix
from symbp.layers import lstm as lstm_layer
from symbp.layers.attention import Attention
from symbp.layers.dense import Dense
from symbp.layers.lstm import Lstm
from symbp.layers.norm import BatchNorm, LayerNorm
from symbp.layers.pool import MeanPool
from symbp.layers.reshape import Last
from symbp.layers.residual import Residual
from symbp.layers.spec import LAYERS, parse_net

TANH, RELU = get_activation("tanh"), get_activation("relu")
GRADIENTS = {**la.GRADIENTS, **ll.GRADIENTS}


def _rewrite(lhs_base: sympy.IndexedBase, change):
    """A mutation of one equation's right side (the equation of ``lhs_base``)."""

    def mutate(equations):
        return tuple((lhs, change(rhs) if lhs.base == lhs_base else rhs) for lhs, rhs in equations)

    return mutate


def _forget(rhs: sympy.Expr) -> sympy.Expr:
    """The cell equation without its forget gate's term (c_t = i_t g_t)."""
    return rhs.xreplace({lstm_layer.GATE["f"][lstm_layer.tau, lstm_layer.k]: 0})


# each kind on a small input, and one wrong index form of it: a size, a term or a path lost
MULTI = [
    (Attention(2), (3, 3), _rewrite(attention.S, lambda r: r * sympy.sqrt(attention.DK))),
    (Residual(Attention(2)), (3, 2), _rewrite(ix.a, lambda r: r - ix.x[attention.t, attention.c])),
    (MeanPool(), (3, 2), _rewrite(ix.a, lambda r: r * ix.T / ix.D)),
    (Last(), (3, 2), _rewrite(ix.a, lambda r: r.xreplace({ix.T: ix.T - 1}))),
    (Dense(4, TANH), (3, 2), _rewrite(ix.z, lambda r: r - ix.b[ix.o])),
    (Dense(3, RELU), (3,), _rewrite(ix.z, lambda r: r.xreplace({ix.x: ix.W}))),
    (Residual(Dense(3, TANH)), (3,), _rewrite(ix.a, lambda r: r - ix.x[ix.o])),
    (Residual(Dense(2, RELU)), (3, 2), _rewrite(ix.a, lambda r: r - ix.x[ix.TIME, ix.o])),
    (Lstm(2), (3, 3), _rewrite(lstm_layer.c, _forget)),
]


def _check(layer, shape, mutate=None) -> str:
    stated = stated_with(layer.index_equations(shape), GRADIENTS)
    if mutate is not None:
        stated = replace(stated, equations=mutate(stated.equations))
    instance = LstmInstance if isinstance(layer, Lstm) else Instance
    return prove_forward(stated, instance(layer, shape))


@pytest.mark.parametrize("layer,shape,mutate", MULTI, ids=[f"{m[0].spec()}-{m[1]}" for m in MULTI])
def test_index_equations_equal_the_concrete_equations(layer, shape, mutate) -> None:
    assert _check(layer, shape).startswith(f"every entry of an instance ({layer.spec()}")
    with pytest.raises(StepNotProved, match="differs from the layer's equations"):
        _check(layer, shape, mutate)


NORMS = [BatchNorm(), LayerNorm(), Residual(LayerNorm())]


@pytest.mark.parametrize("layer", NORMS, ids=lambda v: v.spec())
def test_index_stages_equal_the_concrete_equations(layer) -> None:
    form = ns.form_of(layer.spec(), layer.index_stages())
    instances = [npf.Instance(layer, m) for m in (2, 3)]
    npf.check_forward(form, instances)  # raises where a stage is not the layer's
    biased = dict(form.definitions)[norm.var]
    unbiased = biased * form.size / (form.size - 1)  # torch.var's default, not the layer's
    wrong = replace(form, definitions=[(u, unbiased if u == norm.var else v)
                                       for u, v in form.definitions])  # fmt: skip
    with pytest.raises(ValueError, match="the index form of var is not the layer's"):
        npf.check_forward(wrong, instances)


@pytest.mark.parametrize(
    "spec,shape", [("rnn(2,tanh)", (3, 2)), ("conv1d(2,3,relu,padding=1)", (1, 5)),
                   ("avgpool1d(2)", (2, 4)), ("dense(2,sigmoid)", (3,))],
)  # fmt: skip
def test_index_forward_equals_the_concrete_equations(spec, shape) -> None:
    form = li.layer_form(parse_net(spec)[0], shape, 1)
    assert form.forward_verified_by.startswith("every entry of")


def test_every_registered_kind_states_an_index_form() -> None:
    """Each kind of the registry (but flatten, which defines no quantity) states its forward in
    index form through one of the three LayerKind methods, at the ranks it accepts."""
    samples = {"dense": ("dense(2,tanh)", (3,)), "conv1d": ("conv1d(2,3,relu)", (1, 5)),
               "conv2d": ("conv2d(2,3,relu)", (1, 5, 5)), "maxpool1d": ("maxpool1d(2)", (1, 4)),
               "maxpool2d": ("maxpool2d(2)", (1, 4, 4)), "avgpool1d": ("avgpool1d(2)", (1, 4)),
               "avgpool2d": ("avgpool2d(2)", (1, 4, 4)), "last": ("last", (3, 2)),
               "residual": ("residual(layernorm)", (3,)), "rnn": ("rnn(2)", (3, 2)),
               "meanpool": ("meanpool", (3, 2)), "layernorm": ("layernorm", (3,)),
               "batchnorm": ("batchnorm", (3,)), "lstm": ("lstm(2)", (3, 2)),
               "attention": ("attention(2)", (3, 2))}  # fmt: skip
    assert set(samples) | {"flatten"} == set(LAYERS.names())
    for spec, shape in samples.values():
        layer = parse_net(spec)[0]
        stated = [layer.index_forward(), layer.index_equations(shape), layer.index_stages()]
        assert any(s is not None for s in stated), spec
