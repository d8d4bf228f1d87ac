"""A matrix-form attention step written per row (``dS_{i,:} = dP_{i,:} (\\operatorname{diag}
(P_{i,:}) - P_{i,:}^T P_{i,:})``, the softmax Jacobian diag(p) - p p^T of row i): judged for
every row i, each as a matrix-form step (:func:`symbp.check.attention_matrix_check.judge_matrix`)
with row i put in; a refuted row names its row index (counted from 1, as the entries are).

>>> from symbp.check.attention_matrix_read import read_matrix
>>> tree = read_matrix(r"dP_{i,:} P_{i,:}^T")
>>> sorted(row_letters(tree)), at_row(tree, "i", 2)[1][0]
(['i'], ('rowat', ('grad', 'P'), 2))
"""

from __future__ import annotations

from symbp.check.attention_read import AXES
from symbp.check.split import Step
from symbp.check.tokens import Unreadable
from symbp.check.verdict import Verdict


def row_letters(tree) -> set[str]:
    """The row letters of every ``P_{i,:}`` in a matrix-form tree."""
    if not isinstance(tree, tuple) or not tree:
        return set()
    if tree[0] == "row":
        return {tree[2]} | row_letters(tree[1])
    found: set[str] = set()
    for part in tree[1:]:
        if isinstance(part, tuple) and part and isinstance(part[0], tuple):
            for item in part:
                found |= row_letters(item)
        else:
            found |= row_letters(part)
    return found


def at_row(tree, letter: str, row: int):
    """The tree with every row ``letter`` of a matrix taken at ``row`` (0-based)."""
    if not isinstance(tree, tuple) or not tree:
        return tree
    if tree[0] == "row" and tree[2] == letter:
        return ("rowat", at_row(tree[1], letter, row), row)
    return tuple(
        tuple(at_row(item, letter, row) for item in part)
        if isinstance(part, tuple) and part and isinstance(part[0], tuple)
        else at_row(part, letter, row)
        for part in tree
    )


def _rows(trees: list, graph) -> int:
    """How many rows the sliced matrices have (they must agree)."""
    sizes = {"T": graph.T, "d": graph.d, "dk": graph.d_k}
    found = set()
    stack = list(trees)
    while stack:
        node = stack.pop()
        if not isinstance(node, tuple) or not node:
            continue
        if node[0] == "row":
            found.add(sizes[AXES[node[1][1]][0]])
        stack += [p for p in node[1:] if isinstance(p, tuple)]
        stack += [q for p in node[1:] if isinstance(p, tuple) for q in p if isinstance(q, tuple)]
    if len(found) != 1:
        raise Unreadable("unreadable: the rows taken are of matrices with different row counts")
    return found.pop()


def judge_rows(step: Step, trees: list, graphs: list, method, judge) -> Verdict | None:
    """The verdict over every row (None for a step without a row slice)."""
    letters = row_letters(trees[0]) | row_letters(trees[1])
    if not letters:
        return None
    if len(letters) > 1 or not row_letters(trees[0]):
        raise Unreadable("unreadable: a per-row step takes one row index, on its left side too")
    (letter,) = letters
    proved = True
    for graph in graphs:
        for row in range(_rows(trees, graph)):
            flags: list[bool] = []
            fixed = [at_row(t, letter, row) for t in trees]
            verdict = judge(step, fixed, [graph], lambda p, flags=flags: flags.append(p) or "")
            if verdict.verdict != "valid":
                if verdict.counterexample is not None:
                    verdict.counterexample["indices"] = {letter: row + 1}
                else:
                    verdict.method += f" (in row {letter} = {row + 1})"
                return verdict
            proved = proved and all(flags)
    return Verdict(step.source, step.line, "valid", method(proved))


__all__ = ["at_row", "judge_rows", "row_letters"]
