"""Check index-form steps of a layered network (``--input``/``--net``): a convolution's weight
and input gradients, max-pooling's routing, backpropagation through time.

Each step is read by :mod:`symbp.check.index_reader`; its names are resolved against the layers
of the network as the layer writeups print them in the notation (a name table made by printing
every quantity of every layer with :class:`symbp.latex.layer_printer.LayerPrinter` and reading
it back, so the writer and the checker cannot drift apart). The step is then proved, or refuted,
exactly as symbp proves its own layer steps (:mod:`symbp.derive.layer_index_proof`): for every
value of its free indices, on every small instance of the layer with the same kernel, stride
and padding, both sides become polynomials in the instance's symbols and their difference must
expand to 0. A sum without limits runs over every value its index takes in the arrays it
indexes; an entry outside an array is 0 (zero padding). A refuted step gets the indices and the
values where the sides differ, and a hint when the difference is one of the usual mistakes,
each a change of symbp's own derived result (:func:`symbp.check.layered_mistakes.mistakes`).
"""

from __future__ import annotations

import itertools

import sympy

from symbp.check.index_reader import arithmetic, read_index_side
from symbp.check.layered_gap import counterexample, exists_at, gap_of
from symbp.check.layered_mistakes import mistakes
from symbp.check.layered_readers import fallbacks
from symbp.check.split import Step
from symbp.check.tokens import Unreadable
from symbp.check.verdict import Verdict
from symbp.derive import layer_index as li
from symbp.derive.layer_index_proof import instance_of, proved_on, side
from symbp.errors import SpecError
from symbp.latex.layer_printer import LayerPrinter
from symbp.layers import index as ix

_BASES = {"x": ix.x, "z": ix.z, "a": ix.a, "W": ix.W, "b": ix.b, "delta": ix.delta, "h": ix.h,
          "Wx": ix.Wx, "Wh": ix.Wh, "M": ix.M}  # fmt: skip
_SIZES = {"k": li.K, "s": li.STRIDE, "P": li.PAD, "T": ix.T}
_COSTS = ("C", "J", "E", "L")
_PROBE = sympy.Symbol("i", integer=True)


class _Layer:
    """One layer's derived index form, its proof instances and its names in the notation."""

    def __init__(self, net, position: int, notation: str) -> None:
        layer = net.layers[position - 1]
        self.position, self.layer = position, layer
        self.form = li.layer_form(layer, net.shapes[position - 1], position)
        _, self.shapes = li._instances(layer, net.shapes[position - 1])
        printer = LayerPrinter(position, notation)
        self.names: dict[tuple, str] = {}
        for base in _BASES:
            if base == "M" and not hasattr(layer, "k"):
                continue
            key = _key(read_index_side(printer.doprint(_BASES[base][_PROBE])))
            self.names.setdefault(key, base)  # Wikipedia's h and a share a name: a wins
        self.names[_key(read_index_side(printer.doprint(ix.h[_PROBE])))] = "h"
        self.recurrent = "h" in [str(b) for b in self.form.stated.axes]

    def shape(self, inst, base: str) -> tuple[int, ...]:
        grad = {"delta": "z", "dA": "a", "dH": "a", "h": "a"}
        if base == "M":
            out = inst.arrays["a"].shape
            return (*out, *(inst.k,) * inst.dims)
        if base == "J":
            steps, units = inst.arrays["a"].shape
            return (steps, units, units)
        return inst.arrays[grad.get(base, base)].shape


def _key(tree: tuple) -> tuple:
    if tree[0] != "atom":
        raise ValueError(f"a printed entry read back as {tree[0]}")
    return tree[1], tree[2], tree[3]


def _atoms(tree) -> list[tuple]:
    if not isinstance(tree, tuple):
        return []
    found = [tree] if tree and tree[0] == "atom" else []
    for part in tree[1:]:
        if isinstance(part, tuple):
            found += _atoms(part)
    return found


def _bare_and_bound(tree, bare: set, bound: set, inside: set | None = None) -> None:
    """Names that index an array on their own (``bare``), that a sum binds (``bound``) and
    that occur anywhere in an array's indices (``inside``)."""
    if not isinstance(tree, tuple) or not tree:
        return
    if tree[0] == "atom":
        for index in tree[4]:
            if index[0] == "atom" and not index[4]:
                bare.add(index[1])
            if inside is not None:
                inside.update(a[1] for a in _atoms(index) if not a[4] and not a[2])
    if tree[0] == "sum":
        bound.update(name for name, _, _ in tree[1])
    for part in tree[1:]:
        if isinstance(part, tuple):
            for item in part if part and isinstance(part[0], tuple) else (part,):
                _bare_and_bound(item, bare, bound, inside)


