"""Read one side of an index-form step (the language of a layer's writeup) into a small tree.

The layered checker (:mod:`symbp.check.layered`) reads what symbp's layer writeups print and
what students write for a convolution, a pooling layer or a recurrent layer: array entries with
a layer label and index expressions (``W^{1}_{c,c',p,q}``, ``a^{0}_{c',i + p,j + q}``,
``\\left(W^{1}_{h}\\right)_{j,k}``), ``\\frac{\\partial C}{\\partial ...}``, sums over named
indices (``\\sum_{o,i,j}``, ``\\sum_{\\tau=t}^{T-1}``), Iverson brackets (``[c = o]``,
``[z > 0]``), ``\\tanh``, ``\\sigma``, ``e^{...}``, numbers, products and fractions. Nothing is
evaluated here and nothing is handed to ``sympify``: the tree's nodes are tuples, and names stay
names until :mod:`symbp.check.layered` resolves them against the network's layers.

>>> read_index_side(r"\\sum_{i,j} a^{0}_{c',i + p,j + q} \\delta^{1}_{c,i,j}")[0]
'sum'
>>> read_index_side(r"\\frac{\\partial C}{\\partial b^{1}_{c}}")
('d', ('atom', 'C', '', '', ()), ('atom', 'b', '1', '', (('atom', 'c', '', '', ()),)))
>>> read_index_side(r"x \\frac y")
Traceback (most recent call last):
...
symbp.check.tokens.Unreadable: unreadable at character 8: a \\frac needs {numerator}{denominator}
"""

from __future__ import annotations

import re

import sympy

from symbp.check.tokens import Unreadable

_SKIP = re.compile(r"(\s|\\[,;:! ]|\\quad|\\qquad|\\left(?![a-zA-Z])|\\right(?![a-zA-Z])|"
                   r"\\[bB]ig+[lr]?(?![a-zA-Z])|\\displaystyle|\\limits)+")  # fmt: skip
_LABEL = re.compile(r"\\(?:text|mbox|textrm)\{[^{}]*\}")  # a step's label: not mathematics
_GREEK = ("delta", "Delta", "Theta", "theta", "tau", "sigma", "alpha", "beta", "gamma", "mu",
          "epsilon", "varepsilon", "ell", "eta", "lambda", "phi", "nu", "rho", "omega")  # fmt: skip
_FUNCTIONS = {"tanh": "tanh", "sigma": "sigma", "exp": "exp", "log": "log", "ln": "log"}
_PRODUCT = ("\\cdot", "\\times", "\\odot", "\\circ", "*")
_RELATIONS = (("\\neq", "!="), ("\\ne", "!="), ("\\leq", "<="), ("\\le", "<="), ("\\geq", ">="),
              ("\\ge", ">="), ("=", "="), ("<", "<"), (">", ">"))  # fmt: skip


