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

import ast
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter

from symbp.compile.matrix import CompileError
from symbp.derive import arrayops, arrayops_attention, arrayops_lstm

OPERATION_MODULES = (arrayops, arrayops_lstm)
"""Where a recognised step's operations are looked up, in this order."""

HELPERS = (
    "_recall", "_keep", "_batch_last", "_reach", "_padded", "_columns", "_unstacked",
    "_stacked", "_blocks", "_unblock", "first_max_mask", "_window_mask", "_inverse_root",
    "_score_grad", "_previous",
)  # fmt: skip
"""The private functions the operations call: copied into every trainer (translated for torch
and jax, whose preludes define :data:`NUMPY_HELPERS`' own)."""


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


def printed_factor(expr: sympy.Expr) -> str:
    """NumPy source of a factor that multiplies an array: a step H(z) of an array name (ReLU's
    slope) as the boolean comparison itself (True is 1), else :func:`printed`.

    >>> printed_factor(sympy.Heaviside(sympy.Symbol("Z1"), 0))
    'np.greater(Z1, 0)'
    """
    if isinstance(expr, sympy.Heaviside) and len(expr.args) == 2:
        compare = {0: "greater", 1: "greater_equal"}.get(expr.args[1])
        if compare and isinstance(expr.args[0], sympy.Symbol):
            return f"np.{compare}({expr.args[0]}, 0)"
    return printed(expr)


def written_into(code: str, key: str, like: str) -> str:
    """One call of a NumPy ufunc ``np.f(...)`` written into the kept array of ``key`` (shaped
    and laid out as the array ``like``: :func:`_like`); other code as it is.

    >>> written_into("np.maximum(Z1, 0.0)", "A1", "Z1")
    "np.maximum(Z1, 0.0, out=_like('A1', Z1))"
    >>> written_into("0.5 * (1.0 + np.tanh(0.5 * Z1))", "A1", "Z1")
    '0.5 * (1.0 + np.tanh(0.5 * Z1))'
    >>> written_into("np.where(Z1 > 0, Z1, 0.01 * Z1)", "A1", "Z1")  # not a ufunc: no out
    'np.where(Z1 > 0, Z1, 0.01 * Z1)'
    """
    call = ast.parse(code, mode="eval").body
    func = getattr(call, "func", None)
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return code
    ufunc = isinstance(getattr(np, func.attr, None), np.ufunc)
    if func.value.id != "np" or not ufunc or call.keywords or ast.unparse(call) != code:
        return code
    return f"{code[:-1]}, out=_like({key!r}, {like}))"


def printed(expr: sympy.Expr) -> str:
    """NumPy source of a derived template.

    >>> printed(sympy.Heaviside(sympy.Symbol("Z1") - 1, sympy.Rational(1, 2)))
    'np.heaviside(Z1 - 1, 0.5)'
    """
    return _NumPy().doprint(expr).replace("numpy.", "np.")


@dataclass(frozen=True)
class StepForm:
    """Step t of a whole-sequence operation written with proved operations on single steps.

    ``step``: the expression of step t, in the time loop, where ``{P}`` is the array of the
    operation's parameter ``P`` and ``{P}T`` its time-major view (step t is ``{P}T[t]``).
    :func:`proved_step_form` proves the form before it is printed."""

    step: str
    shapes: dict[str, tuple[int, ...]]  # the parameters' shapes on the proof's instance


_M, _T, _D, _N, _K = 2, 3, 2, 2, 3  # batch, steps, input width, units, output width
STEP_FORMS = {
    "recurrent_affine": StepForm(
        step="affine({H}T[t - 1], {Wh}, affine({X}T[t], {Wx}, {b})) if t "
        "else affine({X}T[t], {Wx}, {b})",
        shapes={"X": (_M, _T, _D), "H": (_M, _T, _N), "Wx": (_K, _D), "Wh": (_K, _N), "b": (_K,)},
    ),
    "shifted_matmul": StepForm(
        step="matmul({D}T[t + 1], {W}) if t + 1 < {D}T.shape[0] else 0.0",
        shapes={"D": (_M, _T, _K), "W": (_K, _N)},
    ),
    "cell_update": StepForm(
        step="{IG}T[t] * {GG}T[t] + {FG}T[t] * {C}T[t - 1] if t else {IG}T[t] * {GG}T[t]",
        shapes={v: (_M, _T, _N) for v in ("FG", "C", "IG", "GG")},
    ),
    "carousel": StepForm(
        step="{DC}T[t + 1] * {FG}T[t + 1] if t + 1 < {DC}T.shape[0] else 0.0",
        shapes={"DC": (_M, _T, _N), "FG": (_M, _T, _N)},
    ),
    "forget_gate_grad": StepForm(
        step="{DC}T[t] * {C}T[t - 1] if t else 0.0 * {DC}T[t]",
        shapes={"DC": (_M, _T, _N), "C": (_M, _T, _N)},
    ),
}
"""The recurrent operations a time loop runs one step at a time, not on a window: one product
per step with the previous (next) step's array (the lstm's cell update, carousel and forget
gate gradient: an elementwise product with it), and z's input projection of step t's rows
(small products in the loop are faster here than one on the whole sequence, whose temporaries
are megabytes)."""


