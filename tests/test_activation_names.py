"""Each layer's activation by its own name in Wikipedia's and Ng's notations (issue 8), as
Nielsen's already has it: Wikipedia's f^l is each layer's own function and the document says
which; Ng's g is the sigmoid, so a ReLU or tanh layer is named by its activation, never g."""

from __future__ import annotations

import pytest

import symbp
from symbp.derive.generic import derive_generic
from symbp.latex import writeup

RELU_RECURSION = (
    r"\delta^{(l)} &= ((\Theta^{(l)})^{T} \delta^{(l+1)})\ .*\ \operatorname{ReLU}'(z^{(l)})"
)


@pytest.fixture(scope="module")
def relu_ng():
    return writeup.render(derive_generic("relu", "sigmoid", "bce"), notation="ng").text


def test_ng_names_a_relu_hidden_layer_by_its_activation_and_keeps_g_for_the_sigmoid(relu_ng):
    assert RELU_RECURSION in relu_ng
    assert r"\delta^{(L)} &= \nabla_{a^{(L)}}J\ .*\ g'(z^{(L)})" in relu_ng
    assert r"g'(z^{(l)})" not in relu_ng.split("## 9.")[0]  # the source's own section keeps g
    assert (
        r"a^{(l)} &= \operatorname{ReLU}(z^{(l)}) && "
        r"\text{forward pass: the activation of a hidden layer}" in relu_ng
    )
    assert (
        r"a^{(L)} &= g(z^{(L)}) && \text{forward pass: the activation of the output layer}"
        in relu_ng
    )
    assert "$`g = \\sigma`$ is the sigmoid, as in Ng's notes; a layer with another activation " \
        "is named by it: $`\\operatorname{ReLU}`$ (relu)." in relu_ng  # fmt: skip


def test_ng_with_sigmoid_layers_only_writes_g_as_the_notes_do():
    text = writeup.render(derive_generic("sigmoid", "sigmoid", "bce"), notation="ng").text
    assert r"\ .*\ g'(z^{(l)}) && \text{the error recursion}" in text
    assert "operatorname{ReLU}" not in text and "named by it" not in text


def test_a_sized_ng_writeup_names_each_hidden_activation_in_its_setting():
    net = symbp.network([2, 3, 2], "tanh", "sigmoid", "bce", bias="unit")
    text = writeup.render(symbp.derive(net), notation="ng").text
    setting = text.split("## 2.")[0]
    assert r"\ .*\ \tanh'(z^{(l)})" in setting
    assert "named by it: $`\\tanh`$ (tanh)." in setting


def test_wikipedia_says_which_function_each_f_l_is():
    net = symbp.network([2, 3, 3, 1], activations=["relu", "tanh", "sigmoid"], loss="bce")
    text = writeup.render(symbp.derive(net), notation="wikipedia").text
    assert r"here $`f^{1} = \operatorname{ReLU}`$, $`f^{2} = \tanh`$, $`f^{3} = \sigma`$." in text
    generic = writeup.render(derive_generic("relu", "sigmoid", "bce"), notation="wikipedia")
    assert (
        r"here $`\operatorname{ReLU}`$ (relu) in the hidden layers and $`f^{L} = \sigma`$ "
        "(sigmoid) in the output layer." in generic.text
    )


def test_nielsen_prints_the_output_layers_forward_pass_by_its_own_name():
    text = writeup.render(derive_generic("relu", "sigmoid", "bce"), notation="nielsen").text
    assert (
        r"a^{L} &= \sigma(z^{L}) && \text{forward pass: the activation of the output layer}" in text
    )
