"""Syntax tree + values of the free indices -> a SymPy value (scalar or matrix) on the network.

Products with matrices are read the way the sources write them: matrix products and elementwise
products (``\\circ``, ``\\odot``, ``.*``) with the matrix product binding tighter; if that
reading does not fit the shapes, right to left (Wikipedia's ``(f^{l})' \\circ (W^{l+1})^T \\cdot
(f^{l+1})' \\circ ...`` chains). A bare ``(f^{l})'`` is the layer's Jacobian (diagonal for an
elementwise activation), and its elementwise product with a vector is the matrix product.

>>> from symbp.model import network
>>> from symbp.check.grammar import parse_side
>>> from symbp.check.truth import Truth
>>> r = Reader(Truth.of(network([2, 3, 2])), "nielsen", {"l": 3, "j": 1, "k": 2})
>>> r.value(parse_side(r"a^{l-1}_k \\delta^l_j"))
a1_2*delta2_1
>>> r.value(parse_side(r"(w^{l})^T \\delta^{l}")).shape
(3, 1)
"""

from __future__ import annotations

import sympy
from sympy import Rational

from symbp.activations import get_activation
from symbp.check.ellipsis import _layer_node, expand
from symbp.check.indices import index_roles
from symbp.check.products import (
    Matrix,
    ShapeMismatch,
    Value,
    add,
    as_scalar,
    right_to_left,
    shape_of,
    tight_first,
)
from symbp.check.tokens import Unreadable
from symbp.check.truth import Missing, Truth, is_elementwise
from symbp.notation import get_notation

MAX_TERMS = 10_000
MAX_POWER = 10_000  # |exponent| of a power of a number, computed exactly


