"""Check a staged derivation of single-head self-attention's backward pass.

Students derive attention's backward pass one quantity at a time, in index form::

    dC/dV_jk  = sum_i P_ij dC/dA_ik              dC/dP_ij = sum_k dC/dA_ik V_jk
    dC/dS_ij  = P_ij (dC/dP_ij - sum_l P_il dC/dP_il)
    dC/dQ_ik  = (1/sqrt(d_k)) sum_j dC/dS_ij K_jk    dC/dK_jk = (1/sqrt(d_k)) sum_i dC/dS_ij Q_ik
    dC/d(W_q)_ab = sum_i dC/dQ_ia X_ib  (W_k, W_v alike)
    dC/dX_ib  = sum_a (dC/dQ_ia (W_q)_ab + dC/dK_ia (W_k)_ab + dC/dV_ia (W_v)_ab)

The truth is derived, not typed (:mod:`symbp.check.attention_graph`): the layer's own forward
equations at T=3, d=2, d_k=2 and at T=2, d=3, d_k=4 (or, for a network whose attention has
d <= 4 and d_k <= 4, at T=3 and T=2 with the network's own d and d_k; ``residual(attention(d))``
is checked on the residual layer's equations, so dC/dX has the identity path) are a graph of
defined quantities, and
each gradient is the chain rule over the quantities that read it. Both sides of a step are
built over that graph for every value of its free indices and proved equal exactly modulo the
layer's definitions (:class:`symbp.derive.algebraic.DefinitionsProver`, sqrt(d_k) reduced by
its square); a numeric probe at a point where the equations hold refutes a wrong step first
and gives the counterexample. An index that runs over two different axes (``K_{kj}`` for
``K_{jk}``) or is free on the right only (a missing sum) is named before any number is
computed; other hints are the truth with one usual mistake applied that reproduces the step.

Names are read by :mod:`symbp.check.attention_read`. Sums without limits run over the axis their
index names; indices count from 1 unless a sum starts at 0.

>>> checker = AttentionChecker()
>>> from symbp.check.split import extract_steps
>>> (step,) = extract_steps(r"$$dV_{jk} = \\sum_i P_{ji} dA_{ik}$$")
>>> v = checker.check(step)
>>> v.verdict, v.hint.split(":")[0], v.counterexample["instance"]
('invalid', 'P is transposed', 'T=3, d=2, d_k=2')
"""

from __future__ import annotations

import itertools
from functools import partial

import sympy

from symbp.check.attention_graph import Graph, bounded_power
from symbp.check.attention_hints import hint_for
from symbp.check.attention_matrix_check import judge_matrix
from symbp.check.attention_matrix_read import read_matrix
from symbp.check.attention_read import KIND_NAMES, bindings, read, zero_based
from symbp.check.attention_rows import judge_rows
from symbp.check.index_reader import arithmetic
from symbp.check.split import Step
from symbp.check.staged_terms import unrolled_sum
from symbp.check.tokens import Unreadable
from symbp.check.verdict import Verdict

SIZES = ((3, 2, 2), (2, 3, 4))  # (T, d, d_k): T != d_k in both, d != d_k in the second
RESIDUAL_SIZES = ((3, 2, 2), (2, 3, 3))  # a residual's d_k is its d
STEPS = (3, 2)  # T of the network's own sizes: one of them differs from d_k whatever it is
MAX_WIDTH = 4  # the largest d and d_k of a network checked at its own sizes
MAX_SPAN = 16
MAX_TERMS = 20_000


def shown_sizes(sizes=SIZES) -> str:
    return " and ".join(f"T={T}, d={d}, d_k={k}" for T, d, k in sizes)


def valid_method(proved: bool, sizes=SIZES) -> str:
    """How a valid step was judged: proved exactly, or only agreed at points."""
    if proved:
        return ("proved exactly modulo the layer's definitions (the softmax's Jacobian in the "
                f"weights P), for every entry at {shown_sizes(sizes)}")  # fmt: skip
    return f"agreed at 2 points of each size ({shown_sizes(sizes)}; not a proof)"


