"""``layernorm``: normalisation over the features (the last axis) of one example, and of each
position of a sequence, as torch.nn.LayerNorm(n) does (training and inference alike):

    mu = (1/n) sum_j x_j,   var = (1/n) sum_j (x_j - mu)^2   (biased),
    sigma = sqrt(var + eps),  eps = 1e-5,   x_hat_j = (x_j - mu) / sigma,
    a_j = gamma_j x_hat_j + beta_j,

with parameters ``gamma{i}`` and ``beta{i}`` of shape (n,). Only these forward equations are
stated, twice: over arrays of symbols (``equations``) and as staged definitions in index form
with a symbolic size (``index_stages``: the output written y, along the one axis normalised:
one feature's m examples for batch norm, one example's n features for layer norm, with
i, k = 0 .. m-1); mu, var, sigma and x_hat are defined intermediate quantities of the layer
(kept with a trailing axis of 1, as ``keepdims`` would), and the backward pass, including the
compact input gradient, is derived by the chain rule and proved (:mod:`symbp.derive.algebraic`).

>>> LayerNorm().output_shape((4, 5)), LayerNorm().output_shape((3,))
((4, 5), (3,))
>>> LayerNorm().index_stages().definitions[0]
(mu, Sum(x[k], (k, 0, n - 1))/n)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from symbp.errors import SpecError
from symbp.layers.base import Equations, LayerData, LayerKind, Shape, shape_text
from symbp.layers.index import IndexStages

EPS = sympy.Rational(1, 100000)
"""torch.nn.LayerNorm's default eps, 1e-5, as an exact number."""

# the index-form vocabulary of the staged definitions (entry i; sums over k)
i, k = sympy.symbols("i k", integer=True)
mu, var, sigma, eps = sympy.symbols("mu var sigma epsilon", positive=True)
x, x_hat, y = (sympy.IndexedBase(n, real=True) for n in ("x", "x_hat", "y"))
SIZES = {"batchnorm": sympy.Symbol("m", integer=True, positive=True),
         "layernorm": sympy.Symbol("n", integer=True, positive=True)}  # fmt: skip
"""The size each kind normalises over: the m examples of a batch, the n features of an example."""


def norm_stages(kind: str) -> IndexStages:
    """mu, var, sigma, x_hat_i and y_i = gamma x_hat_i + beta over ``SIZES[kind]`` entries
    (layer norm: gamma_i and beta_i, one per feature; batch norm: one gamma and beta for the
    feature normalised)."""
    m = SIZES[kind]
    per_feature = kind == "layernorm"
    gamma = sympy.IndexedBase("gamma", real=True)[i] if per_feature else sympy.Symbol("gamma")
    beta = sympy.IndexedBase("beta", real=True)[i] if per_feature else sympy.Symbol("beta")
    definitions = (
        (mu, sympy.Sum(x[k], (k, 0, m - 1)) / m),
        (var, sympy.Sum((x[k] - mu) ** 2, (k, 0, m - 1)) / m),
        (sigma, sympy.sqrt(var + eps)),
        (x_hat[i], (x[i] - mu) / sigma),
        (y[i], gamma * x_hat[i] + beta),
    )
    return IndexStages(m, (gamma, beta), definitions)


def _rows(values: list[sympy.Expr], shape: Shape) -> np.ndarray:
    return np.array(values, dtype=object).reshape(shape)


