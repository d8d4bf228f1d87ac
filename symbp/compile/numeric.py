"""NumPy code for elementwise formulas: printed by SymPy's NumPy printer, then run in place.

A formula (a SymPy expression over whole arrays, or a registry entry's stable NumPy string) is
turned into statements that write into preallocated buffers with ``out=``, so a training step
allocates nothing: ``A1*(1 - A1)`` into ``F1`` becomes

>>> A1 = sympy.Symbol("A1")
>>> for line in inplace(printed(A1 * (1 - A1)), "F1"):
...     print(line)
np.subtract(1, A1, out=F1)
np.multiply(A1, F1, out=F1)

A buffer named in the formula is never overwritten before it is read; what the emitter cannot
write in place (``np.where``, ``np.select``) is computed whole and copied into the buffer.
"""

from __future__ import annotations

import ast

import sympy
from sympy.printing.numpy import NumPyPrinter

_BINARY = {
    ast.Add: "np.add",
    ast.Sub: "np.subtract",
    ast.Mult: "np.multiply",
    ast.Div: "np.divide",
    ast.Pow: "np.power",
}
_COMPARE = {
    ast.Gt: "np.greater",
    ast.GtE: "np.greater_equal",
    ast.Lt: "np.less",
    ast.LtE: "np.less_equal",
}
# ufuncs with an ``out=`` argument; anything else is computed whole and copied
_UFUNCS = {
    "tanh", "exp", "log", "log1p", "expm1", "sqrt", "square", "abs", "negative",
    "reciprocal", "logaddexp", "maximum", "minimum", "heaviside", "sin", "cos", "sign",
}  # fmt: skip


def printed(expr: sympy.Expr) -> str:
    """NumPy source of a SymPy expression (SymPy's NumPy printer, module written ``np``).

    >>> printed(sympy.exp(-sympy.Symbol("Z2")))
    'np.exp(-Z2)'
    """
    return NumPyPrinter().doprint(expr).replace("numpy.", "np.")


def stable_form(code: str, **names: str) -> str:
    """A registry entry's NumPy string with its variables (``z``, ``a``) renamed to buffers.

    >>> stable_form("0.5 * (1.0 + np.tanh(0.5 * z))", z="Z1")
    '0.5 * (1.0 + np.tanh(0.5 * Z1))'
    """
    tree = ast.parse(code, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in names:
            node.id = names[node.id]
    return ast.unparse(tree)


class _Emitter:
    def __init__(self, temp: str) -> None:
        self.lines: list[str] = []
        self.temp = temp
        self.used = 0

    def fresh(self) -> str:
        self.used += 1
        return f"{self.temp}{self.used}"

    def emit(self, node: ast.expr, out: str) -> None:
        if _names(node) and out in _names(node) and not self._safe_alias(node, out):
            temp = self.fresh()
            self.emit(node, temp)
            self.lines.append(f"np.copyto({out}, {temp})")
            return
        if _is_leaf(node):
            self.lines.append(f"np.copyto({out}, {ast.unparse(node)})")
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            self._binary(node, out)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            self._call("np.negative", [node.operand], out)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            self._call(_COMPARE[type(node.ops[0])], [node.left, node.comparators[0]], out)
        elif _is_astype(node):
            self.emit(node.func.value, out)  # a comparison written into a float buffer is 0/1
        elif _ufunc_name(node) in _UFUNCS and not node.keywords:
            self._call(f"np.{_ufunc_name(node)}", node.args, out)
        else:
            self.lines.append(f"np.copyto({out}, {ast.unparse(node)})")

    def _safe_alias(self, node: ast.expr, out: str) -> bool:
        """``out op leaf`` and ``leaf op out`` may write into ``out`` directly."""
        if isinstance(node, ast.BinOp):
            return all(_is_leaf(side) for side in (node.left, node.right))
        if isinstance(node, ast.UnaryOp):
            return _is_leaf(node.operand)
        return False

    def _binary(self, node: ast.BinOp, out: str) -> None:
        if isinstance(node.op, ast.Pow) and _is_leaf(node.right) and not _names(node.right):
            exponent = ast.unparse(node.right)
            if exponent in ("2", "2.0"):
                self._call("np.square", [node.left], out)
                return
        self._call(_BINARY[type(node.op)], [node.left, node.right], out)

    def _call(self, function: str, args: list[ast.expr], out: str) -> None:
        """Compute at most one argument into ``out`` itself, the others into temporaries."""
        shown, into_out = [], False
        for arg in args:
            if _is_leaf(arg):
                shown.append(ast.unparse(arg))
            elif not into_out:
                self.emit(arg, out)
                shown.append(out)
                into_out = True
            else:
                temp = self.fresh()
                self.emit(arg, temp)
                shown.append(temp)
        self.lines.append(f"{function}({', '.join(shown)}, out={out})")


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id != "np"}


def _is_leaf(node: ast.expr) -> bool:
    """A buffer name or a constant (a subtree without names is a scalar constant)."""
    return isinstance(node, ast.Name) or not _names(node)


def _ufunc_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        owner = node.func.value
        if isinstance(owner, ast.Name) and owner.id == "np":
            return node.func.attr
    return None


def _is_astype(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "astype"
        and isinstance(node.func.value, ast.Compare)
    )


def inplace(code: str, out: str, temp: str | None = None) -> list[str]:
    """Statements that compute the NumPy expression ``code`` into the buffer ``out``.

    Temporaries are named ``{temp}1``, ``{temp}2``, ... (default ``{out}_t``); the caller
    allocates them with the shape of ``out`` (:func:`temporaries_needed` counts them).

    >>> inplace("0.5 * (1.0 + np.tanh(0.5 * Z1))", "A1")
    ['np.multiply(0.5, Z1, out=A1)', 'np.tanh(A1, out=A1)', 'np.add(1.0, A1, out=A1)', \
'np.multiply(0.5, A1, out=A1)']
    """
    emitter = _Emitter(temp or f"{out}_t")
    emitter.emit(ast.parse(code, mode="eval").body, out)
    return emitter.lines


def temporaries_needed(code: str, out: str, temp: str) -> int:
    """How many temporaries :func:`inplace` uses for ``code``."""
    emitter = _Emitter(temp)
    emitter.emit(ast.parse(code, mode="eval").body, out)
    return emitter.used
