"""A small, safe reader of matrix-form attention steps: ``dV = P^T dA``, ``dS = P \\odot (dP -
\\operatorname{rowsum}(dP \\odot P))``, ``dQ = \\frac{1}{\\sqrt{d_k}} dS K``.

The language: the layer's matrices ``X Q K V S P A`` and ``W_q``/``W^Q``/``W_Q`` (k, v alike),
their gradients ``dV``, ``\\frac{\\partial C}{\\partial V}`` or ``\\nabla_V C``; transposes
``^T``, ``^{T}``, ``^\\top``, ``^\\intercal``; the matrix product (juxtaposition, ``\\cdot``),
the elementwise product ``\\odot``/``\\circ`` (it binds looser than the matrix product), ``+``,
``-``; scalars (numbers, ``d_k``, ``T``, ``d``, ``\\sqrt{...}``, ``\\frac{..}{..}``, ``/``, a
numeric power); ``\\operatorname{rowsum}(M)`` (a T x 1 column), ``\\operatorname{diag}(c)`` of a
column, ``\\mathbf{1}`` (a column of ones, its length read from the product it is in), and a row
``P_{i,:}`` of a matrix or of a gradient (``dP_{i,:}``, ``\\frac{\\partial C}{\\partial S_{i,:}}``).
The reader builds a tree of tuples; nothing is evaluated and nothing reaches ``sympify``.

>>> read_matrix(r"P^\\top \\frac{\\partial L}{\\partial A}")
('mm', (('T', ('mat', 'P')), ('grad', 'A')))
>>> read_matrix(r"P \\circ (dP - \\operatorname{rowsum}(dP \\circ P))")[0]
'had'
>>> read_matrix(r"dS K / \\sqrt{d_k}")
('div', ('mm', (('grad', 'S'), ('mat', 'K'))), ('pow', ('size', 'dk'), ('num', '1/2')))
"""

from __future__ import annotations

import re

from symbp.check.tokens import Unreadable

_TOKEN = re.compile(
    r"\\(?:frac|dfrac|tfrac|sqrt|partial|nabla|odot|circ|cdot|times|top|intercal)(?![A-Za-z])"
    r"|\\(?:operatorname|mathrm|mathbf|mathbb|boldsymbol|mathsf|text)\{[A-Za-z0-9]+\}"
    r"|\d+(?:\.\d+)?|[A-Za-z]|[{}()^_+\-/:,]|\\[A-Za-z]+"
)
_SKIP = re.compile(r"(\s|\\[,;:! ]|\\quad|\\qquad|\\left(?![a-zA-Z])|\\right(?![a-zA-Z])|"
                   r"\\[bB]ig+[lr]?(?![a-zA-Z])|\\displaystyle)+")  # fmt: skip