def _symbols(name: str, shape: tuple[int, ...]) -> np.ndarray:
    count = int(np.prod(shape))
    return np.array(sympy.symbols(f"{name}_0:{count}", real=True), dtype=object).reshape(shape)


@functools.cache
def proved_step_form(name: str) -> StepForm:
    """:data:`STEP_FORMS`' form of operation ``name``, proved: on symbol arrays of its
    instance (3 steps; the sizes enter the operations only as shapes, as in
    :mod:`symbp.derive.recognise`), the printed statements give, at every step, the entries of
    the operation's whole-sequence call, as expanded polynomials. One that does not is refused.

    >>> proved_step_form("shifted_matmul").step
    'matmul({D}T[t + 1], {W}) if t + 1 < {D}T.shape[0] else 0.0'
    """
    form = STEP_FORMS[name]
    arrays = {p: _symbols(p, shape) for p, shape in form.shapes.items()}
    whole = operation(name)(**arrays)
    names = {p: p for p in arrays}
    scope = {op.__name__: op for op in (arrayops.affine, arrayops.matmul)}
    scope |= {"np": np} | arrays | {f"{p}T": a.transpose(1, 0, 2) for p, a in arrays.items()
                                    if a.ndim == 3}  # fmt: skip
    for t in range(_T):
        got = eval(form.step.format(**names), scope | {"t": t})  # noqa: S307 - as above
        if not _equal(np.broadcast_to(got, whole[:, t].shape), whole[:, t]):
            raise CompileError(f"the step form of {name} is not its step {t}")
    return form


def _equal(got: np.ndarray, want: np.ndarray) -> bool:
    """Entry by entry, the expanded difference is 0."""
    pairs = zip(got.flat, want.flat, strict=True)
    return all(sympy.expand(sympy.sympify(g - w)).is_zero for g, w in pairs)


def _work(key, shape, like, _kept={}):  # noqa: ANN001, ANN202, B006 - the kept arrays
    """np.zeros(shape, like.dtype), the same array at every call with this key (zeroed again):
    a time loop's sequences reuse memory a step has touched before instead of fresh pages,
    whose faults cost a third of a small LSTM's step. The values a pass returns are read
    before the next pass (torch and jax define ``_work`` as plain zeros)."""
    found = _kept.get(key)
    if found is None or found.shape != shape or found.dtype != like.dtype:
        found = _kept[key] = np.zeros(shape, like.dtype)
    else:
        found.fill(0)
    return found


def _like(key, like, _kept={}):  # noqa: ANN001, ANN202, B006 - the kept arrays
    """An array shaped and laid out as ``like`` (its entries left as they were), the same at
    every call with this key and shape: what an elementwise line of a conv layer writes into
    (``out=``), instead of fresh pages every pass (torch and jax drop the ``out``)."""
    index = (key, like.shape, like.dtype, like.strides)
    found = _kept.get(index)
    if found is None:
        if len(_kept) >= 256:  # many batch sizes: start again
            _kept.clear()
        found = _kept[index] = np.empty_like(like)
    return found


def _times_step(D, Z):  # noqa: ANN001, ANN202 - arrays
    """D * H(Z) with H(0) = 0 (ReLU's slope), written into D (an array of this pass alone);
    torch's prelude calls its fused kernel of it, threshold_backward."""
    D *= np.greater(Z, 0)
    return D


def step_product(template: sympy.Expr, da: str, z: str) -> str | None:
    """The call of :func:`_times_step` when dz's factor ``template`` is the step H(Z) with
    H(0) = 0, else None.

    >>> step_product(sympy.Heaviside(sympy.Symbol("Z", real=True), 0), "DA1", "Z1")
    '_times_step(DA1, Z1)'
    """
    zero = sympy.Heaviside(sympy.Symbol("Z", real=True), 0)
    return f"_times_step({da}, {z})" if template == zero else None


NUMPY_HELPERS = (
    _work, _like, _times_step, arrayops._scratch, arrayops._product,
    arrayops_attention._batched_product,
)  # fmt: skip
"""Helpers only the NumPy trainer defines (array_dialect's preludes define the others'): the
work arrays kept between passes, and a product written into one."""
