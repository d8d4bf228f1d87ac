"""The mean over m examples and L2 regularisation: Ng's accumulator Delta^l and gradient D^l,
with the L2 term differentiated in index form (the bias column 0 left out with Ng's bias unit).

>>> from symbp.derive.generic import derive_generic
>>> print(derive_generic(bias="unit", examples=True, l2=True).entries["mean_grad_bias"])
D^l_jk := 1/m (Delta^l_jk)
"""

from __future__ import annotations

import sympy

from symbp.derive import matrix as mx
from symbp.derive.generic_data import GenericDerivation, GenericStep, partial
from symbp.derive.indexform import P, Q, contract, n, w
from symbp.derive.matrix import COL, LAYER, ROW
from symbp.derive.steps import Rule


def mean_and_l2_step(der: GenericDerivation) -> None:
    """J = 1/m sum_t C^(t) + lambda/(2m) sum_{j,k>=1} (w^l_{jk})^2: the accumulator and D^l."""
    m, lam = sympy.Symbol("m", positive=True), sympy.Symbol("lambda", nonnegative=True)
    k_lo = 1
    reg = 0
    if der.l2:
        local = sympy.diff(w[LAYER, ROW, COL] ** 2, w[LAYER, P, Q])
        square = sympy.Sum(sympy.Sum(local, (ROW, 1, n[LAYER])), (COL, k_lo, n[LAYER - 1]))
        reg = contract(lam / (2 * m) * square, {Q: 0} if der.bias == "unit" else {})
        der.steps.append(
            GenericStep(
                "mean_grad",
                partial(sympy.Symbol("R"), w[LAYER, P, Q]),
                reg,
                Rule.L2,
                "R = lambda/(2m) sum_{j, k>=1} (w^l_{jk})^2",
            )
        )
    Delta, D = mx.Mat("Delta", LAYER), mx.Mat("D", LAYER)
    per_example = der.equations["grad_W"].rhs
    der.equations["accumulate"] = mx.Equation(Delta, mx.Add(Delta, per_example), "assign")
    entry = der.entries["grad_W"].rhs
    Delta_jk = mx.Elem("Delta", LAYER, (ROW, COL))
    der.entries["accumulate"] = mx.Equation(Delta_jk, mx.Add(Delta_jk, entry), "assign")
    D_jk = mx.Elem("D", LAYER, (ROW, COL))
    inv_m = 1 / m
    if der.l2:
        # the L2 derivative, recognised: lambda/m w^l_{PQ}, only where the condition holds
        value, condition = reg, True
        for piecewise in reg.atoms(sympy.Piecewise):
            (inner, condition), *_ = piecewise.args
            value = reg.xreplace({piecewise: inner})
        coefficient = sympy.simplify(value / w[LAYER, P, Q] * m)
        term = mx.Product(mx.Scalar(str(coefficient)), mx.Elem("W", LAYER, (ROW, COL)))
        der.entries["mean_grad"] = mx.Equation(
            D_jk, mx.Scaled(inv_m, mx.Add(Delta_jk, term)), "assign"
        )
        regular = mx.Product(mx.Scalar(str(coefficient)), mx.Mat("W", LAYER))
        der.equations["mean_grad"] = mx.Equation(
            D, mx.Scaled(inv_m, mx.Add(Delta, regular)), "assign"
        )
        if condition is not True:
            _bias_column_steps(der, reg, value)
            der.assumptions.append("column 0 of Theta (the bias) is not regularised")
            der.entries["mean_grad_bias"] = mx.Equation(D_jk, mx.Scaled(inv_m, Delta_jk), "assign")
    else:
        der.entries["mean_grad"] = mx.Equation(D_jk, mx.Scaled(inv_m, Delta_jk), "assign")
        der.equations["mean_grad"] = mx.Equation(D, mx.Scaled(inv_m, Delta), "assign")
    der.entries["grad_J"] = mx.Equation(
        mx.Partial(mx.Cost(mean=True), mx.Elem("W", LAYER, (ROW, COL))), D_jk
    )


def _bias_column_steps(der: GenericDerivation, reg: sympy.Expr, value: sympy.Expr) -> None:
    """The L2 derivative's two cases, each proved where it holds: 0 in the bias column
    (``Q = 0``: no bias weight is in R) and ``lambda/m w^l_{PQ}`` in every other column."""
    R = sympy.Symbol("R")
    bias_column = sympy.piecewise_fold(reg.subs(Q, 0))
    der.steps.append(
        GenericStep(
            "mean_grad",
            partial(R, w[LAYER, P, 0]),
            bias_column,
            Rule.BIAS_COLUMN,
        )
    )
    der.steps.append(
        GenericStep(
            "mean_grad", partial(R, w[LAYER, P, Q]), value, Rule.OTHER_COLUMNS, where=((Q, 1),)
        )
    )
