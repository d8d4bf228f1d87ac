"""One step -> a verdict: ``valid`` (and how), ``invalid`` (with a counterexample and a hint), or
``unreadable`` (why, and where).

A step with free indices (``l``, ``j``, ``k``, ...) is checked for every value of them that names
units this network has. Each instance is evaluated at random points (inputs, targets and
parameters; z, a and delta follow from them); if all agree, SymPy tries to prove the difference
zero, first by expanding it, then by writing activations as functions of pre-activations and
simplifying, within a time limit. Agreement without a proof is reported as such, never as one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy

from symbp import notation as names
from symbp.check.evaluate import Reader
from symbp.check.grammar import QUANTITY
from symbp.check.hints import find_hint
from symbp.check.indices import index_roles
from symbp.check.parse import read_side
from symbp.check.products import Matrix, ShapeMismatch, shape_of
from symbp.check.proof import agree, constant_gap, numbers, prove
from symbp.check.render import render
from symbp.check.shorthand import written_out
from symbp.check.split import Step
from symbp.check.tokens import Unreadable
from symbp.check.truth import Missing, Truth
from symbp.limits import TimeUp, time_limit

POINTS = 3
MAX_INSTANCES = 5_000  # bindings of the free indices of one step
STEP_SECONDS = 10.0
CHECKER_ERROR = "checker error (please report): "


@dataclass
class Verdict:
    """The checker's answer for one step (``as_json`` is the ``--json`` record)."""

    source: str
    line: int
    verdict: str  # valid | invalid | unreadable
    method: str = ""
    counterexample: dict | None = None
    hint: str | None = None
    read_as: str = ""

    def as_json(self) -> dict:
        return {
            "source": self.source,
            "line": self.line,
            "verdict": self.verdict,
            "method": self.method,
            "counterexample": self.counterexample,
            "hint": self.hint,
        }


def instances(
    roles: dict[str, str], truth: Truth, notation: str = names.NG.name, from_zero: bool = False
) -> list[dict[str, int]]:
    """Every binding of the free indices to try (those naming missing units are skipped later).

    >>> from symbp.model import network
    >>> len(instances({"l": "layer", "j": "unit"}, Truth.of(network([2, 3, 2]))))
    16
    """
    net = truth.network
    first = 0 if from_zero else names.get_notation(notation).first_unit  # Ng: column 0, bias
    ranges = {"layer": range(0, net.L + 2), "unit": range(first, max(net.sizes) + 1)}
    ranges["example"] = range(1, 2)
    letters = sorted(roles)
    count = 1
    for x in letters:
        count *= len(ranges[roles[x]])
    if count > MAX_INSTANCES:
        raise Unreadable(
            f"{len(letters)} free indices ({', '.join(letters)}) give {count:,} combinations on "
            f"this network, more than the limit of {MAX_INSTANCES:,} per step"
        )
    return [
        dict(zip(letters, vs, strict=True))
        for vs in itertools.product(*(ranges[roles[x]] for x in letters))
    ]


def _show(value, digits: int = 6) -> float | str:
    value = complex(value)
    if abs(value.imag) > 1e-12:
        return str(complex(round(value.real, digits), round(value.imag, digits)))
    return float(f"{value.real:.{digits}g}")