class _Build:
    """A named tree -> SymPy over one graph, at the values of the indices in ``at``."""

    def __init__(self, graph: Graph, base: int, ranges: dict) -> None:
        self.g, self.base, self.ranges = graph, base, ranges
        self.at: dict[str, int] = {}
        self.terms = 0
        self.sizes = {"T": graph.T, "d": graph.d, "dk": graph.d_k}

    def __call__(self, tree: tuple) -> sympy.Expr:
        if tree[0] == "pow":
            return bounded_power(self(tree[1]), self(tree[2]))
        value = arithmetic(tree, self)
        if value is not None:
            return value
        kind = tree[0]
        if kind == "name":
            if tree[1] in self.at:
                return sympy.Integer(self.at[tree[1]])
            if tree[1] in self.sizes:
                return sympy.Integer(self.sizes[tree[1]])
            raise Unreadable(f"unreadable: {tree[1]} is neither an index of this step nor a "
                             "size (T, d, d_k)")  # fmt: skip
        if kind == "size":
            return sympy.Integer(self.g.d_k)
        if kind == "kron":
            return sympy.Integer(int(self(tree[1]) == self(tree[2])))
        if kind == "iverson":
            return self.iverson(tree)
        if kind in ("entry", "grad"):
            return self.entry(tree)
        return self.total(tree)

    def spans(self, free: list[str]) -> list[range]:
        """The values of each free index: its axis (the longest, where it names two)."""
        top = [max(self.sizes[k] for k in self.ranges[("free", n)]) for n in free]
        return [range(self.base, n + self.base) for n in top]

    def iverson(self, tree: tuple) -> sympy.Expr:
        _, relation, left, right = tree
        a, b = self(left), self(right)
        if relation not in ("=", "!="):
            raise Unreadable("unreadable: an Iverson bracket of indices is [l = j] or [l \\neq j]")
        return sympy.Integer(int((a == b) == (relation == "=")))

    def entry(self, tree: tuple) -> sympy.Expr:
        _, name, indices = tree
        position = tuple(int(self(i)) - self.base for i in indices)
        shape = self.g.shape[name]
        if not all(0 <= p < n for p, n in zip(position, shape, strict=True)):
            return sympy.Integer(0)  # past the matrix: as an entry of zero padding
        if tree[0] == "entry":
            return self.g.arrays[name][position]
        if name == "A":
            return self.g.dA[position]
        return self.g.grads[self.g.arrays[name][position]]

    def total(self, tree: tuple) -> sympy.Expr:
        parts = []
        for name, low, high in tree[1]:
            if low is not None:
                first, last = int(self(low)), int(self(high))
                if last - first >= MAX_SPAN:
                    raise Unreadable(f"unreadable: a sum over {last - first + 1} values of "
                                     f"{name}; sums run over T, d or d_k")  # fmt: skip
                parts.append((name, first, last))
                continue
            kinds = self.ranges.get((id(tree), name))
            if not kinds:
                raise Unreadable(f"unreadable: cannot tell the range of {name}: it indexes no "
                                 "matrix on its own (give the sum its limits)")  # fmt: skip
            size = max(self.sizes[k] for k in kinds)
            parts.append((name, self.base, size - 1 + self.base))
        return self._sum(parts, tree[2])

    def _sum(self, parts: list, body: tuple) -> sympy.Expr:
        return unrolled_sum(self, self.at, parts, body, self._count)

    def _count(self, terms: int) -> None:
        self.terms += terms
        if self.terms > MAX_TERMS:
            raise Unreadable(f"unreadable: this step's sums make over {MAX_TERMS:,} terms")


class AttentionChecker:
    """The staged checker of an attention layer's backward pass at ``sizes`` ((T, d, d_k)
    triples; :data:`SIZES` by default), of ``residual(attention(d))`` where ``residual``."""

    def __init__(self, sizes=None, residual: bool = False) -> None:
        self.sizes = tuple(sizes or (RESIDUAL_SIZES if residual else SIZES))
        self.residual = residual
        self.graphs = [Graph(*size, residual=residual) for size in self.sizes]
        self.method = partial(valid_method, sizes=self.sizes)

    def check(self, step: Step) -> Verdict:
        try:
            if step.relation.strip() != "=":
                return Verdict(step.source, step.line, "unreadable", "only '=' steps are checked")
            matrix = _matrix_form(step)
            if matrix is not None:  # per row (dS_{i,:} = ...), or whole matrices
                rows = judge_rows(step, matrix, self.graphs, self.method, judge_matrix)
                return rows or judge_matrix(step, matrix, self.graphs, self.method)
            return self._judge(step, [read(step.left.text), read(step.right.text)])
        except Unreadable as why:
            return Verdict(
                step.source, step.line, "unreadable", str(why).removeprefix("unreadable: ")
            )
        except (ZeroDivisionError, ValueError, TypeError) as why:
            return Verdict(step.source, step.line, "unreadable", f"cannot evaluate: {why}")
        except RecursionError:
            return Verdict(step.source, step.line, "unreadable", "the step is nested too deeply")

    def _judge(self, step: Step, trees: list[tuple]) -> Verdict:
        ranges = bindings(trees[0])
        bindings(trees[1], out=ranges)
        if self.residual:  # d_k is d: an index over both is over one axis
            ranges = {key: _one_width(kinds) for key, kinds in ranges.items()}
        on_left = {n for where, n in bindings(trees[0]) if where == "free"}
        free = sorted(n for where, n in ranges if where == "free")
        base = 0 if any(zero_based(t) for t in trees) else 1
        hint = _typing_hint(ranges, on_left)
        target = trees[0] if trees[0][0] == "grad" else None
        for graph in self.graphs:
            build = _Build(graph, base, ranges)
            spans = build.spans(free)
            for values in itertools.product(*spans):
                build.at = dict(zip(free, values, strict=True))
                left, right = build(trees[0]), build(trees[1])
                seed = graph.differs(left, right)
                if seed is not None:
                    at = dict(build.at)
                    hint = hint or hint_for(graph, build, target, trees[1], free, spans)
                    return _refuted(step, graph, at, left, right, hint, seed)
        if hint:  # ill-typed, yet equal at these sizes: still wrong in general
            return Verdict(step.source, step.line, "invalid", "", None, hint)
        proved = all(self._proved(g, trees, base, ranges, free) for g in self.graphs)
        return Verdict(step.source, step.line, "valid", self.method(proved))

    @staticmethod
    def _proved(graph: Graph, trees, base, ranges, free) -> bool:
        build = _Build(graph, base, ranges)
        for values in itertools.product(*build.spans(free)):
            build.at = dict(zip(free, values, strict=True))
            if not graph.proved(build(trees[0]), build(trees[1])):
                return False
        return True


