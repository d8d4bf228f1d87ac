"""The proved array operations a layered trainer calls, found by name, and the printer of its
elementwise templates.

The operations live in :mod:`symbp.derive.arrayops` (with the attention ops it registers) and
:mod:`symbp.derive.arrayops_lstm`; a trainer copies the source of each one it calls, and of
the private helpers those call (:data:`HELPERS`), into its own module.

>>> operation("matmul").__module__, operation("carousel").__module__
('symbp.derive.arrayops', 'symbp.derive.arrayops_lstm')
>>> [f.__name__ for f in helper_functions()][-1]
'_previous'
>>> printed(sympy.Heaviside(sympy.Symbol("Z1"), 0))
'np.greater(Z1, 0).astype(Z1.dtype)'
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy.printing.numpy import NumPyPrinter

from symbp.compile.matrix import CompileError
from symbp.derive import arrayops, arrayops_lstm

OPERATION_MODULES = (arrayops, arrayops_lstm)
"""Where a recognised step's operations are looked up, in this order."""

HELPERS = (
    "_recall", "_keep", "_spatial", "_pad", "_windows", "_columns", "_blocks", "_unblock",
    "first_max_mask", "_window_mask", "_inverse_root", "_score_grad", "_previous",
)  # fmt: skip
"""The private functions the operations call: copied into every trainer."""


def operation(name: str) -> Callable:
    """The proved operation (or helper) called ``name``; a name no module has is refused."""
    for module in OPERATION_MODULES:
        found = getattr(module, name, None)
        if callable(found):
            return found
    raise CompileError(f"no array operation {name!r} to print")


def helper_functions() -> list[Callable]:
    """The functions of :data:`HELPERS`, in that order."""
    return [operation(name) for name in HELPERS]


class _NumPy(NumPyPrinter):
    def _print_Heaviside(self, expr: sympy.Heaviside) -> str:
        """The step with the derivation's own value at 0 (ReLU's kink: 0): of an array name
        with H(0) = 0 or 1 a comparison (five times faster than np.heaviside), else
        np.heaviside."""
        at_zero = expr.args[1] if len(expr.args) > 1 else sympy.Rational(1, 2)
        x = self._print(expr.args[0])
        compare = {0: "greater", 1: "greater_equal"}.get(at_zero)
        if isinstance(expr.args[0], sympy.Symbol) and compare:
            return f"np.{compare}({x}, 0).astype({x}.dtype)"
        return f"np.heaviside({x}, {float(at_zero)})"


def printed(expr: sympy.Expr) -> str:
    """NumPy source of a derived template.

    >>> printed(sympy.Heaviside(sympy.Symbol("Z1") - 1, sympy.Rational(1, 2)))
    'np.heaviside(Z1 - 1, 0.5)'
    """
    return _NumPy().doprint(expr).replace("numpy.", "np.")
