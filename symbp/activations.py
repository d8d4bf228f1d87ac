"""Activation functions: one registry entry each, holding everything symbp knows about it.

Each entry carries its SymPy definition, its derivative (SymPy's, unless a kink convention
overrides it), the identity that writes the derivative in terms of the output ``a = f(z)``
(checked against SymPy in the tests), its LaTeX name, its kink convention, the interval its
outputs live in (used to reject losses that do not fit), and a numerically stable NumPy form
for the compiler.

>>> z = sympy.Symbol("z", real=True)
>>> get_activation("sigmoid").fprime(z)
exp(-z)/(1 + exp(-z))**2
>>> get_activation("relu").fprime(sympy.Integer(0))
0
>>> get_activation("leaky_relu(0.1)").f(-z)
Piecewise((-z, z < 0), (-0.1*z, True))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

from symbp.errors import SpecError
from symbp.registry import Registry
from symbp.safe_expr import check_expression, check_name, parse_expression

Expr = sympy.Expr
_INF = sympy.oo


@dataclass(frozen=True)
class Activation:
    """Common interface: a map from the pre-activations of a layer to its activations.

    ``output_range`` is the open interval (lo, hi) every output lies in, or None if unknown.
    """

    name: str
    latex: str
    kink: str | None
    output_range: tuple[Expr, Expr] | None

    elementwise = True

    def __call__(self, zs: Sequence[Expr]) -> list[Expr]:
        raise NotImplementedError

    def jacobian_in_outputs(self, outputs: Sequence[Expr], i: int, j: int) -> Expr | None:
        """da_i/dz_j written with the outputs a, or None if no such identity is known."""
        raise NotImplementedError


@dataclass(frozen=True)
class Elementwise(Activation):
    """a_j = f(z_j) for every unit; its Jacobian is diagonal."""

    function: Callable[[Expr], Expr] = lambda z: z
    derivative_rule: Callable[[Expr], Expr] | None = None
    from_output: Callable[[Expr], Expr] | None = None
    numpy_forward: str = "z"
    numpy_derivative: str = "np.ones_like(z)"

    def f(self, z: Expr) -> Expr:
        return self.function(z)

    def fprime(self, z: Expr) -> Expr:
        """f'(z): SymPy's derivative, or the entry's own rule where a kink convention applies."""
        if self.derivative_rule is not None:
            return self.derivative_rule(z)
        t = sympy.Dummy("t", real=True)
        return sympy.diff(self.function(t), t).subs(t, z)

    def fprime_in_output(self, a: Expr) -> Expr | None:
        """f'(z) written with a = f(z) (sigmoid: a(1 - a)), or None if there is no such form."""
        return None if self.from_output is None else self.from_output(a)

    def __call__(self, zs: Sequence[Expr]) -> list[Expr]:
        return [self.function(z) for z in zs]

    def jacobian_in_outputs(self, outputs: Sequence[Expr], i: int, j: int) -> Expr | None:
        if i != j:
            return sympy.Integer(0)
        return self.fprime_in_output(outputs[i])


@dataclass(frozen=True)
class Softmax(Activation):
    """a_i = exp(z_i) / sum_k exp(z_k): vector-valued, its Jacobian is not diagonal."""

    elementwise = False

    def __call__(self, zs: Sequence[Expr]) -> list[Expr]:
        denominator = sympy.Add(*[sympy.exp(z) for z in zs])
        return [sympy.exp(z) / denominator for z in zs]

    def jacobian_in_outputs(self, outputs: Sequence[Expr], i: int, j: int) -> Expr | None:
        return outputs[i] * (sympy.KroneckerDelta(i, j) - outputs[j])


def _relu_kink(z: Expr) -> Expr:
    # NOTE: SymPy's diff(Max(z, 0), z) is Heaviside(z), which is 1/2 at z = 0; we state
    # ReLU'(0) = 0 (the convention of JAX and PyTorch) through Heaviside's second argument.
    return sympy.Heaviside(z, 0)


