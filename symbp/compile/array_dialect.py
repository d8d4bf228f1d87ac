"""The proved NumPy array operations and a layered trainer's statements, in PyTorch or JAX.

A layered trainer (:mod:`symbp.compile.layered`) is NumPy source: its statements, and the
source of every proved operation of :mod:`symbp.derive.arrayops` it calls. The torch and jax
trainers print the *same* source, read as a syntax tree and rewritten through one table per
framework (the elementwise calls through :mod:`symbp.compile.dialects`): ``axis`` becomes
``dim``, ``x.transpose(order)`` torch's ``permute``, an assignment into a slice JAX's
``x = x.at[i].set(v)`` (``+=`` its ``.at[i].add``). A NumPy function outside the table is
refused (:class:`~symbp.compile.matrix.CompileError`), never guessed. The few NumPy functions
with no one-call counterpart (``sliding_window_view``, ``np.pad``'s widths, ``np.ndindex``)
are defined once per framework in :data:`PRELUDES`; tests/test_array_dialect.py runs every
operation of arrayops in each framework against the NumPy original.

>>> from symbp.compile.dialects import JAX, TORCH
>>> statement("Z1[:, t] = XW1[:, t] + 1.0", JAX)
'Z1 = Z1.at[:, t].set(XW1[:, t] + 1.0)'
>>> statement("E2 = np.exp(Z2 - Z2.max(axis=1, keepdims=True))", TORCH)
'E2 = torch.exp(Z2 - Z2.amax(dim=1, keepdim=True))'
>>> statement("full = np.zeros(X.shape, DTYPE)", TORCH)
'full = torch.zeros(X.shape, dtype=DTYPE, device=X.device)'
>>> statement("B = np.fft.fft(X)", JAX)
Traceback (most recent call last):
...
symbp.compile.matrix.CompileError: the jax backend has no counterpart of np.fft
"""

from __future__ import annotations

import ast
import inspect
import io
import tokenize

from symbp.compile.dialects import Dialect, _names, _Translate
from symbp.compile.matrix import CompileError

# NumPy array functions (not elementwise) by framework: name -> (torch's, jax's)
_ARRAY = {
    "zeros": ("torch.zeros", "jnp.zeros"),
    "empty": ("torch.empty", "jnp.empty"),
    "pad": ("_pad_widths", "jnp.pad"),
    "tensordot": ("torch.tensordot", "jnp.tensordot"),
    "repeat": ("torch.repeat_interleave", "jnp.repeat"),
    "equal": ("torch.eq", "jnp.equal"),
    "greater": ("torch.gt", "jnp.greater"),
    "greater_equal": ("torch.ge", "jnp.greater_equal"),
    "ndindex": ("_ndindex", "_ndindex"),
    "dot": ("torch.dot", "jnp.dot"),
    "sum": ("torch.sum", "jnp.sum"),
    "clip": ("torch.clamp", "jnp.clip"),
    "concatenate": ("torch.cat", "jnp.concatenate"),
    "finfo": ("torch.finfo", "jnp.finfo"),
}
_CONSTANT = {"bool_": ("torch.bool", "jnp.bool_"), "inf": ("torch.inf", "jnp.inf")}
_TORCH_KEYWORDS = {"axis": "dim", "keepdims": "keepdim", "axes": "dims"}
_TORCH_METHODS = {"max": "amax", "min": "amin", "transpose": "permute", "astype": "to"}
_TORCH_METHODS |= {"copy": "clone"}

