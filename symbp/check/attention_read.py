"""Read an index-form step of self-attention's backward pass into a tree of the layer's names.

:func:`symbp.check.index_reader.read_index_side` reads the LaTeX; :func:`canon` then names what
it read in the attention layer's vocabulary: ``X``, ``Q``, ``K``, ``V``, ``S``, ``P``, ``A`` (or
lower case) with two indices (``P_{ij}``, ``P_{i,j}``), ``W_q``, ``W^Q``, ``(W_q)_{ab}`` (and k,
v), ``\\frac{\\partial C}{\\partial V_{jk}}`` or the shorthand ``dV_{jk}`` for a gradient,
``d_k``, ``T``, ``d``, ``\\delta_{lj}`` and ``[l = j]`` (Kronecker's delta). Nothing is evaluated
and nothing reaches ``sympify``: the tree's nodes are tuples.

:func:`bindings` gives, for every index (free, or bound by a sum), the axes it indexes: an axis
is T (positions), d (features) or dk (the width d_k), so ``K_{kj}`` in place of ``K_{jk}`` is
seen as a wrong index order before any number is computed.

>>> tree = canon(read_index_side(r"\\sum_i P_{ij} \\frac{\\partial C}{\\partial A_{ik}}"))
>>> tree[0], tree[2][1][1][:2]
('sum', ('grad', 'A'))
>>> sorted((key[1], sorted(kinds)) for key, kinds in bindings(tree).items())
[('i', ['T']), ('j', ['T']), ('k', ['dk'])]
"""

from __future__ import annotations

from symbp.check.index_reader import read_index_side
from symbp.check.tokens import Unreadable

COSTS = ("C", "L", "J", "E", "ell")
AXES = {"X": ("T", "d"), "Q": ("T", "dk"), "K": ("T", "dk"), "V": ("T", "dk"),
        "A": ("T", "dk"), "S": ("T", "T"), "P": ("T", "T"), "Wq": ("dk", "d"),
        "Wk": ("dk", "d"), "Wv": ("dk", "d")}  # fmt: skip
KIND_NAMES = {"T": "the T positions", "d": "the d features", "dk": "the d_k columns"}
VOCABULARY = "X, Q, K, V, S, P, A, W_q, W_k, W_v, d_k, T, d"


def read(text: str) -> tuple:
    """One side of a step, read and named (Unreadable if it is not in the vocabulary)."""
    return canon(read_index_side(text))


def matrix_of(tree: tuple) -> str | None:
    """The layer's matrix an atom names (``W^Q`` -> ``Wq``), or None."""
    _, name, label, which, _ = tree
    if name == "W":
        role = (which or label).lower()
        return "W" + role if role in ("q", "k", "v") and not (which and label) else None
    if name.upper() in AXES and not label and not which:
        return name.upper()
    return None


def _split(indices: tuple) -> tuple:
    """``P_{ij}``: the reader's product i j of one-letter names is two indices."""
    out = []
    for index in indices:
        if index[0] == "mul" and all(_bare(f) for f in index[1]):
            out.extend(index[1])
        else:
            out.append(index)
    return tuple(out)


def _bare(tree: tuple) -> bool:
    return tree[0] == "atom" and not tree[2] and not tree[3] and not tree[4]


def _power(label: str) -> tuple | None:
    """A superscript that is a number (``d_k^{-1/2}``, ``P_{ij}^2``), read as a power."""
    try:
        power = read_index_side(label)
    except Unreadable:
        return None
    numeric = {"num", "neg", "div", "paren"}

    def plain(t: tuple) -> bool:
        return t[0] == "num" or (t[0] in numeric and all(plain(p) for p in t[1:]))

    return power if plain(power) else None


def _atom(tree: tuple) -> tuple:
    _, name, label, which, indices = tree
    power = _power(label) if label and name != "W" else None
    if power is not None:
        return ("pow", _atom(("atom", name, "", which, indices)), power)
    if _bare(tree):
        return ("name", name)
    indices = _split(indices)
    if name == "d" and not label and len(indices) == 1 and indices[0][:2] == ("atom", "k"):
        return ("size", "dk")
    if name == "delta" and not label and len(indices) == 2:
        return ("kron", canon(indices[0]), canon(indices[1]))
    matrix = matrix_of(tree)
    if matrix is None:
        shown = name + (f"^{label}" if label else "") + (f"_{which}" if which else "")
        raise Unreadable(f"unreadable: {shown} is not a quantity of the attention layer "
                         f"({VOCABULARY})")  # fmt: skip
    if len(indices) != 2:
        raise Unreadable(f"unreadable: {matrix} is a matrix: give it two indices ({matrix}_{{ij}})")
    return ("entry", matrix, tuple(canon(i) for i in indices))


def _product(factors: tuple) -> tuple:
    """A product, with ``d V_{jk}`` (a bare d before an entry) read as the gradient dC/dV_jk."""
    out, n = [], 0
    while n < len(factors):
        f = factors[n]
        nxt = factors[n + 1] if n + 1 < len(factors) else None
        if f[:2] == ("atom", "d") and _bare(f) and nxt is not None and nxt[0] == "atom":
            entry = _atom(nxt)
            if entry[0] == "entry":
                out.append(("grad", entry[1], entry[2]))
                n += 2
                continue
        out.append(canon(f))
        n += 1
    return out[0] if len(out) == 1 else ("mul", tuple(out))