MATRICES = "XQKVSPA"
COSTS = ("C", "L", "J", "E", "\\ell")
_STOP = {"+", "-", ")", "}", "/", "^", "_", "\\odot", "\\circ"}
_TRANSPOSE = {"T", "\\top", "\\intercal", "\\mathsf{T}"}
_ONES = {"\\mathbf{1}", "\\mathbb{1}", "\\boldsymbol{1}"}


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        m = _SKIP.match(text, pos)
        if m:
            pos = m.end()
            continue
        m = _TOKEN.match(text, pos)
        if not m:
            raise Unreadable(f"unreadable at character {pos}: cannot read {text[pos : pos + 12]!r}")
        out.append(m.group(0))
        pos = m.end()
    return out


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens, self.n = _tokens(text), 0

    def peek(self) -> str | None:
        return self.tokens[self.n] if self.n < len(self.tokens) else None

    def take(self, *tokens: str) -> str | None:
        if self.peek() in tokens:
            self.n += 1
            return self.tokens[self.n - 1]
        return None

    def expect(self, token: str, why: str) -> None:
        if not self.take(token):
            raise Unreadable(f"unreadable: {why}")

    def group(self) -> list[str]:
        """The tokens of a ``{...}`` group, or one token."""
        if not self.take("{"):
            token = self.peek()
            if token is None:
                raise Unreadable("unreadable: an expression ends too early")
            self.n += 1
            return [token]
        depth, start = 1, self.n
        while self.n < len(self.tokens) and depth:
            depth += {"{": 1, "}": -1}.get(self.tokens[self.n], 0)
            self.n += 1
        if depth:
            raise Unreadable("unreadable: an unclosed {")
        return self.tokens[start : self.n - 1]

    def sub(self, tokens: list[str]) -> tuple:
        inner = _Reader("")
        inner.tokens = tokens
        tree = inner.expr()
        if inner.peek() is not None:
            raise Unreadable(f"unreadable: cannot read {' '.join(tokens[inner.n :])!r}")
        return tree

    def expr(self) -> tuple:
        terms = [("neg", self.term()) if self.take("-") else self.term()]
        while (sign := self.take("+", "-")) is not None:
            terms.append(self.term() if sign == "+" else ("neg", self.term()))
        return terms[0] if len(terms) == 1 else ("add", tuple(terms))

    def term(self) -> tuple:
        parts = [self.product()]
        while self.take("\\odot", "\\circ"):
            parts.append(self.product())
        return parts[0] if len(parts) == 1 else ("had", tuple(parts))

    def product(self) -> tuple:
        factors = [self.factor()]
        while True:
            if self.take("\\cdot", "\\times"):
                factors.append(self.factor())
            elif self.take("/"):
                base = factors[0] if len(factors) == 1 else ("mm", tuple(factors))
                factors = [("div", base, self.factor())]
            elif self.peek() is not None and self.peek() not in _STOP:
                factors.append(self.factor())
            else:
                break
        return factors[0] if len(factors) == 1 else ("mm", tuple(factors))

    def factor(self) -> tuple:
        base = self.primary()
        if base[0] in ("mat", "grad") and self.take("_"):  # P_{i,:}: row i of P
            base = ("row", base, row_letter(self.group()))
        while self.take("^"):
            sup = self.group()
            if "".join(sup) in _TRANSPOSE:
                base = ("T", base)
            else:
                base = ("pow", base, _number(sup))
        return base

    def primary(self) -> tuple:
        token = self.peek()
        if token is None:
            raise Unreadable("unreadable: an expression ends too early")
        self.n += 1
        if re.fullmatch(r"\d+(\.\d+)?", token):
            return ("num", token)
        if token in ("\\frac", "\\dfrac", "\\tfrac"):
            return self.fraction()
        if token == "\\sqrt":
            return ("pow", self.sub(self.group()), ("num", "1/2"))
        if token in ("(", "{"):
            inner = self.expr()
            self.expect(")" if token == "(" else "}", f"a {token} is not closed")
            return inner
        if token in _ONES:
            return ("ones",)
        if token == "\\nabla":
            self.expect("_", "\\nabla needs its matrix: \\nabla_V C")
            name = self.name(self.group())
            self.expect_cost()
            return ("grad", name)
        if token in ("\\operatorname{rowsum}", "\\operatorname{diag}", "\\mathrm{diag}",
                     "\\mathrm{rowsum}"):  # fmt: skip
            self.expect("(", f"{token} needs (its argument)")
            inner = self.expr()
            self.expect(")", "a ( is not closed")
            return (token.split("{")[1].rstrip("}"), inner)
        if token == "d" and self.peek() is not None and self.peek() in MATRICES + "W":
            return ("grad", self.name(self.entry()))
        self.n -= 1
        return self.atom()

    def entry(self) -> list[str]:
        """The tokens that name one matrix: ``V``, ``W_q``, ``W^{Q}``."""
        start = self.n
        self.n += 1
        if self.tokens[start] == "W":
            for mark in ("_", "^"):
                if self.peek() == mark and self.tokens[self.n + 1 : self.n + 2] != ["T"]:
                    self.n += 1
                    return ["W", mark, *self.group()]
        return self.tokens[start : self.n]

    def name(self, tokens: list[str]) -> str:
        tokens = [t for t in tokens if t not in "{}"]
        if len(tokens) == 1 and tokens[0] in MATRICES:
            return tokens[0]
        if len(tokens) == 3 and tokens[0] == "W" and tokens[2].lower() in ("q", "k", "v"):
            return "W" + tokens[2].lower()
        raise Unreadable(f"unreadable: {''.join(tokens)} is not a matrix of the attention layer "
                         "(X, Q, K, V, S, P, A, W_q, W_k, W_v)")  # fmt: skip

    def expect_cost(self) -> None:
        if not self.take(*COSTS):
            raise Unreadable("unreadable: \\nabla_M is read of the cost: \\nabla_V C")

    def fraction(self) -> tuple:
        top, bottom = self.group(), self.group()
        if top[:1] == ["\\partial"] and bottom[:1] == ["\\partial"]:
            if len(top) != 2 or top[1] not in COSTS:
                raise Unreadable("unreadable: a derivative of the cost (C, L, J, E) is read")
            if "_" in bottom[2:]:  # \partial S_{i,:}: the gradient's row i
                cut = bottom.index("_", 2)
                return ("row", ("grad", self.name(bottom[1:cut])), row_letter(bottom[cut + 1 :]))
            return ("grad", self.name(bottom[1:]))
        return ("div", self.sub(top), self.sub(bottom))

    def atom(self) -> tuple:
        token = self.tokens[self.n]
        if token == "d" and self.tokens[self.n + 1 : self.n + 2] == ["_"]:
            self.n += 2
            if self.group() != ["k"]:
                raise Unreadable("unreadable: d_k is the one subscripted d")
            return ("size", "dk")
        if token in ("T", "d"):
            self.n += 1
            return ("size", token)
        if token in MATRICES or token == "W":
            return ("mat", self.name(self.entry()))
        raise Unreadable(f"unreadable: {token} is not read in a matrix-form attention step")


def row_letter(tokens: list[str]) -> str:
    """``{i,:}`` or ``{i:}`` (row i; the braces may be kept) -> ``i``."""
    inner = [t for t in tokens if t not in "{}"]
    if len(inner) in (2, 3) and inner[0].isalpha() and len(inner[0]) == 1 and inner[-1] == ":":
        if len(inner) == 2 or inner[1] == ",":
            return inner[0]
    raise Unreadable("unreadable: a matrix's subscript in matrix form is a row, as P_{i,:}")


def _number(tokens: list[str]) -> tuple:
    text = "".join(tokens)
    if not re.fullmatch(r"-?\d+(/\d+)?", text):
        raise Unreadable(f"unreadable: a power must be a number or T (a transpose), got {text!r}")
    return ("num", text)


def read_matrix(text: str) -> tuple:
    """The tree of one matrix-form side; Unreadable (why) if it is not in the language."""
    reader = _Reader(text)
    tree = reader.expr()
    if reader.peek() is not None:
        raise Unreadable(f"unreadable: cannot read {' '.join(reader.tokens[reader.n :])!r}")
    return tree


__all__ = ["read_matrix"]
