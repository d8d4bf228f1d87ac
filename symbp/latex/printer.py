"""LaTeX of the generic derivation's matrix and index expressions, in a source's own notation.

A :class:`Style` says how one source writes things (the names come from
:mod:`symbp.notation`): the elementwise product (Wikipedia ``\\circ`` today and ``\\cdot`` in the
source note's images, Ng's ``\\ .*\\ ``, Nielsen's ``\\odot``), whether a matrix product is a
``\\cdot`` or juxtaposition, which side of a Hadamard product the activation derivative goes,
how a derivative is written. :class:`GenericPrinter` dispatches on the node class
(``_print_<Class>``), one short method per node of :mod:`symbp.derive.matrix`.

For the writeups, :func:`symbp.latex.printer_sources.equations` lists a notation's equations
as ``PrintedEquation(label, latex, source_ref)``.

>>> from symbp.derive.generic import derive_generic
>>> der = derive_generic()
>>> print_node(der.equations["delta_recursion"], "wikipedia", hadamard="circ")
"\\\\delta^{l-1} = (f^{l-1})' \\\\circ (W^{l})^{T} \\\\cdot \\\\delta^{l}"
>>> print_node(der.equations["delta_recursion"], "nielsen")
"\\\\delta^{l} = ((w^{l+1})^{T} \\\\delta^{l+1}) \\\\odot \\\\sigma'(z^{l})"
"""

from __future__ import annotations

from dataclasses import replace

import sympy

from symbp import notation as nt
from symbp.derive import matrix as mx
from symbp.derive.matrix import DEPTH, LAYER, ROW
from symbp.latex.factor_order import node_factors
from symbp.latex.printer_styles import Style, layer_tex, style_for

__all__ = ["GenericPrinter", "Style", "lhs_layer_shift", "print_node", "style_for"]


def _is_activation(node: mx.Node) -> bool:
    """a^l, or f^l(z^l) written out: the CSDN post parenthesises it in a derivative."""
    if isinstance(node, mx.Vec):
        return node.kind == "a"
    return (
        isinstance(node, mx.Apply)
        and isinstance(node.function, mx.Fn)
        and node.function.kind == "f"
    )


def _has_products(node: mx.Add) -> bool:
    """A sum of matrix products (a gradient written out), bracketed by the CSDN post."""
    return any(isinstance(a.arg if isinstance(a, mx.Neg) else a, mx.MatMul) for a in node.args)


def _has_index(node: mx.Node) -> bool:
    """Does an expression depend on the unit index j (an entry, not a whole vector)?"""
    if isinstance(node, (mx.Elem, mx.FPrime)):
        indices = node.indices if isinstance(node, mx.Elem) else (node.index,)
        return ROW in indices
    if isinstance(node, mx.Scalar):
        return False
    children = getattr(node, "args", None)
    if children is None:
        children = [getattr(node, f, None) for f in ("arg", "num", "den", "left", "right")]
    return any(isinstance(c, mx.Node) and _has_index(c) for c in children)