def _matrix_form(step: Step) -> list[tuple] | None:
    """Both sides read as matrices, when the step names a matrix without indices (``P^T``,
    ``dA``, ``\\frac{\\partial C}{\\partial V}``); None for an index-form step."""
    try:
        trees = [read(step.left.text), read(step.right.text)]
    except Unreadable as why:
        try:
            return [read_matrix(step.left.text), read_matrix(step.right.text)]
        except Unreadable:
            raise why from None
    if any(_bare_matrix(t) for t in trees):
        return [read_matrix(step.left.text), read_matrix(step.right.text)]
    return None


def _bare_matrix(tree: tuple) -> bool:
    if tree[0] == "name":
        return tree[1] in "XQKVSPAW" and len(tree[1]) == 1
    return any(
        _bare_matrix(p) if isinstance(p, tuple) and p and isinstance(p[0], str) else
        any(_bare_matrix(q) for q in p if isinstance(q, tuple) and q and isinstance(q[0], str))
        if isinstance(p, tuple) else False
        for p in tree[1:]
    )  # fmt: skip


def _typing_hint(ranges: dict, on_left: set[str]) -> str | None:
    """A hint for an index over two axes, or free on the right side only."""
    for (where, name), kinds in sorted(ranges.items(), key=lambda kv: str(kv[0][1])):
        if len(kinds) > 1:
            places = [(kind, where[0]) for kind, where in kinds.items()]
            (k1, at1), (k2, at2) = sorted(places, key=lambda kp: "upper limit" in kp[1])[:2]
            if "upper limit" in at2:
                return (f"the sum over {name} runs over {KIND_NAMES[k2]}, but {name} indexes "
                        f"{KIND_NAMES[k1]} in {at1}: the sum's limit is wrong")  # fmt: skip
            return (f"{name} runs over {KIND_NAMES[k1]} in {at1} but over {KIND_NAMES[k2]} "
                    f"in {at2}: an index order or a transpose is wrong (X is T x d; Q, K, V "
                    "and A are T x d_k; S and P are T x T; W_q, W_k, W_v are d_k x d)")  # fmt: skip
        if where == "free" and name not in on_left:
            return (f"{name} is free on the right side but not on the left: a sum over {name} "
                    f"is missing (a quantity read at every {name} gets the sum of the "
                    "gradients)")  # fmt: skip
    return None


def _refuted(step: Step, graph: Graph, at: dict, left, right, hint, seed: int) -> Verdict:
    example = graph.example(left, right, seed, indices=dict(at))
    return Verdict(step.source, step.line, "invalid", "", example, hint)


def _one_width(kinds: dict) -> dict:
    """An index's axes with d_k read as d (a residual's widths are one)."""
    return {k: w for k, w in kinds.items() if k != "dk"} if "d" in kinds else kinds


def _is_attention(layer) -> bool:
    return layer.kind == "attention" or (
        layer.kind == "residual" and getattr(layer.inner, "kind", None) == "attention"
    )


def attention_layer(net):
    """The first attention layer of a layered network, top level or the inner layer of
    ``residual(attention(d))`` (that residual returned), or None."""
    return next((layer for layer in net.layers if _is_attention(layer)), None)


def attention_checker(net) -> AttentionChecker | None:
    """The checker of ``net``'s first attention layer (or residual(attention)), at T = 3 and 2
    with the network's own d and d_k where both are at most :data:`MAX_WIDTH`, else at the
    default sizes; None when the network has none.

    >>> from symbp.model import layered_network
    >>> net = layered_network("5x3", "residual(attention(3)) meanpool dense(2,softmax)", "cce")
    >>> attention_checker(net).sizes, attention_checker(net).residual
    (((3, 3, 3), (2, 3, 3)), True)
    """
    position = next((n for n, layer in enumerate(net.layers) if _is_attention(layer)), None)
    if position is None:
        return None
    layer, d = net.layers[position], net.shapes[position][-1]
    residual = layer.kind == "residual"
    d_k = (layer.inner if residual else layer).d_k
    if max(d, d_k) > MAX_WIDTH:
        return AttentionChecker(residual=residual)
    return AttentionChecker(tuple((T, d, d_k) for T in STEPS), residual)


__all__ = ["AttentionChecker", "attention_checker", "attention_layer"]