_NDINDEX = '''
def _ndindex(*shape):
    """Every index of an array of ``shape``, row-major (np.ndindex)."""
    taps = [()]
    for n in shape:
        taps = [tap + (i,) for tap in taps for i in range(n)]
    return taps
'''
PRELUDES = {
    "torch": '''
def sliding_window_view(X, window_shape, axis):
    """NumPy's sliding_window_view: every window of the axes, the window's own axes last."""
    for a, k in zip(axis, window_shape):
        X = X.unfold(a, k, 1)
    return X


def _pad_widths(X, widths):
    """np.pad(X, widths) with zeros: torch's pad takes the widths last axis first."""
    flat = []
    for before, after in reversed(widths):
        flat += [before, after]
    return torch.nn.functional.pad(X, flat)


def _work(key, shape, like):
    """Zeros of ``shape`` (the NumPy trainer's kept work array)."""
    return torch.zeros(shape, dtype=like.dtype, device=like.device)


def _scratch(key, part, shape, like):
    """Zeros of ``shape`` (the NumPy trainer's kept array)."""
    return torch.zeros(shape, dtype=like.dtype, device=like.device)


def _product(A, B, key, part):
    """A @ B (the NumPy trainer writes it into a kept array)."""
    return A @ B


def _batched_product(A, B, key, part):
    """A @ B (the NumPy trainer writes it into a kept array)."""
    return A @ B


def _times_step(D, Z):
    """D * H(Z) with H(0) = 0: torch's fused kernel of it (D where Z > 0, else 0)."""
    return torch.ops.aten.threshold_backward(D, Z, 0)
'''
    + _NDINDEX,
    "jax": '''
def sliding_window_view(X, window_shape, axis):
    """NumPy's sliding_window_view: every window of the axes, the window's own axes last."""
    for a, k in zip(axis, window_shape):
        starts = jnp.arange(X.shape[a] - k + 1)
        X = jnp.moveaxis(jnp.take(X, starts[:, None] + jnp.arange(k), axis=a), a + 1, -1)
    return X


def _work(key, shape, like):
    """Zeros of ``shape`` (the NumPy trainer's kept work array)."""
    return jnp.zeros(shape, like.dtype)


def _scratch(key, part, shape, like):
    """Zeros of ``shape`` (the NumPy trainer's kept array)."""
    return jnp.zeros(shape, like.dtype)


def _product(A, B, key, part):
    """A @ B (the NumPy trainer writes it into a kept array)."""
    return A @ B


def _batched_product(A, B, key, part):
    """A @ B (the NumPy trainer writes it into a kept array)."""
    return A @ B


def _times_step(D, Z):
    """D * H(Z) with H(0) = 0."""
    return D * (Z > 0)
'''
    + _NDINDEX,
}
"""What each framework's trainer defines for the NumPy functions it has no one call for."""