class GenericPrinter:
    """Prints :mod:`symbp.derive.matrix` nodes in one :class:`Style`."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.names = dict(style.indices)

    def doprint(self, node: mx.Node) -> str:
        return getattr(self, f"_print_{type(node).__name__}")(node)

    # names ------------------------------------------------------------------------------
    def label(self, kind: str, layer: sympy.Expr | None) -> str:
        if layer is None:
            return ""
        shown = nt.generic_layer(kind, sympy.sympify(layer), self.style.notation)
        return layer_tex(shown, self.style.output_layer)

    def _indices(self, indices: tuple[sympy.Expr, ...]) -> str:
        names = [self.names.get(i, str(i)) for i in indices]
        return ("," if self.style.index_comma and len(names) > 1 else "").join(names)

    def _print_Vec(self, node: mx.Vec) -> str:
        if node.kind == "one":
            return self.style.one
        if node.kind in ("x", "y"):
            return node.kind + (self.style.target_example if node.kind == "y" else "")
        if self.style.shorthand:
            return nt.generic_name(node.kind, "", self.style.notation)
        return nt.generic_name(node.kind, self.label(node.kind, node.layer), self.style.notation)

    _print_Mat = _print_Vec

    def _print_Elem(self, node: mx.Elem) -> str:
        idx = self._indices(node.indices)
        if self.style.hypothesis and node.kind == "a" and node.layer == DEPTH:
            return f"h_\\Theta(x)_{{{idx}}}"
        if self.style.plain_activation_entries and node.kind == "a":
            return nt.generic_name(node.kind, "", self.style.notation, idx)
        if node.kind in ("x", "y"):
            return f"{node.kind}_{{{idx}}}"
        kind = self.style.weight_entry if node.kind == "W" else node.kind
        if self.style.shorthand:
            return nt.generic_name(kind, "", self.style.notation)
        label = self.label(node.kind, node.layer)
        return nt.generic_name(kind, label, self.style.notation, idx)

    def _print_Cost(self, node: mx.Cost) -> str:
        return self.style.mean_cost if node.mean else self.style.cost

    def _print_Scalar(self, node: mx.Scalar) -> str:
        if node == mx.ELLIPSIS:
            return self.style.ellipsis_tex
        if node.name == "eta":
            return self.style.learning_rate
        return {"lambda": "\\lambda"}.get(node.name, node.name)

    def _activation(self, layer: sympy.Expr | None, derivative: bool) -> str:
        """The activation of a layer (or its derivative): the notation's letter, or, where the
        style knows it, the layer's own activation: Nielsen's sigma and Ng's g are the logistic
        function, so a layer with another activation is named by it (ReLU is never sigma or
        g); Wikipedia's f^l already names each layer's own function."""
        source = self.style.source
        if self.style.activations and source.names_each_activation:
            hidden, output = self.style.activations
            name = output if layer == DEPTH else hidden
            if not (source.sigmoid_letter and name == "\\sigma"):
                return name + ("'" if derivative else "")
        return nt.activation_tex(self.style.notation, self.label("a", layer), derivative)

    def _fprime_argument(self, node: mx.FPrime) -> str:
        if node.index is None:
            return self.doprint(mx.Vec("z", node.layer))
        return self.doprint(mx.Elem("z", node.layer, (node.index,)))

    def _print_FPrime(self, node: mx.FPrime) -> str:
        name = self._activation(node.layer, True)
        if not self.style.fprime_argument and node.index is None:
            return name
        return f"{name}({self._fprime_argument(node)})"

    def _print_Jacobian(self, node: mx.Jacobian) -> str:
        return f"J^{{{self.label('a', node.layer)}}}"

    def _print_Diag(self, node: mx.Diag) -> str:
        if _has_index(node.of):
            return self._diagonal_matrix(node.of)
        diagonal = self.style.source.diagonal_derivative
        if isinstance(node.of, mx.FPrime) and diagonal:
            return f"{diagonal}({self._fprime_argument(node.of)})"
        return f"\\operatorname{{diag}}({self.doprint(node.of)})"

    def _diagonal_matrix(self, entry: mx.Node) -> str:
        """The diagonal matrix of an entry in j, written with its first and last entries."""
        layer = next(iter(mx.layers_in(entry)), None)
        if layer == DEPTH and self.style.source.output_width:
            last = sympy.Symbol(self.style.source.output_width)
        else:
            last = sympy.Symbol(f"s_{{{self.label('a', layer)}}}")
        saved, self.style = self.style, replace(self.style, product="")
        first_tex = self.doprint(mx.substitute(entry, {ROW: sympy.Integer(1)}))
        last_tex = self.doprint(mx.substitute(entry, {ROW: last}))
        self.style = saved
        return (
            f"\\begin{{pmatrix}}{first_tex} & & \\\\ & \\ddots & \\\\ & & {last_tex}"
            "\\end{pmatrix}"
        )

    def _print_Stacked(self, node: mx.Stacked) -> str:
        rows = "\\\\ ".join(self.doprint(item) for item in node.items)
        return f"\\begin{{pmatrix}}{rows}\\end{{pmatrix}}"

    def _width(self, layer: sympy.Expr) -> sympy.Symbol:
        return sympy.Symbol(f"s_{{{self.label('a', layer)}}}")

    def _print_Entries(self, node: mx.Entries) -> str:
        rows = (sympy.Integer(1), self._width(node.rows_of))
        cols = (sympy.Integer(1), self._width(node.cols_of))

        def at(r: sympy.Expr, c: sympy.Expr) -> str:
            return self.doprint(mx.substitute(node.entry, {node.row: r, node.col: c}))

        top = f"{at(rows[0], cols[0])} & \\cdots & {at(rows[0], cols[1])}"
        bottom = f"{at(rows[1], cols[0])} & \\cdots & {at(rows[1], cols[1])}"
        return f"\\begin{{pmatrix}}{top}\\\\ \\vdots & & \\\\ {bottom}\\end{{pmatrix}}"

    def _print_Ratio(self, node: mx.Ratio) -> str:
        return f"\\frac{{{self.doprint(node.num)}}}{{{self.doprint(node.den)}}}"

    def _print_Grad(self, node: mx.Grad) -> str:
        wrt = node.wrt
        short = self.style.source.gradient_short
        if short and isinstance(wrt, mx.Vec) and wrt.kind == "a":
            return f"\\nabla_a {self.doprint(node.cost)}"
        return f"\\nabla_{{{self.doprint(wrt)}}}{self.doprint(node.cost)}"

    def _print_Partial(self, node: mx.Partial) -> str:
        d = "d" if node.total else "\\partial "
        num, den = self.doprint(node.num), self.doprint(node.den)
        if self.style.paren_activation_in_partial:
            num, den = (
                f"({tex})" if _is_activation(part) else tex
                for part, tex in ((node.num, num), (node.den, den))
            )
        if self.style.bracket_numerator and isinstance(node.num, mx.Add):
            return f"\\frac{{\\partial\\left[{num}\\right]}}{{\\partial {den}}}"
        if self.style.bracket_numerator and isinstance(node.num, (mx.MatMul, mx.Apply)):
            return f"\\frac{{\\partial {num}}}{{\\partial {den}}}"
        operator = not isinstance(node.num, (mx.Cost, mx.Vec, mx.Elem))
        if operator or (self.style.operator_derivative and isinstance(node.num, mx.Cost)):
            frac = "\\frac" if node.total else self.style.frac
            return f"{frac}{{\\partial}}{{\\partial {den}}}{num}"
        frac = "\\frac" if node.total else self.style.frac
        return f"{frac}{{{d}{num}}}{{{d}{den}}}"

    def _print_T(self, node: mx.T) -> str:
        inner = self.doprint(node.arg)
        if self.style.transpose_merged and inner.endswith(")}"):
            return inner[:-1] + "T}"
        if self.style.transpose_merged and isinstance(node.arg, mx.Vec) and len(inner) == 1:
            return f"{inner}^{{T}}"
        return f"({inner})^{{T}}"

    # products ---------------------------------------------------------------------------
    def _factor(self, node: mx.Node, in_hadamard: bool = False) -> str:
        text = self.doprint(node)
        if self.style.sum_brackets and isinstance(node, mx.Add) and _has_products(node):
            return f"\\left[{text}\\right]"
        if isinstance(node, (mx.Add, mx.Scaled)):
            return f"({text})"
        if in_hadamard and self.style.paren_product_in_hadamard and isinstance(node, mx.MatMul):
            return f"({text})"
        return text

    def _print_MatMul(self, node: mx.MatMul) -> str:
        parts = [self._factor(a) for a in node.args]
        out = parts[0]
        joiner = f" {self.style.matmul} " if self.style.matmul else " "
        for arg, text in zip(node.args[1:], parts[1:], strict=True):
            # W (1; g(z)): a matrix applied to a stacked column is written by juxtaposition
            out += (" " if isinstance(arg, mx.Stacked) else joiner) + text
        return out

    def _print_Hadamard(self, node: mx.Hadamard) -> str:
        args = node_factors(node.args, derivative_first=self.style.fprime_first)
        had = self.style.hadamard
        joiner = had if had.startswith("\\ ") else f" {had} "
        return joiner.join(self._factor(a, True) for a in args)

    def _print_Outer(self, node: mx.Outer) -> str:
        return f"{self._factor(node.left)}({self.doprint(node.right)})^{{T}}"

    def _print_Product(self, node: mx.Product) -> str:
        args = list(node.args)
        if self.style.delta_first:
            args.sort(key=lambda a: not (isinstance(a, mx.Elem) and a.kind == "delta"))
        texts = []
        for a in args:
            text = self._factor(a)
            if isinstance(a, mx.IndexSum) and self.style.sum_parens and len(args) > 1:
                text = f"\\left({text}\\right)"
            texts.append(text)
        joiner = f" {self.style.product} " if self.style.product else " "
        return joiner.join(texts)

    def _print_Add(self, node: mx.Add) -> str:
        out = self.doprint(node.args[0])
        for term in node.args[1:]:
            if isinstance(term, mx.Neg):
                out += f" - {self._factor(term.arg)}"
            else:
                out += f" + {self.doprint(term)}"
        return out

    def _print_Neg(self, node: mx.Neg) -> str:
        return f"-{self._factor(node.arg)}"

    def _print_Scaled(self, node: mx.Scaled) -> str:
        num, den = sympy.fraction(node.coefficient)
        coefficient = f"{self.style.frac}{{{sympy.latex(num)}}}{{{sympy.latex(den)}}}"
        if den == 1:
            coefficient = sympy.latex(num) + " "
        inner = self.doprint(node.arg)
        if isinstance(node.arg, mx.Add):
            inner = f"\\left({inner}\\right)"
        return coefficient + inner

    def _print_IndexSum(self, node: mx.IndexSum) -> str:
        index = self.names.get(node.index, str(node.index))
        bounds = ""
        body = self.doprint(node.body)
        if self.style.sum_brackets and isinstance(node.body, mx.Add):
            body = f"\\left[{body}\\right]"
        if self.style.sum_bounds and node.width_of is not None:
            width = self.label("a", node.width_of)
            last = self.style.source.output_width
            top = last if node.width_of == DEPTH and last else f"s_{{{width}}}"
            bounds = f"^{{{top}}}"
            return f"\\sum_{{{index}=1}}{bounds} {body}"
        return f"\\sum_{{{index}}} {body}"

    def _print_Norm(self, node: mx.Norm) -> str:
        return f"\\left\\|{self.doprint(node.arg)}\\right\\|"

    def _print_Output(self, node: mx.Output) -> str:
        return self.style.source.hypothesis

    def _print_Equalities(self, node: mx.Equalities) -> str:
        if not node.aligned:
            return " = ".join(self.doprint(n) for n in (node.lhs, *node.rhs))
        out = self.doprint(node.lhs)
        for i, step in enumerate(node.rhs):
            if i in node.aligned:
                out += "\\\\ &= " if i != node.aligned[0] else " &= "
            else:
                out += " = "
            out += self.doprint(step)
        return f"\\begin{{aligned}}{out}\\end{{aligned}}"

    def _print_Power(self, node: mx.Power) -> str:
        return f"{self._factor(node.arg)}^{{{node.exponent}}}"

    def _print_Fn(self, node: mx.Fn) -> str:
        if node.kind == "log":
            return "\\log"
        if node.kind == "f":
            return self._activation(node.layer, False)
        return node.kind

    def _print_Apply(self, node: mx.Apply) -> str:
        # inside a composition f(W a) every matrix product is a linear map: juxtaposed
        saved, self.style = self.style, replace(self.style, matmul="")
        args = ",".join(self.doprint(a) for a in node.args)
        self.style = saved
        return f"{self.doprint(node.function)}({args})"

    def _print_Elided(self, node: mx.Elided) -> str:
        return f"{self.style.ellipsis_tex} {self.doprint(node.inner)}{self.style.ellipsis_tex} "

    def _op(self, op: str | None) -> str:
        if op == "hadamard":
            return self.style.hadamard
        return self.style.matmul

    def _print_Chain(self, node: mx.Chain) -> str:
        column = isinstance(node.items[-1], (mx.Grad, mx.Vec))
        out = ""
        for i, item in enumerate(node.items):
            before = node.ops[i - 1] if i else None
            if i and item == mx.ELLIPSIS:
                out += self._before_ellipsis(before)
            elif i and node.items[i - 1] == mx.ELLIPSIS:
                out += self._after_ellipsis(before, column)
            elif i:
                out += self._join(before)
            out += self._factor(item) if item != mx.ELLIPSIS else self.style.ellipsis_tex
        return out

    def _join(self, op: str | None) -> str:
        tex = self._op(op)
        return f" {tex} " if tex else " "

    def _before_ellipsis(self, op: str | None) -> str:
        return "" if self.style.ellipsis == "old" else self._join(op)

    def _after_ellipsis(self, op: str | None, column: bool) -> str:
        if self.style.ellipsis == "old":
            return self._join(op) if column else " "
        return self._join(op)

    def _print_Column(self, node: mx.Column) -> str:
        label = self.label(node.kind, node.layer)
        width = f"s_{{{label}}}"
        first = self.doprint(mx.Elem(node.kind, node.layer, (sympy.Integer(1),)))
        last = self.doprint(mx.Elem(node.kind, node.layer, (sympy.Symbol(width),)))
        body = f"\\begin{{pmatrix}}{first}\\\\ \\vdots\\\\ {last}\\end{{pmatrix}}"
        return f"{body}_{{{width}\\times 1}}"

    def _print_Equation(self, node: mx.Equation) -> str:
        if node.relation == "update":
            return f"{self.doprint(node.lhs)}' = {self.doprint(node.rhs)}"
        relation = {"=": "=", "def": self.style.define, "assign": ":="}[node.relation]
        return f"{self.doprint(node.lhs)} {relation} {self.doprint(node.rhs)}"


def lhs_layer_shift(node: mx.Node, style: Style) -> dict[sympy.Symbol, sympy.Expr]:
    """The substitution l -> l - c that makes an equation's left side read layer ``l``.

    Ng and Nielsen state their generic results for their layer l; the derivation's layer l is
    their l+1. Only equations in the generic layer l are shifted (they hold for every l).
    """
    lhs = node.lhs if isinstance(node, mx.Equation) else node
    layers = mx.layers_in(lhs)
    if not layers or LAYER not in sympy.sympify(layers[0]).free_symbols:
        return {}
    kind = _kind_of(lhs)
    shown = nt.generic_layer(kind, sympy.sympify(layers[0]), style.notation)
    offset = shown - LAYER
    return {LAYER: LAYER - offset} if offset.is_Integer and offset > 0 else {}


def _kind_of(node: mx.Node) -> str:
    for attr in ("wrt", "den", "arg"):
        if hasattr(node, attr):
            return _kind_of(getattr(node, attr))
    return getattr(node, "kind", "a")


def print_node(
    node: mx.Node, notation: str, hadamard: str | None = None, shift: bool = True, **options
) -> str:
    """LaTeX of one node in a notation; ``shift`` renumbers a generic equation so that its left
    side is layer l in that notation; ``options`` override :class:`Style` fields."""
    style = replace(style_for(notation, hadamard), **options)
    if shift and style.source.input_layer:
        node = mx.substitute(node, lhs_layer_shift(node, style))
    return GenericPrinter(style).doprint(node)
