"""What the trainer loader checks before it runs generated source, and what it runs it with.

A trainer is symbp's own text, but names and LaTeX of custom activations and losses reach its
docstring and comments. So the loader never trusts the text: :func:`check_source` walks the
syntax tree and refuses any import but NumPy, any builtin outside a short list and any
underscore attribute (the way out of a sandbox, ``().__class__``); then the module runs with
only those builtins. :func:`plain_text` makes user text safe inside a docstring or a comment.

>>> check_source("import numpy as np\\nX = np.zeros(3)")
>>> check_source("import os")
Traceback (most recent call last):
...
symbp.compile.matrix.CompileError: generated trainer imports 'os'; only numpy may be imported
>>> plain_text("mysig'''" + chr(10) + "import os")
"mysig'''_import os"
"""

from __future__ import annotations

import ast
import builtins
import re

from symbp.compile.matrix import CompileError

SAFE_BUILTINS = (
    "ValueError", "float", "int", "len", "range", "tuple", "list", "dict", "slice", "sum", "zip",
    "enumerate", "reversed", "max", "min", "abs",
)  # fmt: skip
_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,;:()\[\]{}+\-*/^=<>'|!?@&$%~]")


def plain_text(text: str) -> str:
    """``text`` with every character that could end a docstring or a comment line replaced:
    quotes, backslashes and control characters become ``?``, a newline ``_``."""
    return _UNSAFE.sub(lambda m: "_" if m.group(0) == "\n" else "?", text.replace('"', "?"))


def check_one_line(text: str, what: str) -> str:
    """``text`` if it holds no line break (it goes into a comment of the generated code).

    >>> check_one_line("sigma", "an activation's LaTeX")
    'sigma'
    """
    if any(c in text for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        raise CompileError(f"{what} {text!r} holds a line break; it cannot go into a comment")
    return text


FRAMEWORKS = ("numpy", "jax", "torch")
"""The one library a generated module may import, by backend (and that library's submodules)."""


def _within(module: str, framework: str) -> bool:
    return module == framework or module.startswith(framework + ".")


def check_source(source: str, framework: str = "numpy") -> None:
    """Raise CompileError unless ``source`` only imports ``framework`` (NumPy, JAX or PyTorch),
    only uses :data:`SAFE_BUILTINS` and touches no underscore attribute or dunder name.

    >>> check_source("import jax.numpy as jnp", "jax")
    >>> check_source("import numpy", "torch")
    Traceback (most recent call last):
    ...
    symbp.compile.matrix.CompileError: generated trainer imports 'numpy'; only torch may be imported
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise CompileError(f"generated trainer does not parse: {error.msg}") from None
    allowed = _super_init(tree) if framework == "torch" else set()
    for node in ast.walk(tree):
        if id(node) in allowed:
            continue
        if isinstance(node, ast.ImportFrom) and not _within(node.module or "", framework):
            raise CompileError(f"generated trainer imports from {node.module!r}")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _within(alias.name, framework) or (
                    framework == "numpy" and alias.name != "numpy"
                ):
                    raise CompileError(
                        f"generated trainer imports {alias.name!r}; "
                        f"only {framework} may be imported"
                    )
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise CompileError(f"generated trainer touches the attribute {node.attr!r}")
        if isinstance(node, ast.Name):
            if node.id.startswith("__") or (
                hasattr(builtins, node.id) and node.id not in (*SAFE_BUILTINS, "_")
            ):
                raise CompileError(f"generated trainer uses {node.id!r}, which it never needs")


def _super_init(tree: ast.AST) -> set[int]:
    """The nodes of ``super().__init__()`` (an nn.Module subclass's first line), the one use of
    a dunder attribute and of ``super`` the PyTorch module is allowed."""
    allowed = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "__init__"
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "super"
            and not node.value.args
            and not node.value.keywords
        ):
            allowed |= {id(node), id(node.value.func)}
    return allowed


def _importer(framework: str):  # noqa: ANN202 - returns __import__'s form
    def only(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - __import__'s form
        if not _within(name, framework):  # the framework's own lazy imports
            raise ImportError(f"a symbp trainer may import {framework} only, not {name!r}")
        return __import__(name, *args, **kwargs)

    return only


def sandbox_builtins(framework: str = "numpy") -> dict[str, object]:
    """The builtins a trainer module runs with: :data:`SAFE_BUILTINS` and an import of
    ``framework`` only. The PyTorch module also gets ``__build_class__``: it defines an
    ``nn.Module`` subclass, whose body the checker has read like the rest of the source."""
    allowed: dict[str, object] = {name: getattr(builtins, name) for name in SAFE_BUILTINS}
    allowed["__import__"] = _importer(framework)
    if framework == "torch":
        allowed["__build_class__"] = builtins.__build_class__
        allowed["super"] = super
    return allowed
