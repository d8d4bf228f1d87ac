"""What backpropagation saves: multiplications per example, against computing forwards.

Wikipedia's matrix section makes two points against "naively computing forwards": computing
each delta^l from its full product repeats the multiplications of the layers above it, and
multiplying forwards (from a change in an early layer towards the loss) tracks every path of a
change, one pass per direction. :func:`cost_comparison` counts real multiplications for a
concrete network, per example, with dense vectors (no pass knows which entries are zero):

- ``backprop``: delta^L (``n_L`` for f' o grad, ``n_L^2`` for a softmax Jacobian), each
  delta^{l-1} = (W^l)^T delta^l o (f^{l-1})' (``n_l n_{l-1} + n_{l-1}``), each weight gradient
  delta^l (a^{l-1})^T (``n_l n_{l-1}``; bias gradients are free), and grad_x = (W^1)^T delta^1.
- ``naive``: the same, but every delta^l evaluated from its full product (the list
  delta^1 ... delta^L of :func:`symbp.derive.chains.naive_deltas`), nothing reused.
- ``forward``: forward accumulation, one tangent pass per parameter and per input: a parameter
  of layer l seeds dz^l (1 multiplication for w^l_{jk} = a^{l-1}_k, none for b^l_j), then every
  layer from l on costs f' o dz (``n_m``) and W^{m+1} da (``n_{m+1} n_m``), and the loss
  grad . da^L (``n_L``).

>>> from symbp.model import network
>>> c = cost_comparison(network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
>>> c.backprop, c.naive, c.forward, c.passes
(15, 16, 60, 11)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symbp.model import Network


@dataclass(frozen=True)
class CostComparison:
    """Multiplication counts per example; ``passes`` is the number of forward-mode passes."""

    sizes: tuple[int, ...]
    parameters: int
    backprop: int
    naive: int
    forward: int
    passes: int
    explanation: str

    @property
    def ratio(self) -> float:
        """How many times more multiplications forward accumulation needs."""
        return self.forward / self.backprop


def _output_cost(net: Network) -> int:
    n = net.sizes[-1]
    return n if net.activation(net.L).elementwise else n * n


def _step_back(net: Network, layer: int) -> int:
    """delta^{layer-1} from delta^{layer}: (W^l)^T delta^l, then o (f^{l-1})'."""
    return net.sizes[layer] * net.sizes[layer - 1] + net.sizes[layer - 1]


def _tangent_from(net: Network, layer: int) -> int:
    """One forward-mode pass from a seeded dz^layer to dC (dense vectors)."""
    sizes, total = net.sizes, 0
    for m in range(layer, net.L + 1):
        act = net.activation(m)
        total += sizes[m] if act.elementwise else sizes[m] ** 2
        if m < net.L:
            total += sizes[m + 1] * sizes[m]
    return total + sizes[-1]


def cost_comparison(net: Network) -> CostComparison:
    """Count the multiplications of backprop, naive deltas and forward accumulation for ``net``.

    >>> from symbp.model import network
    >>> cost_comparison(network([64, 128, 64, 10], "relu", "softmax", "cce")).ratio > 100
    True
    """
    sizes, L = net.sizes, net.L
    weights = [sizes[m] * sizes[m - 1] for m in range(1, L + 1)]
    first_step = sizes[1] * sizes[0]  # grad_x = (W^1)^T delta^1
    backprop = _output_cost(net) + sum(_step_back(net, m) for m in range(2, L + 1))
    backprop += sum(weights) + first_step
    naive = sum(weights) + first_step
    for start in range(1, L + 1):
        naive += _output_cost(net) + sum(_step_back(net, m) for m in range(start + 1, L + 1))
    forward, passes = 0, 0
    for m in range(1, L + 1):
        biases = sizes[m]
        forward += weights[m - 1] * (1 + _tangent_from(net, m))
        forward += biases * _tangent_from(net, m)
        passes += weights[m - 1] + biases
    # an input x_k seeds dz^1 = W^1 e_k: n_1 multiplications are skipped (a column), so count
    # the pass from layer 1 as for a bias, per input
    forward += sizes[0] * _tangent_from(net, 1)
    passes += sizes[0]
    explanation = (
        f"Per example, backprop needs {backprop} multiplications: each delta^l once from "
        f"delta^(l+1), each gradient once. Writing every delta^l out in full from grad_a^L C "
        f"(naively computing forwards, nothing reused) needs {naive}. Forward accumulation "
        f"needs one pass per parameter and input ({passes} passes), {forward} multiplications: "
        f"{forward / backprop:.1f} times as many, because each pass carries one direction of "
        f"change through every later layer while backprop carries the one gradient back once."
    )
    return CostComparison(sizes, net.parameter_count, backprop, naive, forward, passes, explanation)


def cost_formulas() -> dict[str, sympy.Expr]:
    """The same counts for any depth L and widths n_0 .. n_L (elementwise output activation),
    as SymPy sums: the cost argument of Wikipedia's section, stated once for every network.

    >>> formulas = cost_formulas()
    >>> from symbp.model import network
    >>> net = network([2, 2, 1], "sigmoid", "sigmoid", "bce")
    >>> [int(evaluate_formula(formulas[k], net.sizes)) for k in ("backprop", "naive", "forward")]
    [15, 16, 60]
    """
    n, L = sympy.IndexedBase("n"), sympy.Symbol("L", integer=True, positive=True)
    k, m, s = (sympy.Symbol(name, integer=True) for name in ("k", "m", "s"))
    step_back = n[m] * n[m - 1] + n[m - 1]
    weights = sympy.Sum(n[k] * n[k - 1], (k, 1, L))
    backprop = n[L] + sympy.Sum(step_back, (m, 2, L)) + weights + n[1] * n[0]
    naive = weights + n[1] * n[0] + sympy.Sum(n[L] + sympy.Sum(step_back, (m, s + 1, L)), (s, 1, L))
    tangent = sympy.Sum(n[m], (m, k, L)) + sympy.Sum(n[m + 1] * n[m], (m, k, L - 1)) + n[L]
    forward = sympy.Sum(n[k] * n[k - 1] * (1 + tangent) + n[k] * tangent, (k, 1, L))
    forward += n[0] * tangent.subs(k, 1)
    return {"backprop": backprop, "naive": naive, "forward": forward}


def evaluate_formula(formula: sympy.Expr, sizes: tuple[int, ...]) -> sympy.Integer:
    """A formula of :func:`cost_formulas` for concrete layer sizes n_0 .. n_L."""
    n, L = sympy.IndexedBase("n"), sympy.Symbol("L", integer=True, positive=True)
    value = formula.subs(L, len(sizes) - 1).doit()
    return value.xreplace({n[i]: size for i, size in enumerate(sizes)})