@dataclass(frozen=True)
class LayerNorm(LayerKind):
    kind = "layernorm"
    signature = "layernorm (no arguments) on a vector or a T x n sequence"

    def spec(self) -> str:
        return "layernorm"

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) not in (1, 2):
            raise SpecError(
                f"layernorm needs an input of a vector or a T x n sequence, got "
                f"{shape_text(shape)}; {self.kind} is {self.signature} (put flatten before it)"
            )
        return shape

    def parameter_shapes(self, shape: Shape, position: int) -> dict[str, Shape]:
        return {f"gamma{position}": (shape[-1],), f"beta{position}": (shape[-1],)}

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        self.output_shape(x.shape)
        p, n = data.position, x.shape[-1]
        gamma = eq.parameter(p, "gamma", (n,))
        beta = eq.parameter(p, "beta", (n,))
        data.parameters.update({f"gamma{p}": gamma, f"beta{p}": beta})
        data.arrays["x"] = x
        lead = x.shape[:-1] + (1,)
        rows = x.reshape(-1, n)
        mu = data.arrays["mu"] = eq.define(p, "mu", _rows([sympy.Add(*r) / n for r in rows], lead))
        centred = (x - mu).reshape(-1, n)
        squares = [sympy.Add(*[c**2 for c in r]) / n for r in centred]
        var = data.arrays["var"] = eq.define(p, "var", _rows(squares, lead))
        roots = [sympy.sqrt(v + EPS) for v in var.flat]
        sigma = data.arrays["sigma"] = eq.define(p, "sigma", _rows(roots, lead))
        xhat = data.arrays["xhat"] = eq.define(p, "xhat", (x - mu) / sigma)
        data.arrays["a"] = eq.define(p, "a", xhat * gamma + beta)

    def index_stages(self) -> IndexStages:
        """The staged definitions over one example's n features (see the module docstring)."""
        return norm_stages(self.kind)

    def small_input(self, shape: Shape) -> Shape:
        """3 features (2 positions of a sequence: every position is alike)."""
        return (*(min(n, 2) for n in shape[:-1]), min(shape[-1], 3))


@dataclass(frozen=True)
class BatchNorm(LayerKind):
    """``batchnorm``: normalisation of every feature over the m examples of the batch with the
    batch's own statistics, as torch.nn.BatchNorm1d(n) in training mode (no running averages):
    mu_j = (1/m) sum_e x_{e,j}, var_j biased, sigma_j = sqrt(var_j + eps),
    a_{e,j} = gamma_j (x_{e,j} - mu_j) / sigma_j + beta_j. The loss is then a function of the
    whole batch: the network is derived over a batch (``batch = True``).

    >>> BatchNorm().output_shape((4,))
    (4,)
    """

    kind = "batchnorm"
    signature = "batchnorm (no arguments) on a vector of features"
    batch = True

    def spec(self) -> str:
        return "batchnorm"

    def output_shape(self, shape: Shape) -> Shape:
        self.need(shape, 1, "a vector of features")
        return shape

    def parameter_shapes(self, shape: Shape, position: int) -> dict[str, Shape]:
        return {f"gamma{position}": (shape[-1],), f"beta{position}": (shape[-1],)}

    def equations(self, eq: Equations, data: LayerData, x: np.ndarray) -> None:
        """``x`` is the whole batch (m, n)."""
        p, (m, n) = data.position, x.shape
        gamma = eq.parameter(p, "gamma", (n,))
        beta = eq.parameter(p, "beta", (n,))
        data.parameters.update({f"gamma{p}": gamma, f"beta{p}": beta})
        data.arrays["x"] = x
        mu = data.arrays["mu"] = eq.define(p, "mu", _rows([sympy.Add(*c) / m for c in x.T], (1, n)))
        centred = (x - mu).T
        squares = [sympy.Add(*[c**2 for c in col]) / m for col in centred]
        var = data.arrays["var"] = eq.define(p, "var", _rows(squares, (1, n)))
        roots = [sympy.sqrt(v + EPS) for v in var.flat]
        sigma = data.arrays["sigma"] = eq.define(p, "sigma", _rows(roots, (1, n)))
        xhat = data.arrays["xhat"] = eq.define(p, "xhat", (x - mu) / sigma)
        data.arrays["a"] = eq.define(p, "a", xhat * gamma + beta)

    def index_stages(self) -> IndexStages:
        """The staged definitions over one feature's m examples (see the module docstring)."""
        return norm_stages(self.kind)

    def small_input(self, shape: Shape) -> Shape:
        return (min(shape[0], 3),)