def canon(tree: tuple) -> tuple:
    """The read tree with every name resolved against the attention layer."""
    kind = tree[0]
    if kind == "num":
        return tree
    if kind == "add":
        return ("add", tuple(canon(t) for t in tree[1]))
    if kind == "mul":
        return _product(tree[1])
    if kind in ("neg", "paren"):
        return (kind, canon(tree[1]))
    if kind in ("div", "pow"):
        return (kind, canon(tree[1]), canon(tree[2]))
    if kind == "atom":
        return _atom(tree)
    if kind == "d":
        top, bottom = tree[1], tree[2]
        if top[0] != "atom" or top[1] not in COSTS or top[4]:
            raise Unreadable("unreadable: a derivative of the cost (C, L, J, E, \\ell) is read")
        entry = _atom(bottom) if bottom[0] == "atom" else None
        if entry is None or entry[0] != "entry":
            raise Unreadable("unreadable: a derivative by one entry of a matrix is read "
                             "(\\frac{\\partial C}{\\partial V_{jk}})")  # fmt: skip
        return ("grad", entry[1], entry[2])
    if kind == "sum":
        limits = tuple((name, canon(low) if low is not None else None,
                        canon(high) if high is not None else None)
                       for name, low, high in tree[1])  # fmt: skip
        return ("sum", limits, canon(tree[2]))
    if kind == "iverson":
        return ("iverson", tree[1], canon(tree[2]), canon(tree[3]))
    raise Unreadable(f"unreadable: {kind} ({tree[1]}) is not read in an attention step: write "
                     "the softmax's derivative in the weights P")  # fmt: skip


def bindings(tree: tuple, scope: dict | None = None, out: dict | None = None) -> dict:
    """{binding: {axis kind: [the entries where it indexes that axis]}}; a binding is
    ("free", name) or (id of its sum, name)."""
    scope = {} if scope is None else scope
    out = {} if out is None else out
    kind = tree[0]
    if kind in ("entry", "grad"):
        for axis, index in zip(AXES[tree[1]], tree[2], strict=True):
            if index[0] == "name" and index[1] not in ("T", "d"):
                key = scope.get(index[1], ("free", index[1]))
                out.setdefault(key, {}).setdefault(axis, []).append(shown(tree))
        return out
    if kind == "sum":
        inner = dict(scope)
        for name, low, high in tree[1]:
            inner[name] = (id(tree), name)
            for limit in (low, high):
                if limit is not None:
                    bindings(limit, scope, out)
        out.update({inner[name]: out.get(inner[name], {}) for name, _, _ in tree[1]})
        for name, _, high in tree[1]:
            axis = _size_of(high)
            if axis is not None:  # \sum_{i=1}^{T}: i runs over the T positions
                out[inner[name]].setdefault(axis, []).append(f"the sum's upper limit of {name}")
        return bindings(tree[2], inner, out)
    for part in tree[1:]:
        if isinstance(part, tuple) and part and isinstance(part[0], tuple):
            for item in part:
                bindings(item, scope, out)
        elif isinstance(part, tuple) and part:
            bindings(part, scope, out)
    return out


def _size_of(limit: tuple | None) -> str | None:
    """The axis a sum's upper limit names: T, d or d_k (or T - 1, d_k - 1 from 0)."""
    if limit is not None and limit[0] == "add" and limit[1][1:] == (("neg", ("num", "1")),):
        limit = limit[1][0]
    if limit == ("size", "dk"):
        return "dk"
    if limit in (("name", "T"), ("name", "d")):
        return limit[1]
    return None


def free_names(tree: tuple) -> set[str]:
    return {name for (where, name) in bindings(tree) if where == "free"}


def shown(tree: tuple) -> str:
    """``P_{il}``, ``dC/dQ_{ik}`` (for hints)."""
    letters = "".join(i[1] if i[0] == "name" else "." for i in tree[2])
    name = {"Wq": "W_q", "Wk": "W_k", "Wv": "W_v"}.get(tree[1], tree[1])
    entry = f"{name}_{{{letters}}}" if name[0] != "W" else f"({name})_{{{letters}}}"
    return f"dC/d{entry}" if tree[0] == "grad" else entry


def zero_based(tree: tuple) -> bool:
    """A sum from 0 makes the step's indices 0-based."""
    if not isinstance(tree, tuple) or not tree:
        return False
    if tree[0] == "sum" and any(low == ("num", "0") for _, low, _ in tree[1]):
        return True
    return any(
        zero_based(p) if isinstance(p, tuple) and p and isinstance(p[0], str) else
        any(zero_based(q) for q in p) if isinstance(p, tuple) else False
        for p in tree[1:]
    )  # fmt: skip


__all__ = ["AXES", "COSTS", "bindings", "canon", "free_names", "read", "shown", "zero_based"]
