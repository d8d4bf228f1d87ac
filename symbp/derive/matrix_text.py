"""Plain-text form of :mod:`symbp.derive.matrix` nodes, for reports and ``str()``.

>>> from symbp.derive.matrix import Outer, Vec, LAYER
>>> text(Outer(Vec("delta", LAYER), Vec("a", LAYER - 1)))
'delta^l (a^(l - 1))^T'
"""

from __future__ import annotations

from symbp.derive import matrix as mx


def _grouped(node: mx.Node) -> str:
    return f"({node})" if isinstance(node, (mx.Add, mx.Scaled)) else text(node)


_OP_TEXT = {"matmul": " ", "hadamard": " o "}


def _sup(layer: mx.Layer) -> str:
    if layer is None:
        return ""
    return f"^{layer}" if layer.is_Atom else f"^({layer})"


def text(node: mx.Node) -> str:  # noqa: C901 - one line per node class, on purpose
    if isinstance(node, mx.Vec) and node.kind == "one":
        return "1"
    if isinstance(node, (mx.Vec, mx.Mat)):
        return f"{node.kind}{_sup(node.layer)}"
    if isinstance(node, mx.Elem):
        return f"{node.kind}{_sup(node.layer)}_{''.join(map(str, node.indices))}"
    if isinstance(node, mx.Cost):
        return "J" if node.mean else "C"
    if isinstance(node, mx.Scalar):
        return node.name
    if isinstance(node, mx.FPrime):
        return f"(f{_sup(node.layer)})'" + ("" if node.index is None else f"(z_{node.index})")
    if isinstance(node, mx.Jacobian):
        return f"J{_sup(node.layer)}"
    if isinstance(node, mx.Diag):
        return f"diag({node.of})"
    if isinstance(node, mx.Grad):
        return f"grad_{node.wrt} {node.cost}"
    if isinstance(node, mx.Partial):
        return f"d{node.num}/d{node.den}"
    if isinstance(node, mx.T):
        return f"({node.arg})^T"
    if isinstance(node, (mx.MatMul, mx.Product)):
        return " ".join(_grouped(a) for a in node.args)
    if isinstance(node, mx.Hadamard):
        return " o ".join(_grouped(a) for a in node.args)
    if isinstance(node, mx.Outer):
        return f"{node.left} ({node.right})^T"
    if isinstance(node, mx.Add):
        out = text(node.args[0])
        for term in node.args[1:]:
            out += f" - {term.arg}" if isinstance(term, mx.Neg) else f" + {term}"
        return out
    if isinstance(node, mx.Neg):
        return f"-{node.arg}"
    if isinstance(node, mx.Scaled):
        return f"{node.coefficient} ({node.arg})"
    if isinstance(node, mx.IndexSum):
        return f"sum_{node.index} {node.body}"
    if isinstance(node, mx.Stacked):
        return "(" + "; ".join(map(str, node.items)) + ")"
    if isinstance(node, mx.Entries):
        return f"[{node.entry}]_{node.row}{node.col}"
    if isinstance(node, mx.Ratio):
        return f"{node.num}/({node.den})"
    if isinstance(node, mx.Norm):
        return f"||{node.arg}||"
    if isinstance(node, mx.Output):
        return "a^L(x)"
    if isinstance(node, mx.Equalities):
        return " = ".join(map(str, (node.lhs, *node.rhs)))
    if isinstance(node, mx.Power):
        return f"({node.arg})^{node.exponent}"
    if isinstance(node, mx.Apply):
        return f"{node.function}(" + ", ".join(map(str, node.args)) + ")"
    if isinstance(node, mx.Fn):
        return f"{node.kind}{_sup(node.layer)}"
    if isinstance(node, mx.Column):
        return f"({node.kind}{_sup(node.layer)}_1, ..., {node.kind}{_sup(node.layer)}_n)^T"
    if isinstance(node, mx.Elided):
        return f"... {node.inner} ..."
    if isinstance(node, mx.Chain):
        out = text(node.items[0])
        for op, item in zip(node.ops, node.items[1:], strict=True):
            out += _OP_TEXT[op] + text(item)
        return out
    if isinstance(node, mx.Equation):
        if node.relation == "update":
            return f"{node.lhs}' = {node.rhs}"
        rel = {"=": " = ", "def": " := ", "assign": " := "}[node.relation]
        return f"{node.lhs}{rel}{node.rhs}"
    return repr(node)
