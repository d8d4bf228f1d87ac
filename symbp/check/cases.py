"""``\\begin{cases} X & \\text{for } j \\geq 1 \\\\ 0 & \\text{otherwise} \\end{cases}`` -> a tree.

A piecewise value reads as a sum of its rows, each row's value times the Iverson bracket of
its condition and of no earlier row's condition (the first row that holds wins); the
``otherwise`` row takes what no condition covers. Without an ``otherwise`` row a value is 0
where no condition holds.

>>> from symbp.check.grammar import parse_side
>>> parse_side(r"\\begin{cases} x & \\text{if } j = 0 \\\\ 0 & \\text{otherwise}\\end{cases}")[0]
'add'
"""

from __future__ import annotations

from symbp.check.tokens import Unreadable

_RELATIONS = {"=": "=", ">": ">", "<": "<", "\\geq": ">=", "\\ge": ">=", "\\leq": "<="}
_RELATIONS |= {"\\le": "<=", "\\neq": "!=", "\\ne": "!="}
_NOT = {"=": "!=", "!=": "=", ">": "<=", "<=": ">", "<": ">=", ">=": "<"}


def read_cases(parser) -> object:
    """The piecewise value at ``parser`` (its next token is ``\\cases``)."""
    start = parser.take().pos
    rows: list[tuple[object, tuple | None]] = []
    while True:
        value = parser.expr()
        if parser.text() == "&":  # the step splitter blanks these; parse_side may meet one
            parser.take()
        if parser.text() == "\\otherwise":
            parser.take()
            rows.append((value, None))
        else:
            if parser.text() in ("\\if", ","):
                parser.take()
            rows.append((value, _condition(parser, start)))
        if parser.text() == "\\\\":
            parser.take()
        if parser.text() == "\\endcases":
            parser.take()
            break
        if rows[-1][1] is None:
            raise Unreadable("the 'otherwise' row of a cases must be its last", start)
    return _tree(rows)


def _condition(parser, start: int) -> tuple:
    left = parser.expr()
    relation = _RELATIONS.get(parser.text() or "")
    if relation is None:
        raise Unreadable("a row of a cases needs a condition such as j \\geq 1", start)
    parser.take()
    return ("iverson", relation, left, parser.expr())


def _tree(rows: list[tuple[object, tuple | None]]) -> object:
    terms, earlier = [], []
    for value, condition in rows:
        guards = earlier + ([condition] if condition is not None else [])
        terms.append((1, ("prod", (("", value), *(("", g) for g in guards)))))
        if condition is not None:
            earlier.append(("iverson", _NOT[condition[1]], condition[2], condition[3]))
    return ("add", tuple(terms))
