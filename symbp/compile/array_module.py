"""Text the PyTorch and JAX modules share, written once: a dense trainer's four core functions
(the framework shows only in the statements, already translated by
:class:`~symbp.compile.array_lines.ArrayLines`) and the torch modules' ``nn.Module``.

>>> from symbp.compile.array_lines import ArrayLines
>>> from symbp.compile.dialects import JAX
>>> from symbp.compile.matrix import matrix_form
>>> from symbp.model import network
>>> core = dense_core(ArrayLines(matrix_form(network([2, 2, 1], "tanh", "sigmoid", "bce")), JAX))
>>> core.splitlines()[0]
'def _forward(params, X):'
>>> "a 0-d array" in core
True
"""

from __future__ import annotations

from symbp.compile.array_lines import ArrayLines


def indent(lines: list[str], depth: int = 1) -> str:
    return "\n".join("    " * depth + line for line in lines)


def dense_names(L: int) -> list[str]:
    """W1..WL, b1..bL: a dense module's parameters, in NAMES order."""
    return [f"W{layer}" for layer in range(1, L + 1)] + [f"b{layer}" for layer in range(1, L + 1)]


def dense_core(lines: ArrayLines) -> str:
    """``_forward``, ``_cost``, ``_backward`` and ``_regularised`` of a dense module, in the
    operations of ``lines``' dialect (``forward()`` first: it fills ``lines.saved``)."""
    forward, cost, backward = lines.forward(), lines.loss(), lines.backward()
    saved, L = lines.saved, lines.net.L
    names = dense_names(L)
    unpack = f"{', '.join(names)} = ({', '.join(f'params[{n!r}]' for n in names)},)"
    unpack_saved = f"({', '.join(saved)},) = saved"
    grads = ", ".join(f"d{n}" for n in names)
    penalty = " + ".join(f"(W{layer} * W{layer}).sum()" for layer in range(1, L + 1))
    zero_d = "a 0-d tensor" if lines.dialect.name == "torch" else "a 0-d array"
    return f'''def _forward(params, X):
    """The forward pass: every array the loss and the backward pass read."""
    {unpack}
{indent(forward)}
    return ({", ".join(saved)},)


def _cost(params, Y, saved, m):
    """Mean loss over the rows (after _forward), plus the L2 term: {zero_d}."""
    {unpack_saved}
{indent(cost)}
    if L2:
        {unpack}
        total = total + 0.5 * L2 * ({penalty})
    return total / m


def _backward(params, X, Y, saved, scale):
    """Backpropagation in matrix form: scale * gradient of every parameter, in NAMES order."""
    {unpack}
    {unpack_saved}
{indent(backward)}
    return ({grads},)


def _regularised(params, grads, factor):
    """Adds factor * lambda * W<l> to each weight's gradient (the L2 term's gradient)."""
    if not L2:
        return grads
    return tuple(
        grad + (factor * L2) * params[name] if name[0] == "W" else grad
        for name, grad in zip(NAMES, grads)
    )
'''


def torch_network_class(names: list[str]) -> str:
    """``Network``, the torch modules' nn.Module (its cost is ``cost_op``), and
    ``network_module``."""
    return f'''class Network(torch.nn.Module):
    """nn.Module of the parameters {", ".join(names)} (its named_parameters()); calling it on
    (X, Y) gives the cost, and the cost's backward() runs the derived backward pass (cost_op)."""

    def __init__(self, params):
        super().__init__()
        for name in NAMES:
            tensor = torch.as_tensor(params[name], dtype=DTYPE)
            self.register_parameter(name, torch.nn.Parameter(tensor))

    def forward(self, X, Y):
        X, Y = _batch(self.{names[0]}.device, X, Y)
        return cost_op(X, Y, {", ".join(f"self.{n}" for n in names)})[0]

    def predict(self, X):
        """The network's output for inputs X (no gradient)."""
        return forward(dict(self.named_parameters()), X)


def network_module(seed=0, device="cpu"):
    """A Network holding init_params(seed, device)."""
    return Network(init_params(seed, device))
'''
