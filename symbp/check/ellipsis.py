"""An ellipsis inside a product (``(f^{1})' \\circ (W^{2})^{T} \\cdots (W^{L})^{T} (f^{L})'``),
written out for one network.

The terms written after the ellipsis show the repeating block: the shortest period ``p`` such
that every term past the first ``p`` repeats the term ``p`` places before it with every layer
label moved by the same step. The terms before the ellipsis are placed on that pattern from
their layers; the terms between are the pattern's, and terms written on both sides (a short
network: ``a_1 a_2 \\cdots a_{n-1} a_n`` with n = 3) are read once. A product that does not
fit a pattern is unreadable, never guessed.

>>> from symbp.check.grammar import parse_side
>>> side = r"(f^{1})' (W^{2})^T (f^{2})' \\cdots (W^{L-1})^T (f^{L-1})' (W^{L})^T (f^{L})'"
>>> layer_of = lambda node: {"1": 1, "2": 2, "L-1": 4, "L": 5}[_label(node)]  # L = 5
>>> [_label(n) for _, n in expand(list(parse_side(side)[1]), layer_of)]
['1', '2', '2', 'L-2', 'L-2', 'L-1', 'L-1', 'L', 'L']
"""

from __future__ import annotations

from collections.abc import Callable

from symbp.check.tokens import Unreadable
from symbp.check.truth import Missing

_WHY = "cannot read the ellipsis: the terms around it do not show a repeating pattern"


def _layer_node(node: object) -> object | None:
    """The first layer label in a term (of a quantity or an activation)."""
    if not isinstance(node, tuple) or not node:
        return None
    if node[0] == "q" and node[3] is not None:
        return node[3]
    if node[0] == "fn" and node[2] is not None:
        return node[2]
    for child in node[1:]:
        if isinstance(child, tuple):
            found = _layer_node(child)
            if found is not None:
                return found
    return None


def _label(node: object) -> str:
    from symbp.check.render import index

    layer = _layer_node(node)
    return "" if layer is None else index(layer)


def moved_layer(layer: object, by: int) -> object:
    """A layer label (``("n", 2)``, ``l``, ``l + 1``) moved by ``by`` layers, kept simple."""
    if by == 0:
        return layer
    if layer[0] == "n":
        return ("n", layer[1] + by)
    if layer[0] in ("+", "-") and layer[2][0] == "n":
        value = layer[2][1] * (1 if layer[0] == "+" else -1) + by
        if value == 0:
            return layer[1]
        return ("+" if value > 0 else "-", layer[1], ("n", abs(value)))
    return ("+" if by > 0 else "-", layer, ("n", abs(by)))


def shifted(node: object, by: int) -> object:
    """The term with every layer label moved by ``by``."""
    if not isinstance(node, tuple) or not node:
        return node
    if node[0] == "q":
        layer = None if node[3] is None else moved_layer(node[3], by)
        return node[:3] + (layer,) + node[4:]
    if node[0] == "fn":
        layer = None if node[2] is None else moved_layer(node[2], by)
        return node[:2] + (layer,) + tuple(shifted(c, by) for c in node[3:])
    return tuple(shifted(c, by) if isinstance(c, tuple) else c for c in node)


def _key(item: tuple[str, object]) -> tuple:
    op, node = item
    return op, _strip(node)


def _strip(node: object) -> object:
    if not isinstance(node, tuple) or not node:
        return node
    if node[0] == "q":
        return node[:3] + (None,) + node[4:]
    if node[0] == "fn":
        return node[:2] + (None,) + tuple(_strip(c) for c in node[3:])
    return tuple(_strip(c) if isinstance(c, tuple) else c for c in node)


def expand(
    items: list[tuple[str, object]], layer_of: Callable[[object], int]
) -> list[tuple[str, object]]:
    """``items`` (operator, term) of a product with one ellipsis term -> the product written out;
    ``layer_of`` gives a term's layer as a number on the network. The pattern is read from the
    terms after the ellipsis, or else from those before it (the product read backwards)."""
    try:
        return _expand(items, layer_of)
    except Unreadable as error:
        try:
            return _reverse(_expand(_reverse(items), layer_of))
        except Unreadable:
            raise error from None


def _reverse(items: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """The product backwards, each operator kept between the same two terms."""
    ops = [op for op, _ in items]
    nodes = [node for _, node in items]
    return [("" if k == 0 else ops[len(items) - k], n) for k, n in enumerate(reversed(nodes))]


def _expand(items, layer_of):
    where = [k for k, (_, n) in enumerate(items) if n[0] == "dots"]
    if len(where) != 1:
        raise Unreadable(_WHY if where else "no ellipsis")
    pos = items[where[0]][1][1]
    before, after = items[: where[0]], items[where[0] + 1 :]
    if not before or not after:
        raise Unreadable(_WHY, pos)

    def layer(item) -> int | None:
        return None if _layer_node(item[1]) is None else layer_of(item[1])

    for p in range(1, len(after)):
        step = _repeats(after, p, layer)
        if step is None:
            continue
        run = p
        while run < len(after) and _same(after[run], after[run - p], step, layer):
            run += 1
        return _join(before, after, p, step, run, layer, pos)
    raise Unreadable(_WHY, pos)


def _same(item, earlier, step, layer) -> bool:
    la, lb = layer(item), layer(earlier)
    return la is not None and lb is not None and la - lb == step and _key(item) == _key(earlier)


def _repeats(after, p, layer) -> int | None:
    """The layer step between blocks if ``after[p:]`` begins with a copy of ``after[:p]``."""
    if len(after) < p + 1:
        return None
    la, lb = layer(after[p]), layer(after[0])
    if la is None or lb is None or la == lb:
        return None
    step = la - lb
    return step if _same(after[p], after[0], step, layer) else None


def _join(before, after, p, step, run, layer, where):
    base = [layer(after[k]) for k in range(p)]
    # place the last term before the ellipsis on the pattern: position t = block * p + pos
    last = before[-1]
    placed = None
    for pos in range(p):
        if _key(last)[1] != _key(after[pos])[1] or layer(last) is None or base[pos] is None:
            continue
        gap = layer(last) - base[pos]
        if gap % step == 0:
            placed = (gap // step) * p + pos
            break
    if placed is None:
        raise Unreadable(_WHY, where)
    if placed >= run:  # the terms before the ellipsis pass those after: not on this network
        raise Missing("an ellipsis past the last layer")
    out = list(before)
    if placed < 0:
        for t in range(placed + 1, 0):
            block, pos = divmod(t, p)
            op, node = after[pos]
            out.append((op, shifted(node, block * step)))
        out += after
    else:
        out += after[placed + 1 :]  # written on both sides: read once
    return out
