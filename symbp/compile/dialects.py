"""The NumPy backend's elementwise code, op for op in PyTorch or JAX.

Every elementwise formula of a compiled trainer (f(z), f'(z), the output delta, the loss term)
reaches the NumPy module as NumPy source: SymPy's NumPy printer for the derived templates, the
registry's stable forms for the rest (:mod:`symbp.compile.matrix`). The JAX and PyTorch modules
print the *same* source, read as a syntax tree and translated through one table per framework;
an operation outside the table is refused (:class:`~symbp.compile.matrix.CompileError`), never
guessed.

>>> translate("0.5 * (1.0 + np.tanh(0.5 * Z1))", TORCH)
'0.5 * (1.0 + torch.tanh(0.5 * Z1))'
>>> translate("np.where(Z1 > 0, 1.0, 0.1)", TORCH)
'torch.where(Z1 > 0, Z1.new_tensor(1.0), Z1.new_tensor(0.1))'
>>> translate("(Z1 > 0).astype(Z1.dtype)", TORCH)
'(Z1 > 0).to(Z1.dtype)'
>>> translate("np.logaddexp(0.0, Z2)", JAX)
'jnp.logaddexp(0.0, Z2)'
>>> translate("np.arccosh(Z1)", TORCH)
Traceback (most recent call last):
...
symbp.compile.matrix.CompileError: the torch backend has no counterpart of np.arccosh
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from symbp.compile.matrix import CompileError

# NumPy functions of the elementwise formulas, by their name in each framework
_ELEMENTWISE = (
    "tanh", "exp", "log", "log1p", "expm1", "sqrt", "square", "abs", "sin", "cos", "sign",
    "negative", "reciprocal", "ones_like", "zeros_like", "where", "logaddexp", "maximum",
    "minimum", "heaviside", "select",
)  # fmt: skip
_CONSTANTS = ("nan", "inf", "pi", "e")


@dataclass(frozen=True)
class Dialect:
    """How one framework writes the operations of a compiled trainer.

    ``functions`` maps a NumPy function name to the framework's; ``tensor_arguments`` are the
    functions whose every argument must be an array (a constant is made one of the formula's
    dtype with ``REF.new_tensor(c)``, REF the first array the formula names); ``axis`` and
    ``keep`` are the keywords of a reduction.
    """

    name: str
    module: str
    functions: dict[str, str]
    tensor_arguments: frozenset[str] = field(default_factory=frozenset)
    astype: str = "astype"
    axis: str = "axis"
    keep: str = "keepdims"

    def affine(self, x: str, w: str, b: str) -> str:
        """x w^T + b (torch: one fused addmm kernel)."""
        if self.name == "torch":
            return f"torch.addmm({b}, {x}, {w}.T)"
        return f"{x} @ {w}.T + {b}"

    def rowsum(self, x: str) -> str:
        x = x if x.isidentifier() else f"({x})"
        return f"{x}.sum({self.axis}=1, {self.keep}=True)"

    def colsum(self, x: str) -> str:
        return f"{x}.sum({self.axis}=0)"

    def rowmax(self, x: str) -> str:
        return f"{x}.max({self.axis}=1, {self.keep}=True)" + (
            ".values" if self.name == "torch" else ""
        )

    def clip(self, x: str, lo: str, hi: str | None) -> str:
        if self.name == "torch":
            return f"torch.clamp({x}, min={lo}" + (f", max={hi})" if hi else ")")
        return f"jnp.clip({x}, {lo}, {hi or 'jnp.inf'})"

    def finfo(self, what: str) -> str:
        return f"{self.module}.finfo(DTYPE).{what}"


TORCH = Dialect(
    name="torch",
    module="torch",
    functions={name: f"torch.{name}" for name in _ELEMENTWISE}
    | {"negative": "torch.neg", "select": ""},
    tensor_arguments=frozenset({"where", "logaddexp", "maximum", "minimum", "heaviside"}),
    astype="to",
    axis="dim",
    keep="keepdim",
)
JAX = Dialect(name="jax", module="jnp", functions={name: f"jnp.{name}" for name in _ELEMENTWISE})
DIALECTS = {"torch": TORCH, "jax": JAX}


def _is_np(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "np"


def _names(node: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id != "np"]


class _Translate(ast.NodeTransformer):
    def __init__(self, dialect: Dialect, reference: str | None) -> None:
        self.dialect, self.reference = dialect, reference

    def _array(self, node: ast.expr) -> ast.expr:
        """A constant argument as a 0-d array of the formula's dtype (torch's functions that
        take tensors only; a Python float would otherwise become torch's default float32)."""
        if _names(node) or self.reference is None:
            return node
        made = f"{self.reference}.new_tensor({ast.unparse(node)})"
        return ast.parse(made, mode="eval").body

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if _is_np(node.value):
            if node.attr not in _CONSTANTS:
                raise CompileError(
                    f"the {self.dialect.name} backend has no counterpart of np.{node.attr}"
                )
            return ast.parse(f"{self.dialect.module}.{node.attr}", mode="eval").body
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "astype" and not _is_np(func.value):
            node = self.generic_visit(node)
            node.func.attr = self.dialect.astype
            return node
        if not (isinstance(func, ast.Attribute) and _is_np(func.value)):
            raise CompileError(f"the {self.dialect.name} backend cannot print {ast.unparse(node)}")
        name = func.attr
        if name not in self.dialect.functions:
            raise CompileError(f"the {self.dialect.name} backend has no counterpart of np.{name}")
        args = [self.visit(arg) for arg in node.args]
        keywords = [ast.keyword(k.arg, self.visit(k.value)) for k in node.keywords]
        keywords = [k for k in keywords if k.arg != "out"]  # NumPy's kept array: a new one here
        if name == "select" and self.dialect.name == "torch":
            return self._nested_where(args, keywords)
        if name in self.dialect.tensor_arguments:
            first = 1 if name == "where" else 0  # where's condition is already an array
            args = args[:first] + [self._array(arg) for arg in args[first:]]
        call = ast.parse(f"{self.dialect.functions[name]}()", mode="eval").body
        call.args, call.keywords = args, keywords
        return call

    def _nested_where(self, args: list[ast.expr], keywords: list[ast.keyword]) -> ast.expr:
        """np.select([c1, c2], [v1, v2], default=d) as where(c1, v1, where(c2, v2, d))."""
        default = next((k.value for k in keywords if k.arg == "default"), None)
        if len(args) == 3:
            default = args[2]
        conditions, choices = args[0], args[1]
        if not (
            isinstance(conditions, ast.List | ast.Tuple)
            and isinstance(choices, ast.List | ast.Tuple)
        ):
            raise CompileError("the torch backend prints np.select of literal lists only")
        result = self._array(default if default is not None else ast.Constant(0.0))
        for condition, choice in reversed(list(zip(conditions.elts, choices.elts, strict=True))):
            where = ast.parse("torch.where()", mode="eval").body
            where.args = [condition, self._array(choice), result]
            result = where
        return result


def translate(code: str, dialect: Dialect) -> str:
    """``code`` (NumPy source of an elementwise formula) in ``dialect``'s operations."""
    tree = ast.parse(code, mode="eval")
    names = _names(tree)
    translated = _Translate(dialect, names[0] if names else None).visit(tree)
    return ast.unparse(ast.fix_missing_locations(translated))
