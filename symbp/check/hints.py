"""Hints for an invalid step: which usual mistake turns the correct answer into the one written.

Each candidate repairs the written right side in one way (add or drop a transpose, swap two
indices, shift one layer index, flip the sign, put back 1/m, put back or take out the activation
derivative) and is evaluated at a random point; the first repair that makes the step agree with
its left side names the mistake.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

from symbp.check.ellipsis import moved_layer
from symbp.check.evaluate import Reader
from symbp.check.products import Matrix, ShapeMismatch
from symbp.check.proof import agree, numbers
from symbp.check.render import index, render
from symbp.check.tokens import Unreadable
from symbp.check.truth import Missing, Truth
from symbp.notation import get_notation


def _nodes(tree: object, path: tuple = ()) -> Iterator[tuple[tuple, object]]:
    yield path, tree
    if not isinstance(tree, tuple):
        return
    if tree[0] == "q":
        for i in (3, 5):
            if tree[i] is not None:
                yield from _index_nodes(tree[i])
        for u in tree[4]:
            yield from _index_nodes(u)
        return
    for i, child in enumerate(tree):
        if isinstance(child, tuple) and child and isinstance(child[0], str) and i > 0:
            yield from _nodes(child, path + (i,))
        elif isinstance(child, tuple) and child and isinstance(child[0], tuple):
            for k, item in enumerate(child):
                if len(item) == 2 and isinstance(item[1], tuple) and isinstance(item[1][0], str):
                    yield from _nodes(item[1], path + (i, k, 1))


def _index_nodes(index: object) -> Iterator[tuple[tuple, object]]:
    yield (), index
    if index[0] in ("+", "-"):
        yield from _index_nodes(index[1])
        yield from _index_nodes(index[2])


def _replace(tree: object, path: tuple, new: object) -> object:
    if not path:
        return new
    head, rest = path[0], path[1:]
    items = list(tree)
    items[head] = _replace(items[head], rest, new)
    return tuple(items)


def repairs(tree: object, notation: str) -> Iterator[tuple[str, object]]:
    """(what was wrong, the repaired tree) for every one-place repair of ``tree``.

    >>> from symbp.check.grammar import parse_side
    >>> whys = [why for why, _ in repairs(parse_side(r"(W^{l})^T x"), "wikipedia")]
    >>> whys[0], whys[-1]
    ('a transpose too many on W^{l}', 'sign error')
    """
    shift_note = get_notation(notation).shift_note
    for path, node in _nodes(tree):
        if node[0] == "T" and node[1][0] == "q":
            yield (
                f"a transpose too many on {render(node[1], notation)}",
                _replace(tree, path, node[1]),
            )
        if node[0] != "q":
            continue
        _, kind, letter, layer, units, example = node
        if not units and kind != "target":
            yield (
                f"missing transpose: write ({render(node, notation)})^T",
                _replace(tree, path, ("T", node)),
            )
        if kind == "weight" and len(units) == 2:
            swapped = node[:4] + ((units[1], units[0]),) + node[5:]
            pair = f"{index(units[0])} and {index(units[1])}"
            yield (
                f"swapped indices {pair} of {render(node, notation)}",
                _replace(tree, path, swapped),
            )
        if layer is not None:
            for by in (1, -1):
                moved = node[:3] + (moved_layer(layer, by),) + node[4:]
                was, should = render(node, notation), render(moved, notation)
                what = f"off-by-one layer index: {was} should be {should}"
                yield what + shift_note, _replace(tree, path, moved)
    letters = sorted({n[1] for _, n in _nodes(tree) if n[0] == "i" and n[1] != "L"})
    for a, b in itertools.combinations(letters, 2):
        yield f"swapped indices {a} and {b}", _rename(tree, {a: b, b: a})
    yield "sign error", ("neg", tree)


def _rename(tree: object, mapping: dict[str, str]) -> object:
    if not isinstance(tree, tuple):
        return tree
    if len(tree) == 2 and tree[0] == "i" and tree[1] in mapping:
        return ("i", mapping[tree[1]])
    return tuple(_rename(child, mapping) for child in tree)


def _left_quantity(tree: object) -> tuple | None:
    for _, node in _nodes(tree):
        if node[0] == "q" and node[1] in ("delta", "pre") and node[3] is not None:
            return node
    return None


def _agrees(value, target, points) -> bool:
    """Agreement at every point (a repair that fits one point by chance names no mistake)."""
    try:
        return all(agree(numbers(value, p), numbers(target, p)) is None for p in points)
    except (Unreadable, TypeError, ValueError):
        return False


def _times(value, factor, power: int):
    if isinstance(value, Matrix) and isinstance(factor, Matrix):
        if factor.shape != value.shape:
            return None
        return value.multiply_elementwise(factor.applyfunc(lambda e: e**power))
    if isinstance(value, Matrix) or isinstance(factor, Matrix):
        return None
    return value * factor**power


def find_hint(trees, reader: Reader, left, point, truth: Truth, notation: str, right=None):
    """Name the usual mistake that explains an invalid step, or None."""
    try:
        if left is None:
            left = reader.value(trees[0])
    except (ShapeMismatch, Missing, Unreadable):
        return None
    if point is None:
        point = truth.point(random.Random(0), [])
    second = truth.point(random.Random(99), [])
    point = [point, second | {s: v for s, v in point.items() if s not in second}]
    for why, repaired in repairs(trees[1], notation):
        try:
            value = reader.value(repaired)
        except (ShapeMismatch, Missing, Unreadable, TypeError, ValueError):
            continue
        if _agrees(value, left, point):
            return why
    if right is None:
        return None
    net = truth.network
    if net.examples > 1 and _agrees(right / net.examples, left, point):
        return f"missing 1/m (m = {net.examples} examples)"
    if net.examples > 1:  # 1/m missing on one term only (beside a correct lambda/m term)
        for path, node in _nodes(trees[1]):
            if node[0] != "add":
                continue
            for k, (sign, term) in enumerate(node[1]):
                terms = list(node[1])
                terms[k] = (sign, ("frac", term, ("param", "m")))
                try:
                    value = reader.value(_replace(trees[1], path, ("add", tuple(terms))))
                except (ShapeMismatch, Missing, Unreadable, TypeError, ValueError):
                    continue
                if _agrees(value, left, point):
                    return f"missing 1/m (m = {net.examples} examples)"
    if net.l2:
        for _, node in _nodes(trees[0]):
            if node[0] == "q" and node[1] == "weight" and node[4]:
                try:
                    weight = reader.value(node)
                except (Missing, Unreadable):
                    continue
                if _agrees(right + net.l2 / net.examples * weight, left, point):
                    return f"missing the L2 term \\frac{{\\lambda}}{{m}}{render(node, notation)}"
    q = _left_quantity(trees[0])
    if q is None:
        return None
    fprime = ("fn", "f", q[3], True, ("q", "pre", "z", q[3], q[4], None))
    try:
        slope = reader.value(fprime)
    except (ShapeMismatch, Missing, Unreadable):
        return None
    shown = render(fprime, notation)
    with_slope, without = _times(right, slope, 1), _times(right, slope, -1)
    if with_slope is not None and _agrees(with_slope, left, point):
        return f"missing activation derivative {shown}"
    if without is not None and _agrees(without, left, point):
        if net.loss.name in ("binary_cross_entropy", "categorical_cross_entropy"):
            return (
                f"this is the squared-error delta^L: with {net.loss.name} the factor {shown} "
                "cancels, delta^L = a^L - y"
            )
        return f"an activation derivative {shown} too many"
    return None
