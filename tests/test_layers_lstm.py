"""lstm(n): the chain rule's derived gradients equal torch.nn.LSTM + torch.autograd (float64,
an independently written PyTorch model; torch's two biases summed into b), and every derived
backward quantity of the layer is recognised as an array operation and proved."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbp.derive.layered import derive_layers
from symbp.derive.recognise import RecognitionError, recognise
from symbp.model import layered_network
from tests.layer_oracles import point

torch = pytest.importorskip("torch", reason="torch is not installed")


def _torch_gradients(params: dict, x: np.ndarray, y: np.ndarray, n: int) -> dict:
    lstm = torch.nn.LSTM(x.shape[1], n, batch_first=True).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(params["Wx1"]))
        lstm.weight_hh_l0.copy_(torch.tensor(params["Wh1"]))
        lstm.bias_ih_l0.copy_(torch.tensor(params["b1"]) / 2)
        lstm.bias_hh_l0.copy_(torch.tensor(params["b1"]) / 2)
    w = torch.tensor(params["W3"], requires_grad=True)
    c = torch.tensor(params["b3"], requires_grad=True)
    out, _ = lstm(torch.tensor(x[None]))
    loss = 0.5 * ((out[0, -1] @ w.T + c - torch.tensor(y)) ** 2).sum()
    loss.backward()
    bias = lstm.bias_ih_l0.grad  # the same as bias_hh_l0.grad: both enter only as b
    return {"Wx1": lstm.weight_ih_l0.grad, "Wh1": lstm.weight_hh_l0.grad, "b1": bias,
            "W3": w.grad, "b3": c.grad}  # fmt: skip


@settings(max_examples=4, deadline=None)
@given(st.integers(1, 3), st.integers(1, 2), st.integers(1, 2), st.integers(0, 10**6))
def test_derived_gradients_equal_torch_lstm(steps: int, d: int, n: int, seed: int) -> None:
    net = layered_network(f"{steps}x{d}", f"lstm({n}) last dense(1,identity)", "mse")
    der = derive_layers(net)
    rng = np.random.default_rng(seed)
    params = {k: rng.normal(size=s) for k, s in net.parameter_shapes.items()}
    x, y = rng.normal(size=(steps, d)), rng.normal(size=(1,))
    derived = der.evaluate(point(der, params, x[None], y[None]))
    for key, want in _torch_gradients(params, x, y, n).items():
        np.testing.assert_allclose(derived[key], want.numpy(), rtol=1e-10, atol=1e-10)


def test_every_lstm_quantity_is_recognised_and_proved() -> None:
    der = derive_layers(layered_network("3x2", "lstm(2) last dense(1,identity)", "mse"))
    steps = {s.quantity: s for s in recognise(der) if s.position == 1}
    assert steps["dc"].ops == ("through_cell_tanh", "carousel")
    assert steps["dz"].ops == ("gate_preactivation_grad",)
    assert steps["dWh1"].ops == ("shifted_outer_sum",)
    assert all(s.proved > 0 for s in steps.values())


def test_a_tampered_cell_gradient_is_refused() -> None:
    der = derive_layers(layered_network("3x2", "lstm(2) last dense(1,identity)", "mse"))
    c = der.forward.layers[0].arrays["c"][0, 0]
    der.contributions[c][1] = 2 * der.contributions[c][1]  # a wrong carousel term
    with pytest.raises(RecognitionError):
        recognise(der)