class _Build:
    """A read tree -> SymPy in the index-form vocabulary of ``layer`` on instance ``inst``."""

    def __init__(self, layer: _Layer, inst, indices: set[str]) -> None:
        self.layer, self.inst, self.indices = layer, inst, indices
        self.symbols: dict[str, sympy.Symbol] = {}

    def index(self, name: str) -> sympy.Symbol:
        return self.symbols.setdefault(name, sympy.Symbol(name, integer=True))

    def __call__(self, tree: tuple) -> sympy.Expr:
        kind = tree[0]
        value = arithmetic(tree, self)
        if value is not None:
            return value
        if kind == "func":
            arg = self(tree[2])
            return {"tanh": sympy.tanh, "exp": sympy.exp, "log": sympy.log,
                    "sigma": lambda v: 1 / (1 + sympy.exp(-v))}[tree[1]](arg)  # fmt: skip
        if kind == "iverson":
            return self.iverson(tree)
        if kind == "sum":
            return self.sum(tree)
        if kind == "d":
            return self.derivative(tree)
        return self.atom(tree)

    def atom(self, tree: tuple) -> sympy.Expr:
        _, name, label, which, indices = tree
        if not indices and not label and not which:
            if name in self.indices:
                return self.index(name)
            if name in _SIZES:
                return _SIZES[name]
            if name in _COSTS:
                return li.C
            raise Unreadable(f"unreadable: {name} is neither an index of this step nor a size")
        if name == "J" and len(indices) == 3:  # (J_t)_{j,k} = dh_{t,j} / dh_{t-1,k}
            t, j, k = (self(i) for i in indices)
            return self.through_z(ix.h[t, j], ix.h[t - 1, k])
        base = self.layer.names.get((name, label, which))
        if base is None:
            raise Unreadable(f"unreadable: {_shown(tree)} names no quantity of layer "
                             f"{self.layer.position} ({self.layer.layer.spec()})")  # fmt: skip
        return _BASES[base][tuple(self(i) for i in indices)]

    def derivative(self, tree: tuple) -> sympy.Expr:
        top, bottom = self(tree[1]), self(tree[2])
        if not isinstance(bottom, sympy.Indexed):
            raise Unreadable("unreadable: a derivative must be by one array entry")
        if top == li.C and bottom.base == ix.a:
            return ix.dA[bottom.indices]  # the gradient reaching the layer's output from above
        if top == li.C and bottom.base == ix.h:  # a state's whole gradient (given)
            return (ix.dH if self.layer.recurrent else ix.dA)[bottom.indices]
        if isinstance(top, sympy.Indexed) and top.base == bottom.base == ix.h:
            return self.through_z(top, bottom)
        return sympy.Derivative(top, bottom)

    def through_z(self, state: sympy.Indexed, earlier: sympy.Indexed) -> sympy.Expr:
        """dh_{t,j}/dh_{t-1,k}: the state reads the earlier one only through its own z_t."""
        o = sympy.Symbol("o_", integer=True)
        z = ix.z[state.indices[0], o]
        units = self.inst.arrays["a"].shape[1] - 1
        return sympy.Sum(sympy.Derivative(state, z) * sympy.Derivative(z, earlier), (o, 0, units))

    def iverson(self, tree: tuple) -> sympy.Expr:
        _, relation, left, right = tree
        lhs, rhs = self(left), self(right)
        if relation == "=" and lhs.is_integer and rhs.is_integer:
            return sympy.KroneckerDelta(lhs, rhs)
        if relation == ">" and rhs == 0 and not lhs.is_integer:
            return sympy.Heaviside(lhs, 0)
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
                lo, hi = self(lower), self(upper)
            else:
                lo, hi = 0, self.extent(summand, sym, name)
            out.append((sym, lo, hi))
        return sympy.Sum(summand, *out)

    def extent(self, expr: sympy.Expr, sym: sympy.Symbol, name: str) -> int:
        """The last value index ``sym`` takes where it indexes an array on its own."""
        highest = [
            self.layer.shape(self.inst, _base_name(e)) [n] - 1
            for e in _entries(expr) for n, index in enumerate(e.indices) if index == sym
        ]  # fmt: skip
        if not highest:  # only as +-p + c: the smallest axis it runs along (a kernel's)
            highest = [
                self.layer.shape(self.inst, _base_name(e))[n] - 1
                for e in _entries(expr) for n, index in enumerate(e.indices)
                if sym in index.free_symbols and abs(index.coeff(sym)) == 1
            ]  # fmt: skip
            highest = [min(highest)] if highest else []
        if not highest:
            raise Unreadable(f"unreadable: cannot tell the range of {name}: it indexes no array "
                             "on its own (give the sum its limits)")  # fmt: skip
        return max(highest)