class Reader:
    """Evaluates syntax trees for one network, notation and binding of the free indices."""

    def __init__(self, truth: Truth, notation: str, binding: dict[str, int]) -> None:
        self.truth, self.notation, self.binding = truth, notation, dict(binding)
        self.source = get_notation(notation)

    # indices ------------------------------------------------------------------------------------
    def output_label(self) -> int:
        return self.source.label(self.truth.network.L)

    def index(self, node: object) -> int:
        tag = node[0]
        if tag == "n":
            return node[1]
        if tag == "i":
            if node[1] in self.binding:
                return self.binding[node[1]]
            if node[1] == "L":
                return self.output_label()
            raise Unreadable(f"index {node[1]} has no value")
        left, right = self.index(node[1]), self.index(node[2])
        return left + right if tag == "+" else left - right

    def layer(self, kind: str, label_node: object) -> int:
        """symbp's layer of a quantity written with layer label ``label_node`` in the notation."""
        return self.source.layer(self.index(label_node), kind)

    # values -------------------------------------------------------------------------------------
    def value(self, node: object) -> Value:
        return as_scalar(getattr(self, "_" + node[0])(node))

    def _port(self, node):
        why = f"{node[2]}_{{\\rm {node[3]}}} is Nielsen's shorthand, read only in dC/dw "
        why += " (--notation nielsen)"
        raise Unreadable(why)

    def _dots(self, node):
        raise Unreadable("an ellipsis stands for terms that are not written out", node[1])

    def _sympy(self, node):
        return node[1]

    def _const(self, node):
        return sympy.E if node[1] == "e" else sympy.pi

    def _num(self, node):
        return node[1]

    def _param(self, node):
        net = self.truth.network
        if node[1] == "n":
            if self.source.examples_letter == "n":  # Nielsen's n examples
                return sympy.Integer(net.examples)
            return self._sym(("sym", "n"))
        return sympy.Integer(net.examples) if node[1] == "m" else net.l2

    def _sym(self, node):
        name = node[1]
        if name in self.binding:
            return sympy.Integer(self.binding[name])
        return sympy.Symbol(name.lstrip("\\"), real=True)

    def _size(self, node):
        if node[1] is None:
            return sympy.Integer(self.truth.network.sizes[-1])
        return sympy.Integer(self.truth.size(self.layer("act", node[1])))

    def _index(self, node):
        return sympy.Integer(self.index(node[1]))

    def _cost(self, node):
        unregularised = len(node) > 3 and node[3]
        return self.truth.cost(per_example=node[2] is not None or unregularised)

    def _reg(self, node):
        return self.truth.cost() - self.truth.forward.loss

    def _iverson(self, node):
        _, relation, lhs, rhs = node
        gap = sympy.sympify(self.value(lhs) - self.value(rhs))
        if isinstance(gap, Matrix):
            raise ShapeMismatch("an Iverson bracket compares two scalars")
        if gap.is_number:
            truth = {"=": gap == 0, "!=": gap != 0, ">": gap > 0, ">=": gap >= 0}
            truth |= {"<": gap < 0, "<=": gap <= 0}
            return sympy.Integer(1 if bool(truth[relation]) else 0)
        if relation in (">", ">="):
            return sympy.Heaviside(gap, 0 if relation == ">" else 1)
        if relation in ("<", "<="):
            return sympy.Heaviside(-gap, 0 if relation == "<" else 1)
        raise Unreadable("an Iverson bracket [u = v] needs whole-number sides")

    def _stack(self, node):
        rows = []
        for row in node[1]:
            values = [self.value(entry) for entry in row]
            if len(values) == 1 and isinstance(values[0], Matrix):
                rows += [list(r) for r in values[0].tolist()]
            else:
                rows.append(values)
        if len({len(r) for r in rows}) != 1:
            raise ShapeMismatch("the rows of a matrix have different lengths")
        return Matrix(rows)

    def _max(self, node):
        return self._pairwise(node, sympy.Max)

    def _min(self, node):
        return self._pairwise(node, sympy.Min)

    def _pairwise(self, node, function):
        x, y = self.value(node[1]), self.value(node[2])
        if isinstance(x, Matrix) and isinstance(y, Matrix):
            return Matrix(x.shape[0], x.shape[1], lambda i, j: function(x[i, j], y[i, j]))
        if isinstance(x, Matrix) or isinstance(y, Matrix):
            m, c = (x, y) if isinstance(x, Matrix) else (y, x)
            return m.applyfunc(lambda e: function(c, e))
        return function(x, y)

    def _elem(self, node):
        name = node[1]
        function = {"sech": sympy.sech, "csch": sympy.csch}.get(name) or getattr(sympy, name)
        v = self.value(node[2])
        return v.applyfunc(function) if isinstance(v, Matrix) else function(v)

    def _q(self, node):
        _, kind, letter, label, units, _example = node
        layer = None if label is None else self.layer(kind, label)
        if kind in ("accum", "meangrad"):
            return self.gradient_of_weights(kind, layer, units)
        if units:
            idx = tuple(self.index(u) for u in units)
            if kind == "act" and idx == (0,) and self.source.bias_column:
                return sympy.Integer(1)
            return self.truth.element(kind, layer, idx)
        if kind == "weight":
            return self.truth.matrix(layer)
        return self.truth.vector(kind, layer)

    def gradient_of_weights(self, kind: str, layer: int, units: tuple) -> Value:
        """Ng's Delta^{(l)} (m times one example's gradient: the m examples symbp derives are
        copies of one) and D^{(l)} (the gradient of J), by entry or as the matrix."""
        truth = self.truth
        if kind == "accum":
            m = sympy.Integer(truth.network.examples)
            of = lambda w: m * truth.partial(truth.forward.loss, w)  # noqa: E731
        else:
            of = lambda w: truth.partial(truth.cost(), w)  # noqa: E731
        if units:
            return of(truth.element("weight", layer, tuple(self.index(u) for u in units)))
        return truth.matrix(layer).applyfunc(of)

    def _T(self, node):
        v = self.value(node[1])
        return v.T if isinstance(v, Matrix) else v

    def _neg(self, node):
        return -self.value(node[1])

    def _add(self, node):
        total = None
        for sign, term in node[1]:
            v = self.value(term)
            v = -v if sign < 0 else v
            total = v if total is None else add(total, v)
        return total

    def _frac(self, node):
        num, den = self.value(node[1]), self.value(node[2])
        if isinstance(den, Matrix):
            raise ShapeMismatch(f"cannot divide by a {shape_of(den)} matrix")
        return num / den

    def _pow(self, node):
        base_node, exponent = node[1], self.value(node[2])
        if base_node[0] == "norm" and exponent == 2:
            v = self.value(base_node[1])
            return sum((e**2 for e in v), sympy.Integer(0)) if isinstance(v, Matrix) else v**2
        base = self.value(base_node)
        if isinstance(base, sympy.Number) and isinstance(exponent, sympy.Number):
            if abs(exponent) > MAX_POWER and abs(base) != 1:
                raise Unreadable(f"a power with an exponent past {MAX_POWER} is too large")
        if isinstance(base, Matrix) and 1 in base.shape and not isinstance(exponent, Matrix):
            return base.applyfunc(lambda e: e**exponent)  # (a^l)^2: elementwise, as sources mean
        if isinstance(base, Matrix) or isinstance(exponent, Matrix):
            raise ShapeMismatch(f"power of a {shape_of(base)} matrix")
        return base**exponent

    def _norm(self, node):
        v = self.value(node[1])
        if isinstance(v, Matrix):
            return sympy.sqrt(sum((e**2 for e in v), sympy.Integer(0)))
        return sympy.Abs(v)

    def _elementwise(self, node, function):
        v = self.value(node[1])
        return v.applyfunc(function) if isinstance(v, Matrix) else function(v)

    def _log(self, node):
        return self._elementwise(node, sympy.log)

    def _exp(self, node):
        return self._elementwise(node, sympy.exp)

    def _diag(self, node):
        v = self.value(node[1])
        if not isinstance(v, Matrix) or v.shape[1] != 1:
            raise ShapeMismatch(f"diag needs a column vector, got {shape_of(v)}")
        return Matrix(sympy.diag(*v))

    def _sum(self, node):
        _, var, lo, hi, body = node
        if hi is None:
            terms = []
            first = self.source.first_unit  # only Ng numbers the bias unit 0
            first = first if lo is None else self.index(lo)
            net = self.truth.network
            for value in range(first, max(*net.sizes, net.L) + 2):
                try:
                    terms.append(self._with(var, value, body))
                except Missing:
                    continue
            if not terms:
                raise Missing(f"no term of the sum over {var}")
        else:
            first = 1 if lo is None else self.index(lo)
            last = self.value(hi)
            if not isinstance(last, sympy.Integer):
                raise Unreadable(f"the upper limit of the sum over {var} is not a whole number")
            count = int(last) - first + 1
            if count <= 0:
                return sympy.Integer(0)
            if count > MAX_TERMS:
                raise Unreadable(f"the sum over {var} has more than {MAX_TERMS} terms")
            if index_roles(body).get(var, "example") == "example" and not _names(body, var):
                return self._with(var, first, body) * count  # m copies of one example
            terms = [self._with(var, v, body) for v in range(first, int(last) + 1)]
        total = terms[0]
        for t in terms[1:]:
            total = add(total, t)
        return total

    def _with(self, var: str, value: int, body: object) -> Value:
        saved = self.binding.get(var)
        self.binding[var] = value
        try:
            return self.value(body)
        finally:
            if saved is None:
                del self.binding[var]
            else:
                self.binding[var] = saved

    def _prod(self, node):
        trees = list(node[1])
        if any(n[0] == "dots" for _, n in trees):
            trees = expand(trees, lambda n: self.index(_layer_node(n)))
            node = ("prod", tuple(trees))
        if self.source.bias_column and self.truth.network.bias == "unit":
            trees = _with_bias_unit(trees)
            node = ("prod", tuple(trees))
        items = [(op, self.value(n)) for op, n in trees]
        for k in range(len(items) - 1):  # Theta (1; a): the weights with the bias column
            (_, w), (_, col) = items[k], items[k + 1]
            tree = node[1][k][1]
            stacked = node[1][k + 1][1][0] == "stack"
            if stacked and tree[0] == "q" and tree[1] == "weight" and not tree[4]:
                if (
                    isinstance(w, Matrix)
                    and isinstance(col, Matrix)
                    and w.shape[1] + 1 == col.shape[0]
                ):
                    items[k] = (items[k][0], self.truth.matrix(self.layer("weight", tree[3]), True))
        if not any(isinstance(v, Matrix) for _, v in items):
            out = items[0][1]
            for op, v in items[1:]:
                out = out / v if op == "/" else out * v
            return out
        # NOTE: a bare Jacobian ((f^{l})', J^{l}) is an operator on what stands to its right:
        # Wikipedia's (f^{1})' \circ (W^{2})^T \cdot (f^{2})' \circ ... reads right to left.
        # Read tightest-first, a diagonal Jacobian times a square matrix is defined and wrong.
        readings = [tight_first, right_to_left]
        if any(n[0] == "fn" and n[3] and n[4] is None for _, n in trees):
            readings.reverse()
        try:
            return readings[0](items)
        except ShapeMismatch as first_error:
            try:
                return readings[1](items)
            except ShapeMismatch:
                raise first_error from None

    # calculus ----------------------------------------------------------------------------------
    def _d(self, node):
        return self.derivative(self.value(node[1]), self.value(node[2]))

    def _grad(self, node):
        wrt = node[1]
        if wrt[0] == "sym" and wrt[1] in ("a", "x"):
            kind = "act" if wrt[1] == "a" else "input"
            label = ("i", "L") if kind == "act" else None
            wrt = ("q", kind, wrt[1], label, (), None)
        return self.derivative(self.value(node[2]), self.value(wrt))

    def derivative(self, of: Value, wrt: Value) -> Value:
        partial = self.truth.partial
        if not isinstance(wrt, Matrix):
            return (
                of.applyfunc(lambda e: partial(e, wrt))
                if isinstance(of, Matrix)
                else partial(of, wrt)
            )
        if not isinstance(of, Matrix):
            return wrt.applyfunc(lambda s: partial(of, s))
        if of.shape[1] == 1 and wrt.shape[1] == 1:
            return Matrix(of.shape[0], wrt.shape[0], lambda i, j: partial(of[i], wrt[j]))
        raise ShapeMismatch(f"derivative of a {shape_of(of)} matrix by a {shape_of(wrt)} matrix")

    def _fn(self, node):
        _, name, label, prime, arg = node
        layer = self.function_layer(label, arg)
        act = self.truth.activation(layer)
        if arg is None:
            if not prime:
                raise Unreadable(f"{name} without an argument")
            return self.jacobian(layer)
        if name == "\\Sigma" and not prime:
            raise Unreadable("\\Sigma without a prime")
        out = self.apply(act, prime, self.value(arg))
        if name == "\\Sigma" and isinstance(out, Matrix) and out.shape[1] == 1:
            return Matrix(sympy.diag(*out))
        return out

    def apply(self, act, prime: bool, v: Value) -> Value:
        """f(v) or f'(v), elementwise, or softmax of a column and its Jacobian."""
        if is_elementwise(act):
            f = act.fprime if prime else act.f
            return v.applyfunc(f) if isinstance(v, Matrix) else f(v)
        if not isinstance(v, Matrix) or v.shape[1] != 1:
            raise ShapeMismatch(f"{act.name} needs a column vector, got {shape_of(v)}")
        outputs = act(list(v))
        if not prime:
            return Matrix(outputs)
        return Matrix(len(v), len(v), lambda i, j: sympy.diff(outputs[i], v[j]))

    def _act_fn(self, node):
        _, name, prime, arg = node
        act = next((a for a in self.truth.network.activations if a.name == name), None)
        return self.apply(act or get_activation(name), prime, self.value(arg))

    def jacobian(self, layer: int) -> Matrix:
        fwd, n = self.truth.forward, self.truth.size(layer)
        if layer < 1:
            raise Missing("activation of the input layer")
        return Matrix(
            n, n, lambda i, j: sympy.diff(fwd.a_def[(layer, i + 1)], fwd.z[(layer, j + 1)])
        )

    def function_layer(self, label: object, arg: object) -> int:
        if label is not None:
            return self.layer("act", label)
        found = _first_layer_node(arg)
        if found is not None:
            return self.layer(found[1], found[3])
        acts = self.truth.network.activations
        if all(a == acts[0] for a in acts):
            return 1
        raise Unreadable("say which layer's activation this is (for example f^{l})")


