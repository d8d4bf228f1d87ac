"""Check the index-form steps of a layer with several forward equations: attention, meanpool,
last, a residual, dense on a sequence, an lstm (the multi-index notation of symbp's writeups:
position t, features c, keys u, sums over t and over the features).

The names are the writeups' own: every array of the layer's derived form
(:mod:`symbp.derive.layer_index_multi`) is printed in the notation with the writeup's printer
and read back, so the writer and the checker use one table. A step is read by
:mod:`symbp.check.index_reader` (no ``sympify``) and judged on the concrete instance symbp
proves its own steps on (:mod:`symbp.derive.layer_index_multi_proof`): for every value of the
free indices both sides are written out; ``dC/d(entry)`` on a step's left side is the chain rule
over the entries that read it (one level), elsewhere the gradient array of that entry, and
``du/dtheta`` the derivative of u's own forward equation. A numeric probe first evaluates both
sides where the layer's equations hold and every gradient follows from one random gradient at
the layer's output (:mod:`symbp.check.multi_point`); a side that differs there is a
counterexample. Otherwise the gap must cancel exactly (the softmax and gate outputs written as
their definitions, then every defined entry), or the step is reported as agreement, not proof.

>>> from symbp.model import layered_network
>>> net = layered_network("3x2", "attention(2) meanpool dense(2,softmax)", "cce")
>>> layers = multi_layers(net, "wikipedia")
>>> [layer.layer.spec() for layer in layers]
['attention(2)', 'meanpool']
"""

from __future__ import annotations

import sympy

from symbp.check.index_reader import arithmetic, read_index_side
from symbp.check.multi_hints import mistakes
from symbp.check.multi_point import Probe
from symbp.check.split import Step
from symbp.check.tokens import Unreadable
from symbp.check.verdict import Verdict
from symbp.derive import layer_index_lstm as ll
from symbp.derive.layer_index import C
from symbp.derive.layer_index_export import multi_form_of
from symbp.derive.layer_index_lstm_proof import LstmInstance
from symbp.derive.layer_index_multi_proof import Instance, proved_on
from symbp.latex.writeup_attention import MultiPrinter
from symbp.latex.writeup_lstm import LstmPrinter
from symbp.layers.attention import Attention
from symbp.layers.residual import Residual

_COSTS = ("C", "J", "E", "L")
_FUNCS = {"tanh": sympy.tanh, "exp": sympy.exp, "log": sympy.log,
          "sigma": lambda v: 1 / (1 + sympy.exp(-v))}  # fmt: skip
_MAX_VALUES = 200  # free index values tried per step and instance


class MultiLayer:
    """One layer's derived multi-equation form, its proof instance and its printed names."""

    def __init__(self, net, position: int, notation: str) -> None:
        self.position = position
        self.layer = layer = net.layers[position - 1]
        shape = net.shapes[position - 1]
        if ll.has_lstm_form(layer):
            form, printer = ll.lstm_form(), LstmPrinter(position, notation)
            self.inst: Instance = LstmInstance(form.layer, (3, 3))
        else:
            form, printer = multi_form_of(layer, shape), MultiPrinter(position, notation)
            if form is None:
                raise ValueError(f"{layer.spec()} has no multi-equation index form")
            self.inst = Instance(form.layer, _proof_shape(form.layer, shape))
        self.form, self.stated = form, form.stated
        self.sizes = {str(s): s for s in self.stated.sizes}
        self.names: dict[tuple, sympy.IndexedBase] = {}
        bases = [*self.stated.roles, *self.stated.gradients.values()]
        for base in bases:
            if base not in self.stated.axes:
                continue
            probe = base[tuple(sympy.Symbol(f"i{n}") for n in range(len(self.stated.axes[base])))]
            tree = read_index_side(printer.doprint(probe))
            if tree[0] == "atom":
                self.names.setdefault((tree[1], tree[2], tree[3]), base)
        self.primal = {g: p for p, g in self.stated.gradients.items()}
        self.probe = Probe(self.inst, self.stated)

    def covers(self, keys: set[tuple]) -> bool:
        return keys <= set(self.names)