def _index_symbols(expr: sympy.Expr) -> set[sympy.Symbol]:
    """Every symbol in ``expr``, those of the entries a derivative is taken by included."""
    found = set(expr.free_symbols)
    for entry in _entries(expr):
        for index in entry.indices:
            found |= index.free_symbols
    return found


def _entries(expr: sympy.Expr) -> list[sympy.Indexed]:
    found = list(expr.atoms(sympy.Indexed))
    for d in expr.atoms(sympy.Derivative):
        found += [v for v in (d.expr, *d.variables) if isinstance(v, sympy.Indexed)]
    return found


def _base_name(entry: sympy.Indexed) -> str:
    return str(entry.base)


def _shown(tree: tuple) -> str:
    _, name, label, which, indices = tree
    return f"{name}{'_' + which if which else ''}{'^' + label if label else ''}"


def layers_of(net, notation: str) -> list[_Layer]:
    """The layers with an index form (a dense layer on a sequence has none yet: skipped)."""
    found = []
    for p, layer in enumerate(net.layers, start=1):
        if li.has_index_form(layer):
            try:
                found.append(_Layer(net, p, notation))
            except SpecError:
                continue
    return found


def _resolving(layers: list[_Layer], trees: list[tuple]) -> _Layer:
    keys = {(a[1], a[2], a[3]) for t in trees for a in _atoms(t) if a[4] and a[1] != "J"}
    for layer in layers:
        if keys <= set(layer.names):
            return layer
    unknown = sorted(f"{n}^{lab}" if lab else n for n, lab, _ in keys)
    raise Unreadable(
        f"unreadable: {', '.join(unknown)} do not all name quantities of one "
        "layer with an index form (conv, pool, dense, rnn) in this notation"
    )


def check_layered_step(step: Step, layers: list[_Layer], head: Step | None) -> Verdict:
    """The verdict of one step; ``head``: the first step of its chain (for hints)."""
    try:
        trees = [read_index_side(step.left.text), read_index_side(step.right.text)]
        layer = _resolving(layers, trees)
        return _judge(step, layer, trees, head)
    except Unreadable as why:
        return Verdict(step.source, step.line, "unreadable", str(why).removeprefix("unreadable: "))
    except RecursionError:
        return Verdict(step.source, step.line, "unreadable", "the step is nested too deeply")


def _judge(step: Step, layer: _Layer, trees: list[tuple], head: Step | None) -> Verdict:
    if step.relation.strip() != "=":
        return Verdict(step.source, step.line, "unreadable", "only '=' steps are checked")
    bare, bound, inside = set(), set(), set()
    head_tree = read_index_side(head.left.text) if head is not None else None
    for tree in [*trees, head_tree] if head_tree else trees:
        _bare_and_bound(tree, bare, bound, inside)
    indices = (inside - set(_SIZES)) | bare | bound
    for shape in layer.shapes:
        inst = instance_of(layer.form, shape)
        build = _Build(layer, inst, indices)
        left, right = _defining(build(trees[0])), build(trees[1])
        # the chain's first left side names the free indices on their own (their ranges)
        ranges = sympy.Tuple(left, right, *([build(head_tree)] if head_tree else []))
        mine = {sym for name, sym in build.symbols.items() if name not in bound}
        on_left = _index_symbols(left) & mine
        free = sorted(on_left | (_index_symbols(right) & mine), key=str)
        for sym in free:
            if sym not in on_left:
                return Verdict(step.source, step.line, "invalid", "",
                               hint=f"{sym} is free on the right side but not on the left: a "
                               f"sum over {sym} is missing (a quantity shared by every {sym}, "
                               f"such as a weight used at every step, gets the sum of the "
                               f"gradients)")  # fmt: skip
        spans = [range(build.extent(ranges, s, str(s)) + 1) for s in free]
        for values in itertools.product(*spans):
            at = dict(zip(free, map(sympy.Integer, values), strict=True))
            if not (exists_at(left, inst, at) and exists_at(right, inst, at)):
                continue
            sl, sr = side(left, inst, at), side(right, inst, at)
            if gap_of(inst, sl - sr) != 0:
                example = counterexample(inst, sl, sr, at, shape)
                hint = _hint(layer, inst, right, at, trees, head)
                return Verdict(step.source, step.line, "invalid", "", example, hint)
    return Verdict(
        step.source, step.line, "valid", "proved on " + proved_on(layer.form, layer.shapes)
    )


