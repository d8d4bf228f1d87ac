"""Backpropagation for any depth L and symbolic widths, derived in index notation.

The forward equations of one generic layer l (widths ``n[l]`` symbolic),

    z^l_j = sum_k w^l_{jk} a^{l-1}_k + b^l_j        (Ng's bias unit: k from 0, a^{l-1}_0 = 1)
    a^l_j = f^l(z^l_j)                              (softmax: a^L_i = e^{z_i} / sum_k e^{z_k})
    C = sum_j loss(a^L_j, y_j)

are differentiated by SymPy; the Kronecker deltas it produces are contracted and the results
recognised as matrix operations (:mod:`symbp.derive.indexform`). Nothing below writes a result
down: each matrix equation is what :func:`~symbp.derive.indexform.recognise` made of a
contracted SymPy derivative. Layers use Wikipedia's numbering (input layer 0, ``W^l`` maps
l-1 -> l); the printers shift them for Ng and Nielsen.

>>> der = derive_generic()
>>> print(der.equations["delta_recursion"])
delta^(l - 1) = (W^l)^T delta^l o (f^(l - 1))'
>>> print(der.equations["grad_W"])
grad_W^l C = delta^l (a^(l - 1))^T
>>> print(derive_generic(output="softmax", loss="cross-entropy").equations["delta_L_simplified"])
delta^L = a^L - y
"""

from __future__ import annotations

from symbp.activations import Activation, get_activation
from symbp.derive import matrix as mx
from symbp.derive.generic_data import GenericDerivation, GenericStep
from symbp.derive.generic_layers import input_gradient_step, recursion_step, weights_step
from symbp.derive.generic_mean import mean_and_l2_step
from symbp.derive.generic_output import output_step
from symbp.derive.matrix import LAYER
from symbp.derive.verify_generic import verify_generic
from symbp.errors import SpecError
from symbp.losses import Loss, get_loss
from symbp.model import BIAS_STYLES, Network

__all__ = ["GenericDerivation", "GenericStep", "derive_generic", "derive_generic_for"]


def derive_generic(
    hidden: str | Activation = "sigmoid",
    output: str | Activation = "sigmoid",
    loss: str | Loss = "mse",
    bias: str = "explicit",
    examples: bool = False,
    l2: bool = False,
) -> GenericDerivation:
    """Derive backpropagation for any depth L and symbolic widths.

    >>> der = derive_generic(output="sigmoid", loss="bce", bias="unit", examples=True, l2=True)
    >>> print(der.equations["delta_L_simplified"])
    delta^L = a^L - y
    >>> print(der.equations["mean_grad"])
    D^l := 1/m (Delta^l + lambda W^l)
    """
    if bias not in BIAS_STYLES:
        raise SpecError(f"unknown bias style {bias!r}; known: {', '.join(BIAS_STYLES)}")
    spec = (get_activation(hidden), get_activation(output), get_loss(loss))
    spec[2].check_fits(spec[1])
    der = GenericDerivation(
        spec[0].name, spec[1].name, spec[2].name, bias, bool(examples), bool(l2), spec=spec
    )
    fa = mx.Apply(mx.Fn("f", LAYER), (mx.Vec("z", LAYER),))
    if bias == "unit":
        # the bias unit a_0 = 1 sits on top of the layer's values: W^l has a column 0 for it
        inputs = mx.Stacked((mx.Scalar("1"), mx.Vec("a", LAYER - 1)))
        forward = mx.MatMul(mx.Mat("W", LAYER), inputs)
    else:
        forward = mx.Add(mx.MatMul(mx.Mat("W", LAYER), mx.Vec("a", LAYER - 1)), mx.Vec("b", LAYER))
    der.equations["forward_z"] = mx.Equation(mx.Vec("z", LAYER), forward)
    der.equations["forward_a"] = mx.Equation(mx.Vec("a", LAYER), fa)
    W = mx.Mat("W", LAYER)
    step = mx.Product(mx.Scalar("eta"), mx.Grad(W))
    der.equations["update_W"] = mx.Equation(W, mx.Add(W, mx.Neg(step)), "assign")
    if bias == "explicit":  # with the bias unit, the biases are W's column 0
        B = mx.Vec("b", LAYER)
        step_b = mx.Product(mx.Scalar("eta"), mx.Grad(B))
        der.equations["update_b"] = mx.Equation(B, mx.Add(B, mx.Neg(step_b)), "assign")
    der.shapes = {
        "W": (LAYER, LAYER - 1),
        "delta": (LAYER, None),
        "a": (LAYER, None),
        "z": (LAYER, None),
    }
    output_step(der)
    recursion_step(der)
    weights_step(der)
    input_gradient_step(der)
    if examples or l2:
        mean_and_l2_step(der)
        _update_with_mean_gradient(der)
    verify_generic(der)
    return der


def _update_with_mean_gradient(der: GenericDerivation) -> None:
    """With m examples (or L2) the cost is J and its gradient is D^l, entry by entry
    ``dJ/dW^l_jk = D^l_jk`` (``entries["grad_J"]``, Ng's 2B.9c; with the bias unit D's column
    0 is the unregularised bias column): the update steps by D^l, as Ng's notes write it."""
    W = mx.Mat("W", LAYER)
    entry = der.entries["grad_J"].rhs  # D^l_jk, the entry of the gradient of J
    step = mx.Product(mx.Scalar("eta"), mx.Mat(entry.kind, entry.layer))
    der.equations["update_W"] = mx.Equation(W, mx.Add(W, mx.Neg(step)), "assign")


def derive_generic_for(net: Network) -> GenericDerivation:
    """The generic derivation with a concrete network's options (its depth left symbolic).

    The hidden activation is that of layer 1 (the generic f^l is abstract; the hidden
    activation only decides the output form f'(z) = g(a) of the recursion).

    >>> from symbp.model import network
    >>> net = network([2, 2, 1], "tanh", "sigmoid", "bce", bias="unit", examples=4, l2=1)
    >>> der = derive_generic_for(net)
    >>> der.hidden, der.bias, der.examples, der.l2
    ('tanh', 'unit', True, True)
    """
    return derive_generic(
        net.activation(1),
        net.activation(net.L),
        net.loss,
        net.bias,
        examples=net.examples > 1,
        l2=bool(net.l2),
    )