def counterexample(binding, point, left, right, entry, truth, notation) -> dict:
    fwd = truth.forward
    named = {}
    network = set(fwd.z.values()) | set(fwd.a.values()) | set(fwd.delta.values())
    network |= set(fwd.x) | set(fwd.y) | set(fwd.parameters)
    symbols = set().union(*(v.free_symbols for v in (left, right)))
    shown = [*fwd.x, *fwd.y, *fwd.parameters] if symbols & network else []
    for s in shown:
        named[names.latex_name(*names.parse_name(s.name), notation)] = _show(complex(point[s]))
    known = network | set(fwd.parameters)
    for s, v in point.items():
        if s not in known:  # the step's own plain variables (z in sigma'(z) = ...)
            named[s.name] = _show(complex(v))
    out = {"indices": dict(binding), "values": named}
    lv, rv = numbers(left, point), numbers(right, point)
    digits = 6 if _show(lv[entry]) != _show(rv[entry]) else 17  # a tiny gap shows
    out["left"], out["right"] = _show(lv[entry], digits), _show(rv[entry], digits)
    if isinstance(left, Matrix):
        out["entry"] = [entry // left.shape[1] + 1, entry % left.shape[1] + 1]
    return out


def _unreadable(step: Step, why: str, pos: int | None = None, document: str = "") -> Verdict:
    where = ""
    if pos is not None and document:
        line = document.count("\n", 0, pos) + 1
        column = pos - (document.rfind("\n", 0, pos) + 1) + 1
        where = f" (line {line}, column {column})"
    return Verdict(step.source, step.line, "unreadable", why + where)


def check_step(
    step: Step, truth: Truth, notation: str, document: str = "", seconds: float | None = None
) -> Verdict:
    """The verdict for one step (never raises for bad input; a stall ends as ``unreadable``).

    >>> from symbp.check.split import extract_steps
    >>> from symbp.model import network
    >>> truth = Truth.of(network([2, 3, 2]))
    >>> step = extract_steps(r"$$\\nabla_{b^{l}} C = \\delta^{l}$$")[0]
    >>> check_step(step, truth, "wikipedia").method
    'proved symbolically for all 2 index values'
    """
    limit = STEP_SECONDS if seconds is None else min(seconds, STEP_SECONDS)
    try:
        with time_limit(limit):
            return _check(step, truth, notation, document)
    except TimeUp:
        return _unreadable(step, f"took longer than {limit:.3g} s to check")
    except RecursionError:
        return _unreadable(step, "nested too deeply to read")
    except Exception as error:  # noqa: BLE001 - one bad step must not stop the report
        return _unreadable(step, f"{CHECKER_ERROR}{type(error).__name__}: {error}")


def _check(step: Step, truth: Truth, notation: str, document: str) -> Verdict:
    trees = []
    for side in (step.left, step.right):
        try:
            trees.append(read_side(side.text, side.offset))
        except Unreadable as error:
            return _unreadable(step, str(error), error.pos, document)
    trees = written_out(trees, notation)
    loose = _loose_letters(trees)
    if loose:
        why = f"{loose} has no layer index here (write {loose}^{{l}} or {loose}^l_j)"
        return _unreadable(step, why)
    if step.relation in (":=", "\\coloneqq") and _contains(trees[1], trees[0]):
        both = render(trees[0], notation)
        why = f"an assignment ({both} on both sides): an update rule, not an equation"
        return _unreadable(step, why)
    if step.relation == "\\approx":
        return _unreadable(step, "an approximation (\\approx) is not an equation to check")
    read_as = f"{render(trees[0], notation)} = {render(trees[1], notation)}"
    roles = index_roles(trees[1], index_roles(trees[0]))
    checked, proved = 0, True
    try:
        asks_zero = any(op in ("=", "<=") and value == "0" for _, op, value in step.conditions)
        bindings = instances(roles, truth, notation, from_zero=asks_zero)
    except Unreadable as error:
        return _unreadable(step, str(error))
    last = Reader(truth, notation, {}).output_label()  # a condition's L: the output layer
    bindings = [b for b in bindings if _holds(step.conditions, b, last)]
    for binding in bindings:
        reader = Reader(truth, notation, binding)
        try:
            left, right = reader.value(trees[0]), reader.value(trees[1])
        except Missing:
            continue
        except ShapeMismatch as error:
            return Verdict(
                step.source,
                step.line,
                "invalid",
                f"shape mismatch: {error}",
                {"indices": binding},
                find_hint(trees, reader, None, None, truth, notation),
                read_as,
            )
        except Unreadable as error:
            return _unreadable(step, str(error), error.pos or None, document)
        except (TypeError, ValueError, ZeroDivisionError) as error:
            return _unreadable(step, f"cannot evaluate: {type(error).__name__}")
        left, right = _as_vector(trees[0], left, right), _as_vector(trees[1], right, left)
        if isinstance(left, Matrix) != isinstance(right, Matrix) or (
            isinstance(left, Matrix) and left.shape != right.shape
        ):
            shapes = f"the left side is {shape_of(left)}, the right side {shape_of(right)}"
            why = f"shape mismatch: {shapes}"
            return Verdict(
                step.source,
                step.line,
                "invalid",
                why,
                {"indices": binding},
                find_hint(trees, reader, left, None, truth, notation),
                read_as,
            )
        checked += 1
        plain = _plain_symbols(left, right, truth)
        for point in truth.points(POINTS, plain):
            try:
                lv, rv = numbers(left, point), numbers(right, point)
            except Unreadable as error:
                return _unreadable(step, str(error))
            bad = agree(lv, rv)
            if bad is not None:
                example = counterexample(binding, point, left, right, bad, truth, notation)
                hint = find_hint(trees, reader, left, point, truth, notation, right)
                return Verdict(
                    step.source,
                    step.line,
                    "invalid",
                    "the sides differ at a point (counterexample)",
                    example,
                    hint,
                    read_as,
                )
        gap = constant_gap(left, right)
        if gap is not None:
            point = truth.points(1, plain)[0]
            example = counterexample(binding, point, left, right, gap, truth, notation)
            why = "the sides differ by a nonzero constant"
            hint = find_hint(trees, reader, left, point, truth, notation, right)
            return Verdict(step.source, step.line, "invalid", why, example, hint, read_as)
        proved = proved and prove(left, right, truth)
    if not checked:
        return _unreadable(step, "names no unit or layer this network has, for any index values")
    where = ""
    if roles:
        where = f" for all {checked} index values" if checked > 1 else " for the one index value"
    if step.conditions:
        where += " where " + ", ".join(" ".join(c) for c in step.conditions)
    if proved:
        method = f"proved symbolically{where}"
    else:
        method = f"agreed at {POINTS} random points{where} (not a proof)"
    return Verdict(step.source, step.line, "valid", method, None, None, read_as)


def _holds(conditions, binding: dict[str, int], last: int = 0) -> bool:
    """Does the binding satisfy the step's written conditions (``j \\neq 0``; ``L`` is the
    output layer ``last``)? A condition on a letter that is not a free index says nothing."""
    for letter, op, value in conditions:
        if letter not in binding:
            continue
        x, v = binding[letter], last if value == "L" else int(value)
        ok = {"=": x == v, "!=": x != v, ">": x > v, ">=": x >= v, "<": x < v, "<=": x <= v}
        if not ok[op]:
            return False
    return True


def _as_vector(tree: object, value, other):
    """A bare ``(f^l)'`` is the diagonal Jacobian, or its diagonal when the other side of the
    equation is a vector (Wikipedia's current article uses it both ways)."""
    bare = tree[0] == "fn" and tree[3] and tree[4] is None and isinstance(value, Matrix)
    if bare and isinstance(other, Matrix) and other.shape == (value.shape[0], 1):
        if value.is_diagonal():
            return Matrix(value.diagonal()).T
    return value


def _loose_letters(trees: list) -> str | None:
    """A network letter without indices (``\\delta``, ``W``) in a step about the network: in an
    identity such as sigma'(z) = ... a bare z is a variable, beside C it is a missing index."""
    tags = [n[0] for tree in trees for n in _walk(tree)]
    if not {"q", "cost", "grad"} & set(tags):
        return None
    for tree in trees:
        for n in _walk(tree):
            if n[0] == "sym" and n[1] in QUANTITY:
                return n[1]
    return None


def _walk(tree: object):
    if isinstance(tree, tuple) and tree and isinstance(tree[0], str):
        yield tree
    if isinstance(tree, tuple):
        if tree and tree[0] == "grad" and tree[1][0] == "sym":  # Nielsen's \nabla_a C
            tree = tree[:1] + tree[2:]
        for child in tree:
            if isinstance(child, tuple):
                yield from _walk(child)


def _contains(tree: object, part: object) -> bool:
    if tree == part:
        return True
    return isinstance(tree, tuple) and any(_contains(child, part) for child in tree)


def _plain_symbols(left, right, truth: Truth) -> list[sympy.Symbol]:
    known = set(truth.forward.parameters) | set(truth.forward.x) | set(truth.forward.y)
    known |= set(truth.forward.z.values()) | set(truth.forward.a.values())
    known |= set(truth.forward.delta.values())
    free = set()
    for v in (left, right):
        free |= v.free_symbols
    return sorted(free - known, key=sympy.default_sort_key)