def _leaky(alpha: Expr) -> Elementwise:
    return Elementwise(
        name="leaky_relu",
        latex=r"\operatorname{LeakyReLU}",
        kink=(
            f"leaky_relu'(0) = {float(alpha):g}: the left derivative, the slope {float(alpha):g} "
            "for z < 0 (so that alpha = 0 gives ReLU)"
        ),
        output_range=None,
        function=lambda z: sympy.Piecewise((z, z > 0), (alpha * z, True)),
        numpy_forward=f"np.where(z > 0, z, {alpha} * z)",
        numpy_derivative=f"np.where(z > 0, 1.0, {alpha})",
    )


ACTIVATIONS: Registry[Callable[..., Activation]] = Registry("activation")
"""Factories by name; parameters (leaky_relu's alpha) are their arguments."""

_FIXED = [
    Elementwise(
        name="identity",
        latex=r"\operatorname{id}",
        kink=None,
        output_range=None,
        function=lambda z: z,
        from_output=lambda a: sympy.Integer(1),
        numpy_forward="z",
        numpy_derivative="np.ones_like(z)",
    ),
    Elementwise(
        name="sigmoid",
        latex=r"\sigma",
        kink=None,
        output_range=(sympy.Integer(0), sympy.Integer(1)),
        function=lambda z: 1 / (1 + sympy.exp(-z)),
        from_output=lambda a: a * (1 - a),
        # tanh form: no overflow warning for large |z|, unlike 1 / (1 + exp(-z))
        numpy_forward="0.5 * (1.0 + np.tanh(0.5 * z))",
        numpy_derivative="a * (1.0 - a)",
    ),
    Elementwise(
        name="tanh",
        latex=r"\tanh",
        kink=None,
        output_range=(sympy.Integer(-1), sympy.Integer(1)),
        function=sympy.tanh,
        from_output=lambda a: 1 - a**2,
        numpy_forward="np.tanh(z)",
        numpy_derivative="1.0 - a * a",
    ),
    Elementwise(
        name="relu",
        latex=r"\operatorname{ReLU}",
        kink="relu'(0) = 0",
        output_range=None,
        function=lambda z: sympy.Max(z, 0),
        derivative_rule=_relu_kink,
        numpy_forward="np.maximum(z, 0.0)",
        numpy_derivative="(z > 0).astype(z.dtype)",
    ),
    Elementwise(
        name="softplus",
        latex=r"\operatorname{softplus}",
        kink=None,
        output_range=(sympy.Integer(0), _INF),
        function=lambda z: sympy.log(1 + sympy.exp(z)),
        from_output=lambda a: 1 - sympy.exp(-a),
        numpy_forward="np.logaddexp(0.0, z)",
        numpy_derivative="0.5 * (1.0 + np.tanh(0.5 * z))",
    ),
    Softmax(
        name="softmax",
        latex=r"\operatorname{softmax}",
        kink=None,
        output_range=(sympy.Integer(0), sympy.Integer(1)),
    ),
]


def _constant(entry: Activation) -> Callable[[], Activation]:
    return lambda: entry


for _entry in _FIXED:
    ACTIVATIONS.register(_entry.name, _constant(_entry))
LEAKY_ALPHA_LIMIT = 10
"""Largest |alpha| of leaky_relu: compiled code stays finite (float32 too) at |z| = 500."""
_NUMBER = re.compile(r"^[-+]?(\d{1,15}(\.\d{0,15})?|\.\d{1,15})([eE][-+]?\d{1,3})?$")


def _leaky_alpha(text: str) -> sympy.Float:
    """leaky_relu's alpha from its text: a plain decimal number with |alpha| <= 10.

    >>> _leaky_alpha("0.2")
    0.200000000000000
    >>> _leaky_alpha("1e999")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.SpecError: leaky_relu's alpha must be a number from -10 to 10, got '1e999'
    """
    if not _NUMBER.match(str(text).strip()):
        raise SpecError(f"leaky_relu's alpha must be a number such as 0.01, got {text!r}")
    value = float(text)
    if not abs(value) <= LEAKY_ALPHA_LIMIT:
        raise SpecError(
            f"leaky_relu's alpha must be a number from -{LEAKY_ALPHA_LIMIT} to "
            f"{LEAKY_ALPHA_LIMIT}, got {text!r}"
        )
    return sympy.Float(str(text).strip())