def _defining(left: sympy.Expr) -> sympy.Expr:
    """A step whose left side is delta itself defines it: delta = dC/dz there (elsewhere
    delta is the given gradient of the layer's z, as in symbp's own steps)."""
    if isinstance(left, sympy.Indexed) and left.base == ix.delta:
        return sympy.Derivative(li.C, ix.z[left.indices])
    if isinstance(left, sympy.Indexed) and left.base == ix.dH:  # dC/dh_t, through time
        return sympy.Derivative(li.C, ix.h[left.indices])
    return left


def _hint(layer: _Layer, inst, right, at, trees, head) -> str | None:
    """The usual mistake that the step's right side is, if it is one
    (:mod:`symbp.check.layered_mistakes`)."""
    truth = _truth(layer, trees[0] if head is None else read_index_side(head.left.text), inst)
    if truth is None:
        return None
    target, entry = truth
    sr = side(right, inst, at)
    for why, wrong in mistakes(target, entry):
        if gap_of(inst, sr - side(wrong, inst, at)) == 0:
            return why
    return None


def _truth(layer: _Layer, head_tree: tuple, inst):
    """symbp's own derived right side for the quantity the chain starts from, in the chain's
    index letters (or None when the chain starts elsewhere)."""
    bare, bound = set(), set()
    _bare_and_bound(head_tree, bare, bound)
    try:
        lhs = _defining(_Build(layer, inst, bare | bound)(head_tree))
    except Unreadable:
        return None
    for quantity in dict.fromkeys(s.quantity for s in layer.form.steps):
        steps = layer.form.steps_for(quantity)
        first = steps[0].lhs
        if type(first) is type(lhs) and _same_base(first, lhs):
            mine, theirs = _entry_of(lhs), _entry_of(first)
            if len(mine.indices) == len(theirs.indices):
                sub = dict(zip(theirs.indices, mine.indices, strict=True))
                return _fresh_dummies(steps[-1].rhs).xreplace(sub), mine
    return None


def _entry_of(expr):
    return expr.variables[0] if isinstance(expr, sympy.Derivative) else expr


def _same_base(a, b) -> bool:
    return _entry_of(a).base == _entry_of(b).base


def _fresh_dummies(expr: sympy.Expr) -> sympy.Expr:
    for total in expr.atoms(sympy.Sum):
        names = {lim[0]: sympy.Symbol(f"{lim[0]}_", integer=True) for lim in total.limits}
        expr = expr.xreplace({total: total.xreplace(names)})
    return expr


def check_layered(steps: list[Step], net, notation: str) -> list[Verdict]:
    """Every step: in index form against the layer whose names it uses; a step the index
    reader cannot place goes to the other readers of the network's layers in turn
    (:mod:`symbp.check.layered_readers`: the writeups' multi-index notation, the output
    layer's steps, a staged norm derivation, attention's staged steps)."""
    layers = layers_of(net, notation)
    heads: dict[int, Step] = {}
    staged = fallbacks(net, notation, heads)
    verdicts = []
    for step in steps:
        head = heads.setdefault(step.chain, step)
        verdict = check_layered_step(step, layers, head)
        for what, check in staged if verdict.verdict == "unreadable" else ():
            try:
                other = check(step)
            except RecursionError:
                other = Verdict(step.source, step.line, "unreadable", "nested too deeply")
            if other.verdict != "unreadable":
                verdict = other
                break
            verdict.method += f"; as {what}: {other.method}"
        verdicts.append(verdict)
    return verdicts


__all__ = ["check_layered", "layers_of"]