class _Reader:
    def __init__(self, text: str, plain: frozenset = frozenset()) -> None:
        self.text, self.pos = _LABEL.sub(lambda m: " " * len(m.group(0)), text), 0
        self.plain = plain  # function names read as plain names (batch norm's sigma)

    def sub(self, text: str) -> tuple:
        return read_index_side(text, self.plain)

    def fail(self, why: str):
        raise Unreadable(f"unreadable at character {self.pos}: {why}")

    def skip(self) -> None:
        m = _SKIP.match(self.text, self.pos)
        if m:
            self.pos = m.end()

    def peek(self, token: str) -> bool:
        self.skip()
        if not self.text.startswith(token, self.pos):
            return False
        end = self.pos + len(token)  # \sum must not match \summary
        return not (token[-1].isalpha() and end < len(self.text) and self.text[end].isalpha())

    def take(self, token: str) -> bool:
        if self.peek(token):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: str, why: str) -> None:
        if not self.take(token):
            self.fail(why)

    def group(self, why: str) -> str:
        """The raw text of a ``{...}`` group (or of one character/command without braces)."""
        self.skip()
        if self.take("{"):
            depth, start = 1, self.pos
            while self.pos < len(self.text) and depth:
                depth += {"{": 1, "}": -1}.get(self.text[self.pos], 0)
                self.pos += 1
            if depth:
                self.fail("an unclosed {")
            return self.text[start : self.pos - 1]
        m = re.compile(r"\\[a-zA-Z]+|[A-Za-z0-9]").match(self.text, self.pos)
        if not m:
            self.fail(why)
        self.pos = m.end()
        return m.group(0)

    # expressions -------------------------------------------------------------------------
    def expr(self) -> tuple:
        terms = []
        sign = -1 if self.take("-") else (self.take("+") and 1) or 1
        terms.append(self.term() if sign > 0 else ("neg", self.term()))
        while True:
            if self.take("+"):
                terms.append(self.term())
            elif self.take("-"):
                terms.append(("neg", self.term()))
            else:
                break
        return terms[0] if len(terms) == 1 else ("add", tuple(terms))

    def term(self) -> tuple:
        factors = [self.factor()]
        while True:
            if any(self.take(p) for p in _PRODUCT):
                factors.append(self.factor())
            elif self.take("/"):
                factors = [("div", factors[0] if len(factors) == 1 else ("mul", tuple(factors)),
                            self.factor())]  # fmt: skip
            elif self.starts_factor():
                factors.append(self.factor())
            else:
                break
        return factors[0] if len(factors) == 1 else ("mul", tuple(factors))

    def starts_factor(self) -> bool:
        self.skip()
        rest = self.text[self.pos :]
        if not rest or rest[0] in "+-=)]},&^_<>/" or rest.startswith(("\\right", "\\\\")):
            return False
        if any(rest.startswith(token) for token, _ in _RELATIONS):
            return False
        return not any(rest.startswith(p) for p in _PRODUCT)

    def factor(self) -> tuple:
        base = self.primary()
        if self.take("^"):
            base = ("pow", base, self.sub(self.group("a power needs an exponent")))
        return base

    def primary(self) -> tuple:
        self.skip()
        if self.pos >= len(self.text):
            self.fail("an expression ends too early")
        m = re.compile(r"\d+(\.\d+)?").match(self.text, self.pos)
        if m:
            self.pos = m.end()
            return ("num", m.group(0))
        if self.take("\\frac") or self.take("\\dfrac") or self.take("\\tfrac"):
            return self.fraction()
        if self.take("\\sum"):
            return self.sum()
        if self.take("("):
            inner = self.expr()
            self.expect(")", "a ( is not closed")
            return self.subscripted(("paren", inner))
        if self.take("["):
            return self.iverson()
        if self.take("{"):
            self.pos -= 1
            return self.labelled(self.sub(self.group("a group")))
        if self.take("\\sqrt"):
            return ("pow", self.sub(self.group("a square root needs {its argument}")),
                    ("div", ("num", "1"), ("num", "2")))  # fmt: skip
        for name, function in _FUNCTIONS.items():
            if name in self.plain:
                continue
            if self.take("\\" + name) or (name == "tanh" and self.take("\\operatorname{tanh}")):
                return self.function(function)
        if self.peek("e^") or self.peek("\\exp"):
            self.pos += 1
            self.expect("^", "e needs an exponent")
            return ("func", "exp", self.sub(self.group("e^ needs an exponent")))
        return self.atom()

    def function(self, name: str) -> tuple:
        power = None
        if self.take("^"):
            power = self.sub(self.group("a power needs an exponent"))
        self.skip()
        if self.peek("{") or self.peek("("):
            arg = self.primary()
        else:
            arg = self.factor()
        node = ("func", name, arg[1] if arg[0] == "paren" else arg)
        return ("pow", node, power) if power is not None else node

    def fraction(self) -> tuple:
        self.skip()
        if not self.peek("{"):
            self.fail("a \\frac needs {numerator}{denominator}")
        num, den = self.group("a numerator"), self.group("a denominator")
        if num.lstrip().startswith("\\partial") and den.lstrip().startswith("\\partial"):
            top = self.sub(num.lstrip()[len("\\partial") :])
            return ("d", top, self.sub(den.lstrip()[len("\\partial") :]))
        return ("div", self.sub(num), self.sub(den))

    def sum(self) -> tuple:
        if not self.take("_"):
            self.fail("a sum needs its indices: \\sum_{i,j}")
        below = self.group("a sum's indices")
        above = self.group("a sum's upper limit") if self.take("^") else None
        if "=" in below:
            name, lower = below.split("=", 1)
            if above is None:
                self.fail("a sum from a lower limit needs an upper one")
            limits = ((_name(name), self.sub(lower), self.sub(above)),)
        else:
            limits = tuple((_name(n), None, None) for n in below.split(",") if n.strip())
        body = ("neg", self.term()) if self.take("-") else self.term()  # \sum_i -2 x_i
        return ("sum", limits, body)

    def iverson(self) -> tuple:
        left = self.expr()
        for token, relation in _RELATIONS:
            if self.take(token):
                right = self.expr()
                self.expect("]", "an Iverson bracket [P] is not closed")
                return ("iverson", relation, left, right)
        self.fail("an Iverson bracket needs a relation: [i = j], [z > 0]")

    def atom(self) -> tuple:
        m = re.compile(r"\\(?:mathrm|mathit|operatorname)\{([A-Za-z]+)\}|\\([A-Za-z]+)|([A-Za-z])")
        found = m.match(self.text, self.pos)
        if not found:
            self.fail(f"cannot read {self.text[self.pos : self.pos + 12]!r}")
        name = next(g for g in found.groups() if g)
        if name == "hat":  # \hat{x}: the name hat_x
            self.pos = found.end()
            inner = self.sub(self.group("a \\hat needs {its letter}"))
            if inner[0] != "atom" or inner[4] or inner[2]:
                self.fail("a \\hat is read over a single name: \\hat{x}_i")
            name, found = "hat_" + inner[1], None
        elif found.group(2) and name not in _GREEK and name != "partial":
            self.fail(f"unknown command \\{name}")
        if found is not None:
            self.pos = found.end()
        while self.text.startswith("'", self.pos):
            name, self.pos = name + "'", self.pos + 1
        label, indices = self.atom_scripts()
        return ("atom", name, label, "", indices)

    def labelled(self, node: tuple) -> tuple:
        """``{z^{(i)}}_{t,j}^{1}``: a name with its own label (an lstm gate's pre-activation),
        then its indices and layer; the inner label is kept as the name's ``which``."""
        if node[0] != "atom" or node[4] or not node[2] or not self._indices_follow():
            return node
        outer = self.atom_scripts()
        return ("atom", node[1], outer[0], f"({node[2]})", outer[1])

    def _indices_follow(self) -> bool:
        """A subscript next, or a superscript and then a subscript (``^{1}_{t,j}``)."""
        if self.text.startswith("_", self.pos):
            return True
        if not self.text.startswith("^", self.pos):
            return False
        start = self.pos
        self.pos += 1
        try:
            self.group("a superscript")
            return self.text.startswith("_", self.pos)
        finally:
            self.pos = start

    def atom_scripts(self) -> tuple[str, tuple]:
        sub = sup = None
        for _ in range(2):
            if sub is None and self.text.startswith("_", self.pos):
                self.pos += 1
                sub = self.group("a subscript")
            elif sup is None and self.text.startswith("^", self.pos):
                self.pos += 1
                sup = self.group("a superscript")
        indices = tuple(self.sub(i) for i in _split(sub)) if sub is not None else ()
        return _label(sup), indices

    def subscripted(self, node: tuple) -> tuple:
        """``\\left(W^{1}_{x}\\right)_{j,k}``: a named matrix's entry (and J's)."""
        if not self.text.startswith("_", self.pos):
            return node
        self.pos += 1
        indices = tuple(self.sub(i) for i in _split(self.group("a subscript")))
        inner = node[1]
        if inner[0] != "atom":
            self.fail("only a named matrix such as (W_x) takes a subscript after parentheses")
        if inner[1] == "J":  # a recurrent step's Jacobian (J_t)_{j,k}: J[t, j, k]
            return ("atom", "J", inner[2], "", inner[4] + indices)
        if len(inner[4]) != 1 or not _flat(inner[4][0]):
            self.fail("only a named matrix such as (W_x) takes a subscript after parentheses")
        return ("atom", inner[1], inner[2], _flat(inner[4][0]), indices)