def _with_bias_unit(trees: list) -> list:
    """Ng's ``\\Theta^{(l)} a^{(l)}``: a^{(l)} with its bias unit a_0 = 1, so that the product is
    z^{(l+1)} (written as the source writes it, with the bias column of Theta)."""
    out = list(trees)
    for k in range(len(out) - 1):
        (_, w), (op, a) = out[k], out[k + 1]
        weight = w[0] == "q" and w[1] == "weight" and not w[4]
        act = a[0] == "q" and a[1] == "act" and not a[4] and a[3] is not None
        if weight and act and w[3] == a[3] and op in ("", "cdot"):
            out[k + 1] = (op, ("stack", ((("num", Rational(1)),), (a,))))
    return out


def _names(node: object, letter: str) -> bool:
    """Does the tree use ``letter`` as a plain variable (``\\sum_{j=1}^{3} j``)?"""
    if node == ("sym", letter):
        return True
    return isinstance(node, tuple) and any(_names(child, letter) for child in node)


def _first_layer_node(node: object) -> tuple | None:
    if not isinstance(node, tuple) or not node:
        return None
    if node[0] == "q" and node[1] in ("pre", "act") and node[3] is not None:
        return node
    for child in node[1:]:
        if isinstance(child, tuple):
            found = _first_layer_node(child)
            if found is not None:
                return found
            for grandchild in child:
                found = _first_layer_node(grandchild) if isinstance(grandchild, tuple) else None
                if found is not None:
                    return found
    return None