def _proof_shape(layer, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The input of the instance symbp proves the layer's own steps on (sizes that differ, so
    a sum over the wrong axis fails)."""
    inner = layer.inner if isinstance(layer, Residual) else layer
    if isinstance(inner, Attention) and not isinstance(layer, Residual):
        return (3, 3)
    return (3,) if len(shape) == 1 else (3, 2)


def multi_layers(net, notation: str) -> list[MultiLayer]:
    """The network's layers with a multi-equation index form (an lstm's included)."""
    found = []
    for position, layer in enumerate(net.layers, start=1):
        shape = net.shapes[position - 1]
        if ll.has_lstm_form(layer) or multi_form_of(layer, shape) is not None:
            found.append(MultiLayer(net, position, notation))
    return found


def _atoms(tree) -> list[tuple]:
    if not isinstance(tree, tuple) or not tree:
        return []
    found = [tree] if tree[0] == "atom" else []
    for part in tree[1:]:
        if isinstance(part, tuple):
            found += [a for item in _items(part) for a in _atoms(item)]
    return found


def _items(part: tuple) -> tuple:
    return part if part and isinstance(part[0], tuple) else (part,)


def _names_used(tree) -> tuple[set, set]:
    """(indices: names that index an array or that a sum binds, arrays: (name, label, which)
    of every indexed name)."""
    indices, arrays = set(), set()
    for atom in _atoms(tree):
        if atom[4] and not _is_dk(atom):
            arrays.add((atom[1], atom[2], atom[3]))
            for index in atom[4]:
                indices.update(a[1] for a in _atoms(index) if not a[4] and not a[2])
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple) and node:
            if node[0] == "sum":
                indices.update(name for name, _, _ in node[1])
            stack += [p for part in node[1:] if isinstance(part, tuple) for p in _items(part)]
    return indices, arrays


def _is_dk(atom: tuple) -> bool:
    """``d_{k}``: the size d_k, not an array d."""
    return atom[1] == "d" and not atom[2] and len(atom[4]) == 1 and atom[4][0][:2] == ("atom", "k")


class _Build:
    """A read tree -> SymPy over the layer's derived form (its IndexedBases and sizes)."""

    def __init__(self, layer: MultiLayer, indices: set[str]) -> None:
        self.layer, self.indices = layer, indices - set(layer.sizes) - {"d_k"}
        self.symbols: dict[str, sympy.Symbol] = {}

    def index(self, name: str) -> sympy.Symbol:
        return self.symbols.setdefault(name, sympy.Symbol(name, integer=True))

    def side(self, tree: tuple, left: bool) -> sympy.Expr:
        """A step's side; on the left, dC/d(entry) is the derivative itself."""
        if left and tree[0] == "d" and self(tree[1]) == C:
            entry = self(tree[2])
            if isinstance(entry, sympy.Indexed) and self.layer.stated.roles.get(entry.base) != "a":
                return sympy.Derivative(C, entry)
        return self(tree)

    def __call__(self, tree: tuple) -> sympy.Expr:
        value = arithmetic(tree, self)
        if value is not None:
            return value
        kind = tree[0]
        if kind == "func":
            return _FUNCS[tree[1]](self(tree[2]))
        if kind == "iverson":
            return self.iverson(tree)
        if kind == "sum":
            return self.sum(tree)
        if kind == "d":
            return self.derivative(tree)
        return self.atom(tree)

    def atom(self, tree: tuple) -> sympy.Expr:
        _, name, label, which, indices = tree
        if _is_dk(tree) and "d_k" in self.layer.sizes and not indices[0][4]:
            return self.layer.sizes["d_k"]
        if not indices and not label and not which:
            if name in self.indices:
                return self.index(name)
            if name in self.layer.sizes:
                return self.layer.sizes[name]
            if name in _COSTS:
                return C
            raise Unreadable(f"unreadable: {name} is neither an index of this step nor a size")
        base = self.layer.names.get((name, label, which))
        if base is None:
            shown = f"{name}{'_' + which if which else ''}{'^' + label if label else ''}"
            raise Unreadable(f"unreadable: {shown} names no array of layer "
                             f"{self.layer.position} ({self.layer.layer.spec()})")  # fmt: skip
        if len(indices) != len(self.layer.stated.axes[base]):
            raise Unreadable(f"unreadable: {name} takes {len(self.layer.stated.axes[base])} "
                             f"indices, not {len(indices)}")  # fmt: skip
        return base[tuple(self(i) for i in indices)]

    def derivative(self, tree: tuple) -> sympy.Expr:
        top, bottom = self(tree[1]), self(tree[2])
        if not isinstance(bottom, sympy.Indexed):
            raise Unreadable("unreadable: a derivative must be by one array entry")
        stated = self.layer.stated
        if top == C:
            if bottom.base in self.layer.primal:
                raise Unreadable("unreadable: a derivative by a gradient")
            grad = stated.gradients.get(bottom.base)
            if grad is not None:
                return grad[bottom.indices]
            return sympy.Derivative(top, bottom)
        if not isinstance(top, sympy.Indexed) or top.base not in stated.roles:
            raise Unreadable("unreadable: a derivative of something other than C or an entry")
        return sympy.Derivative(top, bottom)

    def iverson(self, tree: tuple) -> sympy.Expr:
        _, relation, left, right = tree
        lhs, rhs = self(left), self(right)
        if relation == "=" and lhs.is_integer and rhs.is_integer:
            return sympy.KroneckerDelta(lhs, rhs)
        rel = {"=": sympy.Eq, "!=": sympy.Ne, "<": sympy.Lt, ">": sympy.Gt, "<=": sympy.Le,
               ">=": sympy.Ge}[relation](lhs, rhs)  # fmt: skip
        return sympy.Piecewise((1, rel), (0, True))

    def sum(self, tree: tuple) -> sympy.Expr:
        _, limits, body = tree
        summand = self(body)
        out = []
        for name, lower, upper in limits:
            sym = self.index(name)
            if lower is not None:
                out.append((sym, self(lower), self(upper)))
            else:
                out.append((sym, *self.span(summand, sym)))
        return sympy.Sum(summand, *out)

    def span(self, expr: sympy.Expr, sym: sympy.Symbol) -> tuple:
        """The range of ``sym`` where it indexes an array on its own in ``expr``."""
        found = ranges_in(self.layer.stated.axes, expr)
        if sym not in found:
            raise Unreadable(f"unreadable: cannot tell the range of {sym}: it indexes no array "
                             "on its own (give the sum its limits)")  # fmt: skip
        return found[sym]


