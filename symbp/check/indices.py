"""Index expressions: reading them from tokens, and finding the free ones of a statement.

An index is ``("n", 2)``, ``("i", "l")`` or ``("+"|"-", index, index)``; ``L`` always means the
output layer and is never free.

>>> from symbp.check.tokens import tokenize
>>> index_expr(tokenize("l+1"))
('+', ('i', 'l'), ('n', 1))
>>> index_list(tokenize("13"))
[('n', 1), ('n', 3)]
>>> from symbp.check.grammar import parse_side
>>> sorted(index_roles(parse_side(r"\\sum_k w^l_{jk} a^{l-1}_k")).items())
[('j', 'unit'), ('l', 'layer')]
"""

from __future__ import annotations

from symbp.check.tokens import Token, Unreadable


def _round(tokens: list[Token]) -> list[Token]:
    """Ng's newer ``W^{[l]}``: a layer in brackets is a layer in parentheses."""
    swap = {"[": "(", "]": ")"}
    return [Token(t.kind, swap.get(t.text, t.text), t.pos) for t in tokens]


def strip_parens(tokens: list[Token] | None) -> list[Token]:
    tokens = _round(list(tokens or []))
    if len(tokens) >= 2 and tokens[0].text == "(" and tokens[-1].text == ")":
        return tokens[1:-1]
    return tokens


def paren_groups(tokens: list[Token]) -> list[list[Token]]:
    """``(l)(t)`` -> [[l], [t]]; anything else is one group."""
    tokens = _round(tokens)
    if not tokens or tokens[0].text != "(":
        return [tokens]
    groups, current, depth = [], [], 0
    for t in tokens:
        if t.text == "(":
            depth += 1
            if depth == 1:
                continue
        elif t.text == ")":
            depth -= 1
            if depth == 0:
                groups.append(current)
                current = []
                continue
        current.append(t)
    if depth or current:
        return [tokens]
    return groups


def index_expr(tokens: list[Token]) -> object:
    """``l+1``, ``L-1``, ``2``, ``j`` -> an index node (sums and differences of letters/ints)."""
    if not tokens:
        raise Unreadable("empty index", 0)
    node, sign, expect_term = None, 1, True
    for t in tokens:
        if not expect_term and t.text in ("+", "-"):
            sign, expect_term = (1 if t.text == "+" else -1), True
            continue
        if not expect_term:
            raise Unreadable(f"cannot read index '{t.text}'", t.pos)
        if t.kind == "num" and t.text.isdigit():
            term = ("n", int(t.text))
        elif t.kind == "char" and t.text.isalpha():
            term = ("i", t.text)
        else:
            raise Unreadable(f"cannot read index '{t.text}'", t.pos)
        node = term if node is None else ("+" if sign > 0 else "-", node, term)
        expect_term = False
    if expect_term:
        raise Unreadable("incomplete index", tokens[-1].pos)
    return node


def index_list(tokens: list[Token]) -> list[object]:
    """Unit subscripts: ``jk``, ``j,k``, ``13``, ``i,j+1`` -> one index node per unit."""
    if any(t.text == "," for t in tokens):
        parts, current = [], []
        for t in tokens:
            if t.text == ",":
                parts.append(current)
                current = []
            else:
                current.append(t)
        return [index_expr(p) for p in parts + [current]]
    if any(t.text in ("+", "-") for t in tokens):
        return [index_expr(tokens)]
    out = []
    for t in tokens:
        if t.kind == "num" and t.text.isdigit():
            out += [("n", int(c)) for c in t.text]
        elif t.kind == "char" and t.text.isalpha():
            out.append(("i", t.text))
        else:
            raise Unreadable(f"cannot read unit index '{t.text}'", t.pos)
    return out


def index_roles(node: object, roles: dict[str, str] | None = None) -> dict[str, str]:
    """Free index letters of a syntax tree and what they number: layer, unit or example."""
    roles = {} if roles is None else roles
    bound: set[str] = set()

    def letters(index: object, role: str) -> None:
        if index is None:
            return
        if index[0] == "i":
            if index[1] != "L":
                roles.setdefault(index[1], role)
        elif index[0] in ("+", "-"):
            letters(index[1], role)
            letters(index[2], role)

    def walk(n: object) -> None:
        if not isinstance(n, tuple) or not n:
            return
        tag = n[0]
        if tag == "q":
            letters(n[3], "layer")
            for u in n[4]:
                letters(u, "unit")
            letters(n[5], "example")
            return
        if tag == "fn":
            letters(n[2], "layer")
        if tag == "size":
            letters(n[1], "layer")
            return
        if tag == "index":
            letters(n[1], "unit")
            return
        if tag == "cost":
            letters(n[2], "example")
            return
        if tag == "sum":
            bound.add(n[1])
        for child in n[1:]:
            if isinstance(child, tuple):
                if child and isinstance(child[0], tuple):
                    for c in child:
                        walk(c[1] if len(c) == 2 and isinstance(c[0], (str, int)) else c)
                else:
                    walk(child)

    walk(node)
    for b in bound:
        roles.pop(b, None)
    return roles