def _split(sub: str) -> list[str]:
    """``c,c',p,q`` -> its indices (commas inside braces do not split)."""
    parts, depth, start = [], 0, 0
    for n, ch in enumerate(sub):
        depth += {"{": 1, "}": -1, "(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(sub[start:n])
            start = n + 1
    parts.append(sub[start:])
    return [p for p in parts if p.strip()]


def _label(sup: str | None) -> str:
    return re.sub(r"[\s{}()]", "", sup or "")


def _name(text: str) -> str:
    name = text.strip().lstrip("\\")
    if not re.fullmatch(r"[A-Za-z]+'*", name):
        raise Unreadable(f"unreadable: a sum's index must be a name, got {text.strip()!r}")
    return name


def _flat(node: tuple) -> str:
    return node[1] if node[0] == "atom" and not node[4] else ""


def arithmetic(tree: tuple, build) -> object:
    """The SymPy value of an arithmetic node (numbers, +, -, products, fractions, powers) with
    ``build`` for its parts, or None for a node the caller resolves (names, sums, derivatives)."""
    kind = tree[0]
    if kind == "num":
        return sympy.Rational(tree[1])
    if kind == "add":
        return sympy.Add(*[build(t) for t in tree[1]])
    if kind == "mul":
        return sympy.Mul(*[build(t) for t in tree[1]])
    if kind == "neg":
        return -build(tree[1])
    if kind == "paren":
        return build(tree[1])
    if kind == "div":
        return build(tree[1]) / build(tree[2])
    if kind == "pow":
        return build(tree[1]) ** build(tree[2])
    return None


def read_index_side(text: str, plain: frozenset = frozenset()) -> tuple:
    """The tree of one side; Unreadable (with where and why) if it is not in the language.
    Function names in ``plain`` (``sigma``) are read as names."""
    reader = _Reader(text, plain)
    tree = reader.expr()
    reader.skip()
    if reader.pos != len(text):
        reader.fail(f"cannot read {text[reader.pos : reader.pos + 12]!r}")
    return tree