def ranges_in(axes: dict, *exprs: sympy.Expr) -> dict:
    """The range of each bare index of an array entry in ``exprs`` (the first array wins)."""
    found: dict = {}
    for expr in exprs:
        entries = list(expr.atoms(sympy.Indexed))
        for d in expr.atoms(sympy.Derivative):
            entries += [v for v in (d.expr, *d.variables) if isinstance(v, sympy.Indexed)]
        for entry in entries:
            for index, span in zip(entry.indices, axes.get(entry.base, ()), strict=False):
                if isinstance(index, sympy.Symbol):
                    found.setdefault(index, span)
    return found


def _symbols(expr: sympy.Expr) -> set:
    """Every symbol in ``expr``, the indices of the entries a derivative is by included."""
    return set(expr.atoms(sympy.Symbol))


def _hint(layer: MultiLayer, head, right, spans: dict, free: list) -> str | None:
    """The usual mistake the refuted right side is, if it is one (:mod:`multi_hints`)."""
    if not isinstance(head, sympy.Derivative) or head.expr != C:
        return None
    at = {s: spans[s] for s in free}
    for why, wrong in mistakes(layer.form, head.variables[0]):
        try:
            if layer.probe.same(right, wrong, at):
                return why
        except (Unreadable, TypeError):
            continue
    return None


def check_multi_step(step: Step, layers: list[MultiLayer], head: Step | None) -> Verdict:
    """The verdict of one step against the first multi-equation layer whose names it uses."""
    try:
        trees = [read_index_side(step.left.text), read_index_side(step.right.text)]
        head_tree = read_index_side(head.left.text) if head is not None else None
        keys = set().union(*(_names_used(t)[1] for t in trees))
        layer = next((lay for lay in layers if keys and lay.covers(keys)), None)
        if layer is None:
            raise Unreadable("unreadable: its arrays name no layer with a multi-equation form")
        if step.relation.strip() != "=":
            raise Unreadable("unreadable: only '=' steps are checked")
        return _judge(step, layer, trees, head_tree)
    except Unreadable as why:
        return Verdict(step.source, step.line, "unreadable", str(why).removeprefix("unreadable: "))
    except RecursionError:
        return Verdict(step.source, step.line, "unreadable", "the step is nested too deeply")
    except TypeError:  # an index left over on the instance: neither free nor summed
        why = "an index is both summed and free, or its value is not an integer"
        return Verdict(step.source, step.line, "unreadable", why)
    except (ValueError, ZeroDivisionError, AttributeError) as why:
        return Verdict(step.source, step.line, "unreadable", f"cannot evaluate: {why}")


def _judge(step: Step, layer: MultiLayer, trees: list, head_tree) -> Verdict:
    indices = set()
    for tree in [*trees, head_tree] if head_tree is not None else trees:
        indices |= _names_used(tree)[0]
    build = _Build(layer, indices)
    left, right = build.side(trees[0], True), build.side(trees[1], False)
    head = build.side(head_tree, True) if head_tree is not None else left
    bound = {lim[0] for e in (left, right, head) for s in e.atoms(sympy.Sum) for lim in s.limits}
    mine = set(build.symbols.values())
    free = sorted((_symbols(left) | _symbols(right)) & mine - bound, key=str)
    spans = ranges_in(layer.stated.axes, head, left, right)
    missing = [s for s in free if s not in spans]
    if missing:
        raise Unreadable(f"unreadable: cannot tell the range of {missing[0]}: it indexes no "
                         "array on its own")  # fmt: skip
    on_left = _symbols(left) | _symbols(head)
    outcome = layer.probe.judge(left, right, {s: spans[s] for s in free}, _MAX_VALUES)
    if outcome.counterexample is not None:
        extra = [s for s in free if s not in on_left]
        if extra:
            hint = (f"{extra[0]} is free on the right side but not on the left: a sum over "
                    f"{extra[0]} is missing")  # fmt: skip
        else:
            hint = _hint(layer, head, right, spans, free)
        return Verdict(step.source, step.line, "invalid", "", outcome.counterexample, hint)
    if outcome.proved:
        return Verdict(step.source, step.line, "valid", "proved on " + proved_on(layer.inst))
    return Verdict(step.source, step.line, "valid",
                   f"agreed at {outcome.points} points where the layer's equations hold, on "
                   f"an instance ({layer.inst.layer.spec()} on input {layer.inst.text()}) "
                   "(not a proof)")  # fmt: skip


__all__ = ["MultiLayer", "check_multi_step", "multi_layers", "ranges_in"]
