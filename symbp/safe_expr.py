"""User text -> SymPy, without ever evaluating it: the one safe parser for expressions, and the
checks on names that reach generated code.

``parse_expression`` reads a small grammar (numbers, the given variable names, ``+ - * / **``,
parentheses and a fixed set of functions) by walking Python's syntax tree; nothing is passed to
``eval``, ``exec`` or ``sympify``. Sizes are bounded so that no text can stall SymPy.

>>> parse_expression("t**3/3 + exp(-t)", ["t"])
t**3/3 + exp(-t)
>>> parse_expression("__import__('os').system('true')", ["t"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symbp.errors.SpecError: cannot read expression ...: only numbers, t, + - * / ** and ...
>>> check_name("swish", "activation name")
'swish'
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

import sympy

from symbp.errors import SpecError

MAX_TEXT = 1000
"""Characters in one expression."""
MAX_DIGITS = 30
"""Digits in one number literal."""
MAX_EXPONENT = 1000
"""Largest |exponent| of a power of numbers (2**10**10 would stall SymPy)."""

FUNCTIONS: dict[str, type] = {
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "tanh": sympy.tanh,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "atan": sympy.atan,
    "erf": sympy.erf,
    "Abs": sympy.Abs,
    "abs": sympy.Abs,
    "Max": sympy.Max,
    "Min": sympy.Min,
}
CONSTANTS = {"pi": sympy.pi, "E": sympy.E}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def check_name(name: object, what: str) -> str:
    """``name`` if it is identifier-safe (a letter, then letters, digits, ``_``; at most 32),
    else SpecError: such names reach generated code and LaTeX as they are.

    >>> check_name("x'''", "loss name")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.SpecError: loss name must be a letter then letters, digits or _ ...
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise SpecError(
            f"{what} must be a letter then letters, digits or _ (at most 32), got {name!r}"
        )
    return name


def _fail(text: str, variables: Iterable[str], why: str = "") -> SpecError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    grammar = (
        f"only numbers, {', '.join(variables)}, + - * / ** and "
        f"{', '.join(FUNCTIONS)}, {', '.join(CONSTANTS)}"
    )
    return SpecError(f"cannot read expression {shown!r}: {why or grammar}")


def parse_expression(text: str, variables: Iterable[str]) -> sympy.Expr:
    """The SymPy expression ``text`` writes in ``variables`` (real symbols of those names)."""
    variables = list(variables)
    if not isinstance(text, str):
        raise SpecError(f"an expression must be a string or a SymPy expression, got {text!r}")
    if len(text) > MAX_TEXT:
        raise _fail(text, variables, f"longer than the limit of {MAX_TEXT} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise _fail(text, variables) from None
    symbols = {name: sympy.Symbol(check_name(name, "a variable")) for name in variables}

    def build(node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            digits = str(node.value)
            if len(digits.lstrip("-").replace(".", "")) > MAX_DIGITS or digits in ("inf", "nan"):
                raise _fail(text, variables, f"a number past {MAX_DIGITS} digits or infinite")
            return sympy.Integer(node.value) if isinstance(node.value, int) else sympy.Float(digits)
        if isinstance(node, ast.Name):
            if node.id in symbols:
                return symbols[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            raise _fail(text, variables, f"unknown name {node.id!r}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = build(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](build(node.left), build(node.right))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            base, exponent = build(node.left), build(node.right)
            if exponent.is_Number and abs(exponent) > MAX_EXPONENT:
                raise _fail(text, variables, f"an exponent past {MAX_EXPONENT}")
            return base**exponent
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FUNCTIONS
            and not node.keywords
            and node.args
        ):
            return FUNCTIONS[node.func.id](*[build(arg) for arg in node.args])
        raise _fail(text, variables)

    try:
        return build(tree.body)
    except RecursionError:
        raise _fail(text, variables, "nested too deeply") from None


def check_expression(expression: sympy.Expr, what: str) -> sympy.Expr:
    """``expression`` if every symbol has an identifier-safe name and every function is one
    SymPy defines (no ``Function('...')`` whose name would be printed into code).

    >>> check_expression(sympy.Function("os.system")(sympy.Symbol("t")), "activation")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.SpecError: activation uses the undefined function 'os.system'; use SymPy's ...
    """
    if not isinstance(expression, sympy.Expr):
        raise SpecError(f"{what} must be a SymPy expression or a string, got {expression!r}")
    for symbol in expression.free_symbols:
        check_name(getattr(symbol, "name", str(symbol)), f"a symbol of the {what}")
    for function in expression.atoms(sympy.Function):
        if isinstance(function.func, sympy.core.function.UndefinedFunction):
            raise SpecError(
                f"{what} uses the undefined function {function.func.__name__!r}; "
                "use SymPy's own functions"
            )
    return expression