class _Arrays(_Translate):
    """_Translate's elementwise table, plus the array functions, methods and assignments."""

    def _framework(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.dialect.name == "torch" else pair[1]

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "np" and node.attr in _CONSTANT:
            return ast.parse(self._framework(_CONSTANT[node.attr]), mode="eval").body
        return super().visit_Attribute(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "float" and len(node.args) == 1:
            return self.visit(node.args[0])  # a 0-d array stays one (jit, the device)
        if not isinstance(func, ast.Attribute):
            return self.generic_visit(node)
        if not (isinstance(func.value, ast.Name) and func.value.id == "np"):
            return self._method(node)
        names = _names(node)
        self.reference = names[0] if names else None
        if func.attr == "vdot":  # of two arrays of one shape: sum(a * b)
            a, b = (self.visit(arg) for arg in node.args)
            return ast.parse(f"({ast.unparse(a)} * {ast.unparse(b)}).sum()", mode="eval").body
        if func.attr not in _ARRAY:
            return super().visit_Call(node)
        args = [self.visit(arg) for arg in node.args]
        keywords = [ast.keyword(k.arg, self.visit(k.value)) for k in node.keywords]
        call = ast.parse(f"{self._framework(_ARRAY[func.attr])}()", mode="eval").body
        if self.dialect.name == "torch":
            keywords = [ast.keyword(_TORCH_KEYWORDS.get(k.arg, k.arg), k.value) for k in keywords]
            if func.attr in ("zeros", "empty"):  # dtype and device by keyword
                args, keywords = self._creation(node, args, keywords)
            if func.attr == "clip":
                keywords = [ast.keyword("min", args[1]), ast.keyword("max", args[2])]
                args = args[:1]
        call.args, call.keywords = args, keywords
        return call

    def _creation(self, node: ast.Call, args: list, keywords: list) -> tuple[list, list]:
        """torch.zeros(shape, dtype=..., device=REF.device), REF the array whose dtype (else
        whose shape) the NumPy call names."""
        if len(args) > 1:
            keywords = [ast.keyword("dtype", args[1]), *keywords]
        arrays = [
            (n.attr != "dtype", n.value.id)  # the dtype's array first, then the shape's
            for n in ast.walk(node)
            if isinstance(n, ast.Attribute) and n.attr in ("dtype", "shape")
            and isinstance(n.value, ast.Name)
        ]  # fmt: skip
        if arrays:
            device = ast.parse(
                f"{sorted(arrays, key=lambda a: a[0])[0][1]}.device", mode="eval"
            ).body
            keywords = [*keywords, ast.keyword("device", device)]
        return args[:1], keywords

    def _method(self, node: ast.Call) -> ast.AST:
        node = self.generic_visit(node)
        if self.dialect.name == "torch":
            node.func.attr = _TORCH_METHODS.get(node.func.attr, node.func.attr)
            for keyword in node.keywords:
                keyword.arg = _TORCH_KEYWORDS.get(keyword.arg, keyword.arg)
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        node = self.generic_visit(node)
        return (
            self._functional(node.targets[0], node.value, "set") if len(node.targets) == 1 else node
        )

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        node = self.generic_visit(node)
        if isinstance(node.target, ast.Subscript) and isinstance(node.op, ast.Add):
            return self._functional(node.target, node.value, "add")
        if isinstance(node.target, ast.Subscript) and self.dialect.name == "jax":
            raise CompileError(f"the jax backend cannot print {ast.unparse(node)}")
        return node

    def _functional(self, target: ast.AST, value: ast.expr, how: str) -> ast.AST:
        """JAX's arrays are immutable: ``x[i] = v`` is ``x = x.at[i].set(v)`` (a dict's key,
        a string, is left alone); torch writes in place, ``x[i] += v`` as itself."""
        if not isinstance(target, ast.Subscript):
            return ast.Assign([target], value)
        keyed = isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str)
        if self.dialect.name == "torch" or keyed:
            op = ast.Add() if how == "add" else None
            return ast.AugAssign(target, op, value) if op else ast.Assign([target], value)
        if not isinstance(target.value, ast.Name):
            raise CompileError(f"the jax backend cannot assign into {ast.unparse(target)}")
        name = target.value.id
        made = ast.parse(f"{name} = {name}.at[0].{how}(0)").body[0]
        made.value.func.value.slice = target.slice  # x.at[<the same index>]
        made.value.args = [value]
        return made


def _translated(tree: ast.AST, dialect: Dialect) -> str:
    return ast.unparse(ast.fix_missing_locations(_Arrays(dialect, None).visit(tree)))


def statement(code: str, dialect: Dialect) -> str:
    """One NumPy statement (no comment, no block) in ``dialect``'s operations."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        raise CompileError(f"the {dialect.name} backend cannot read {code!r}") from None
    return _translated(tree, dialect)


def _split_comment(line: str) -> tuple[str, str]:
    """(code, '  # comment') of one line of code ('' when there is no comment)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, SyntaxError):
        return line, ""
    for token in tokens:
        if token.type == tokenize.COMMENT:
            return line[: token.start[1]].rstrip(), "  " + token.string
    return line, ""


def lines(numpy_lines: list[str], dialect: Dialect) -> list[str]:
    """A trainer's NumPy lines (comments, and ``for``/``if`` headers with their indented
    bodies) translated line by line, each comment kept where it stood."""
    out = []
    for line in numpy_lines:
        body = line.lstrip()
        indent = line[: len(line) - len(body)]
        if not body or body.startswith("#"):
            out.append(line)
            continue
        code, comment = _split_comment(body)
        if code.endswith(":"):  # a block's header: translated with a body to parse
            header = statement(code + "\n    pass", dialect).splitlines()[0]
            out.append(indent + header + comment)
        else:
            out.append(indent + statement(code, dialect) + comment)
    return out


def function_source(function, dialect: Dialect) -> str:  # noqa: ANN001 - a function
    """The source of one NumPy function (arrayops') in ``dialect``: docstring kept, comments
    dropped (the syntax tree holds none)."""
    tree = ast.parse(inspect.getsource(function))
    return _translated(tree, dialect) + "\n"