ACTIVATIONS.register("leaky_relu", lambda alpha="0.01": _leaky(_leaky_alpha(alpha)))

_SPEC = re.compile(r"^\s*([a-z_]+)\s*(?:\(\s*([-+0-9.eE]+)\s*\))?\s*$")


def get_activation(spec: str | Activation) -> Activation:
    """An activation from a name, optionally with one numeric argument: ``leaky_relu(0.2)``.

    >>> get_activation("tanh").name
    'tanh'
    >>> get_activation("sigmod")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.SpecError: unknown activation 'sigmod'; known: identity, leaky_relu, relu, ...
    """
    if isinstance(spec, Activation):
        return spec
    match = _SPEC.match(spec)
    if match is None:
        raise SpecError(f"cannot read activation {spec!r}; write a name such as 'leaky_relu(0.1)'")
    name, argument = match.groups()
    factory = ACTIVATIONS.get(name)
    if argument is None:
        return factory()
    try:
        return factory(argument)
    except TypeError:
        raise SpecError(f"activation {name!r} takes no argument") from None


def custom_activation(
    expression: Expr | str,
    variable: sympy.Symbol,
    name: str = "f",
    output_range: tuple[Expr, Expr] | None = None,
) -> Elementwise:
    """An elementwise activation from a SymPy expression in one variable; SymPy derives f'.

    If SymPy can invert ``a = f(z)``, the derivative is also written with the output a (a custom
    sigmoid gets a(1 - a), exactly like the built-in one: nothing is special-cased by name).

    >>> t = sympy.Symbol("t")
    >>> act = custom_activation(t**3 / 3, t)
    >>> act.fprime(sympy.Symbol("z"))
    z**2
    >>> custom_activation(1 / (1 + sympy.exp(-t)), t).fprime_in_output(sympy.Symbol("a"))
    -a*(a - 1)

    A string is read by :func:`symbp.safe_expr.parse_expression` (never evaluated), and
    ``name`` must be identifier-safe, since it reaches generated code:

    >>> custom_activation("t / (1 + exp(-t))", t, name="swish").f(sympy.Symbol("z"))
    z/(1 + exp(-z))
    """
    if not isinstance(variable, sympy.Symbol):
        raise SpecError("a custom activation needs a SymPy Symbol as its variable")
    check_name(name, "a custom activation's name")
    if isinstance(expression, str):
        expression = parse_expression(expression, [variable.name]).xreplace(
            {sympy.Symbol(variable.name): variable}
        )
    check_expression(expression, "custom activation")
    extra = sorted(str(s) for s in expression.free_symbols - {variable})
    if extra:
        raise SpecError(
            f"custom activation may only use {variable}; also found: {', '.join(extra)}"
        )
    return Elementwise(
        name=name,
        latex=sympy.latex(sympy.Symbol(name)),
        kink=None,
        output_range=output_range,
        function=lambda z: expression.xreplace({variable: z}),
        from_output=_output_form(expression, variable),
        numpy_forward="",
        numpy_derivative="",
    )


def _output_form(expression: Expr, variable: sympy.Symbol) -> Callable[[Expr], Expr] | None:
    """g with f'(z) = g(f(z)), found by inverting a = f(z) when SymPy can; else None."""
    a = sympy.Dummy("a", positive=True)
    try:
        inverses = sympy.solve(sympy.Eq(a, expression), variable)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if len(inverses) != 1:
        return None
    form = sympy.factor(
        sympy.simplify(sympy.diff(expression, variable).subs(variable, inverses[0]))
    )
    if form.has(variable) or not form.free_symbols <= {a}:
        return None
    plain = form.xreplace({a: sympy.Dummy("a")})
    (symbol,) = plain.free_symbols or {None}
    return lambda out: plain.xreplace({symbol: out}) if symbol is not None else plain
