"""The index-form forward equation a writeup prints is the layer's own
(``LayerKind.index_forward``), and it is proved equal to the layer's concrete equations before
anything is derived from it: a layer whose two statements disagree is refused."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
import sympy

from symbp.derive import layer_index as li
from symbp.derive.layer_index_proof import StepNotProved
from symbp.latex.writeup_layers import render_layers
from symbp.layers import index as ix
from symbp.layers.conv import Conv
from symbp.layers.pool import Pool
from symbp.layers.spec import parse_net
from symbp.model import layered_network


@pytest.mark.parametrize(
    "spec,shape",
    [("conv2d(2,3,tanh,stride=2,padding=1)", (1, 7, 7)), ("maxpool1d(2)", (2, 4)),
     ("avgpool2d(2)", (1, 4, 4)), ("dense(2,relu)", (3,))],
)  # fmt: skip
def test_the_printed_forward_is_the_layers_own_and_proved(spec, shape) -> None:
    layer = parse_net(spec)[0]
    form = li.layer_form(layer, shape, 1)
    assert form.forward == (layer.index_forward().lhs, layer.index_forward().rhs)
    assert form.forward_verified_by.startswith("every entry of")


@dataclass(frozen=True)
class _UnpaddedConv(Conv):
    """A conv whose index form forgets the padding shift: it disagrees with its equations."""

    def index_forward(self) -> ix.IndexForward:
        pos, off = ix.positions(self.dims), ix.offsets(self.dims)
        taps = ix.W[(ix.o, ix.e, *off)] * ix.x[(ix.e, *ix.source(pos, off, 1, 0))]
        total = sympy.Sum(taps, (ix.e, 0, ix.C_IN - 1), *ix.window(self.dims))
        return ix.window_form(ix.z[(ix.o, *pos)], total + ix.b[ix.o], self.dims, pooled=False)


@dataclass(frozen=True)
class _SumPool(Pool):
    """An average pool whose index form forgets the 1/k."""

    def index_forward(self) -> ix.IndexForward:
        stated = super().index_forward()
        return replace(stated, rhs=stated.rhs * ix.K**self.dims)


def test_an_index_form_that_disagrees_with_the_layer_is_refused() -> None:
    conv = parse_net("conv1d(2,3,tanh,padding=1)")[0]
    wrong = _UnpaddedConv(conv.dims, conv.channels, conv.k, conv.act, padding=1)
    with pytest.raises(StepNotProved, match="index-form forward equation differs"):
        li.layer_form(wrong, (1, 5), 1)
    with pytest.raises(StepNotProved, match="index-form forward equation differs"):
        li.layer_form(_SumPool(1, "avg", 2), (1, 4), 1)


def test_the_writeup_quotes_the_array_operation_the_recogniser_proved() -> None:
    net = layered_network("1x5", "conv1d(2,2,tanh) avgpool1d(2) flatten dense(2,softmax)", "cce")
    doc = render_layers(net, "wikipedia", "markdown")
    for call in ("`correlate_input_delta(X, DZ, k, stride, padding)`", "`channel_sum(DZ)`",
                 "`spread_mean(X, DA, k)`", "`outer_sum(DZ, X)`", "`matmul(DZ, W)`"):  # fmt: skip
        assert f"Over a batch this is {call}" in doc
    assert doc.count("proved equal to its equations over arrays on every entry") == 3
