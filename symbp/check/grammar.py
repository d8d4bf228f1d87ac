"""The notation pre-pass: tokens of one side of an equation -> a small syntax tree.

This is where the sources' notation is read: indexed names in either TeX order (``w^l_{jk}``,
``w_{jk}^{l}``, ``\\Theta^{(l)}_{ij}``), transposes (``^T``, ``^{(l)T}``), primes (``\\sigma'``,
``(f^{l})'``), partial derivatives, gradients, elementwise products and sums. Nodes are tuples
whose first item names them; :mod:`symbp.check.evaluate` gives them values and
:mod:`symbp.check.render` prints them back.

>>> parse_side(r"\\frac{\\partial C}{\\partial w^l_{jk}}")
('d', ('cost', 'C', None), ('q', 'weight', 'w', ('i', 'l'), (('i', 'j'), ('i', 'k')), None))
>>> parse_side(r"(W^{l})^T \\delta^{l}")[0]
'prod'
"""

from __future__ import annotations

from sympy import Rational

from symbp.activations import ACTIVATIONS, get_activation
from symbp.check.cases import read_cases
from symbp.check.entries import jacobian_entry
from symbp.check.indices import index_expr, index_list, paren_groups, strip_parens
from symbp.check.tokens import Token, Unreadable, tokenize

QUANTITY = {
    "w": "weight",
    "W": "weight",
    "\\Theta": "weight",
    "b": "bias",
    "a": "act",
    "z": "pre",
    "\\delta": "delta",
    "x": "input",
    "y": "target",
    "\\Delta": "accum",  # Ng's accumulator: the sum over the m examples of the gradient
    "D": "meangrad",  # Ng's D: the gradient of J (with the L2 term)
}
FUNCTIONS = ("\\sigma", "g", "f", "\\Sigma", "\\phi")
COSTS = ("C", "J", "E", "L")
ELEMENTARY = {"\\sinh", "\\cosh", "\\sin", "\\cos", "\\tan", "\\coth", "sech", "csch"}
COMPARISONS = {"=": "=", ">": ">", "<": "<", "\\geq": ">=", "\\ge": ">=", "\\leq": "<="}
COMPARISONS |= {"\\le": "<=", "\\neq": "!=", "\\ne": "!="}
PRODUCT_OPS = {"\\cdot": "cdot", "\\times": "cdot", "*": "cdot", "\\circ": "circ"}
PRODUCT_OPS |= {"\\odot": "circ", ".*": "circ", "/": "/"}
NAMED_ACTIVATIONS = {  # \\tanh -> tanh, ReLU (from \\operatorname{ReLU}) -> relu, ...
    get_activation(name).latex.removeprefix("\\operatorname{").rstrip("}"): name
    for name in ACTIVATIONS.choices()
    if name != "sigmoid"
}
NAMED_ACTIVATIONS["\\tanh"] = NAMED_ACTIVATIONS.pop("\\tanh", "tanh")
ELLIPSES = ("\\cdots", "\\ldots", "\\vdots", "\\dots", "\\ddots")
_STOP = {
    "+",
    "-",
    ")",
    "]",
    "}",
    "=",
    ",",
    "&",
    "\\\\",
    ";",
    "\\endmatrix",
    *COMPARISONS,
    "\\if",
    "\\otherwise",
    "\\endcases",
}


def _from_one(relation: str, rest: list[str]) -> bool:
    """``\\ne 0``, ``\\geq 1``, ``> 0`` after a sum's last letter: that index starts at 1.

    >>> _from_one("\\geq", ["1"]), _from_one("\\geq", ["2"])
    (True, False)
    """
    bound = {"\\ne": "0", "\\neq": "0", "\\geq": "1", "\\ge": "1", ">": "0"}.get(relation)
    return bound is not None and rest == [bound]


class _Parser:
    def __init__(self, tokens: list[Token], end: int, bound: list[str] | None = None) -> None:
        self.toks, self.i, self.end, self.norm_depth = tokens, 0, end, 0
        self.bound = [] if bound is None else bound  # letters of the sums around this point
        self.offset = 0  # of the side in the document, for positions kept in the tree

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def text(self, k: int = 0) -> str | None:
        tok = self.peek(k)
        return None if tok is None else tok.text

    def pos(self) -> int:
        tok = self.peek()
        return tok.pos if tok is not None else self.end

    def take(self, expected: str | None = None) -> Token:
        tok = self.peek()
        if tok is None or (expected is not None and tok.text != expected):
            want = f"'{expected}'" if expected else "more input"
            raise Unreadable(f"expected {want}", self.pos())
        self.i += 1
        return tok

    def group_tokens(self) -> list[Token]:
        """One TeX argument: the tokens of ``{...}`` or a single token."""
        tok = self.take()
        if tok.kind == "num" and len(tok.text) > 1 and tok.text.isdigit():
            # NOTE: TeX reads \frac12 as \frac{1}{2}: an unbraced argument is one character.
            self.i -= 1
            self.toks[self.i] = Token("num", tok.text[1:], tok.pos + 1)
            return [Token("num", tok.text[0], tok.pos)]
        if tok.text != "{":
            return [tok]
        depth, start = 1, self.i
        while depth:
            t = self.take()
            depth += {"{": 1, "}": -1}.get(t.text, 0)
        return self.toks[start : self.i - 1]

    def sub(self, tokens: list[Token]) -> object:
        parser = _Parser(tokens, tokens[-1].pos + 1 if tokens else self.pos(), self.bound)
        parser.offset = self.offset
        node = parser.expr()
        if parser.peek() is not None:
            raise Unreadable(f"unexpected '{parser.text()}'", parser.pos())
        return node

    # expressions ---------------------------------------------------------------------------
    def expr(self) -> object:
        terms = []
        sign = 1
        if self.text() in ("+", "-"):
            sign = -1 if self.take().text == "-" else 1
        terms.append((sign, self.product()))
        while self.text() in ("+", "-"):
            sign = -1 if self.take().text == "-" else 1
            terms.append((sign, self.product()))
        if len(terms) == 1 and sign == 1:
            return terms[0][1]
        return ("add", tuple(terms))

    def product(self) -> object:
        items = [("", self.factor())]
        while True:
            tok = self.peek()
            if tok is None or tok.text in _STOP or (tok.text == "\\|" and self.norm_depth):
                break
            if tok.text in PRODUCT_OPS:
                self.take()
                items.append((PRODUCT_OPS[tok.text], self.factor()))
            else:
                items.append(("", self.factor()))
            if items[-1][1][0] == "dop":
                op, dop = items.pop()
                operand = self.product()
                items.append((op, ("d", operand, dop[1])))
                break
        if items[0][1][0] == "dop":
            rest = tuple(items[1:])
            operand = (
                self.product() if not rest else rest[0][1] if len(rest) == 1 else ("prod", rest)
            )
            return ("d", operand, items[0][1][1])
        return items[0][1] if len(items) == 1 else ("prod", tuple(items))

    def factor(self) -> object:
        if self.text() == "-":
            self.take()
            return ("neg", self.factor())
        node = self.primary()
        while self.text() == "^":
            self.take()
            sup = self.group_tokens()
            if [t.text for t in sup] in (["T"], ["\\top"], ["\\intercal"]):
                node = ("T", node)
            else:
                node = ("pow", node, self.sub(sup))
        return node

    def primary(self) -> object:
        tok = self.peek()
        if tok is None:
            raise Unreadable("expected a term", self.pos())
        t = tok.text
        if tok.kind == "num":
            self.take()
            return ("num", Rational(t))
        if t in ("(", "["):
            return self.parenthesised()
        if t == "{":
            return self.sub(self.group_tokens())
        if t == "\\|":
            self.take()
            self.norm_depth += 1
            inner = self.expr()
            self.norm_depth -= 1
            self.take("\\|")
            if self.text() == "_" and [x.text for x in self.toks[self.i + 1 : self.i + 2]] == ["2"]:
                self.i += 2  # the Euclidean norm \|v\|_2
            return ("norm", inner)
        if t in ("\\frac", "\\dfrac", "\\tfrac"):
            return self.fraction()
        if t == "\\matrix":
            return self.stack()
        if t == "\\cases":
            return read_cases(self)
        if t == "\\partial" and "/" in [x.text for x in self.toks[self.i :]]:
            return self.slashed_derivative()
        if t in ("\\max", "\\min"):
            self.take()
            self.take("(")
            first = self.expr()
            self.take(",")
            second = self.expr()
            self.take(")")
            return ("max" if t == "\\max" else "min", first, second)
        if t in ELEMENTARY and (tok.kind == "name" or t.startswith("\\")):
            return self.elementary()
        if t == "\\sqrt":
            self.take()
            return ("pow", self.sub(self.group_tokens()), ("num", Rational(1, 2)))
        if t == "\\sum":
            return self.summation()
        if t in ("\\log", "\\ln", "\\exp"):
            self.take()
            if self.text() == "_":
                raise Unreadable("only the natural logarithm is supported", tok.pos)
            return ("exp" if t == "\\exp" else "log", self.argument())
        if t in ("e", "\\pi") and self.text(1) != "^" or t == "\\pi":
            self.take()
            return ("const", t.lstrip("\\"))
        if t == "e" and self.text(1) == "^":
            self.take()
            self.take("^")
            return ("exp", self.sub(self.group_tokens()))
        if t in FUNCTIONS:
            return self.function()
        if t in NAMED_ACTIVATIONS and (tok.kind == "name" or t == "\\tanh"):
            return self.named_activation()
        if t == "\\nabla":
            self.take()
            self.take("_")
            wrt = self.sub(self.group_tokens())
            return ("grad", wrt, self.factor())
        if tok.kind == "name" and t == "diag":
            self.take()
            return ("diag", self.argument())
        if t in ELLIPSES:
            self.take()
            return ("dots", tok.pos + self.offset)
        if t == "\\partial" or t == "d" and self.text(1) in ("C", "J"):
            raise Unreadable(
                "a derivative must be written as \\frac{\\partial ..}{\\partial ..}", tok.pos
            )
        if t in QUANTITY:
            return self.quantity()
        if t == "h" and self.text(1) == "_":
            return self.hypothesis()
        if t in COSTS and tok.kind == "char":
            return self.cost()
        if t == "R" and self.text(1) != "(":
            self.take()
            return ("reg",)
        if t == "n" and self.text(1) != "_" and t not in self.bound:
            self.take()
            return ("param", "n")  # Nielsen's number of training examples
        if t == "\\lambda" or t == "m":
            self.take()
            return ("param", t.lstrip("\\"))
        if t in ("K", "s") or t == "n" and self.text(1) == "_":
            return self.size()
        if tok.kind == "char" and t.isalpha() or tok.kind == "cmd" and t[1:].isalpha():
            self.take()
            if self.text() == "(" and t not in self.bound:
                raise Unreadable(f"unknown function {t.lstrip(chr(92))}", tok.pos)
            if tok.kind == "cmd" and t not in _GREEK:
                raise Unreadable(f"unknown command {t}", tok.pos)
            return ("sym", t)
        raise Unreadable(f"cannot read '{t}' here", tok.pos)

    def parenthesised(self) -> object:
        close = ")" if self.take().text == "(" else "]"
        saved, self.norm_depth = self.norm_depth, 0
        inner = self.expr()
        self.norm_depth = saved
        if close == "]" and self.text() in COMPARISONS:  # Iverson's [i = j], [z > 0]
            relation = COMPARISONS[self.take().text]
            other = self.expr()
            self.take(close)
            return ("iverson", relation, inner, other)
        self.take(close)
        if inner[0] == "fn" and inner[4] is None and self.text() == "'":
            self.take()
            inner = ("fn", inner[1], inner[2], True, None)
            if self.text() == "(" and not self.transposed_group():
                inner = inner[:4] + (self.argument(),)
        return inner

    def transposed_group(self) -> bool:
        """Is the parenthesised group here followed by a superscript (``(W^{l})^T``), so that it
        is a factor of a product, not the argument of the function before it?"""
        depth = 0
        for k in range(self.i, len(self.toks)):
            depth += {"(": 1, ")": -1}.get(self.toks[k].text, 0)
            if depth == 0:
                return k + 1 < len(self.toks) and self.toks[k + 1].text == "^"
        return False

    def argument(self) -> object:
        if self.text() == "{":  # SymPy prints \tanh^{2}{\left(z \right)}
            return self.sub(self.group_tokens())
        if self.text() in ("(", "["):
            close = ")" if self.take().text == "(" else "]"
            inner = self.expr()
            self.take(close)
            return inner
        return self.factor()

    def fraction(self) -> object:
        self.take()
        num, den = self.group_tokens(), self.group_tokens()
        marks = ("\\partial", "d")
        if den and den[0].text in marks and len(den) > 1 and (num and num[0].text == den[0].text):
            wrt = self.sub(den[1:])
            return ("dop", wrt) if len(num) == 1 else ("d", self.sub(num[1:]), wrt)
        return ("frac", self.sub(num), self.sub(den))

    def summation(self) -> object:
        start = self.take().pos
        var = lo = hi = None
        while self.text() in ("_", "^"):
            if self.take().text == "_":
                lower = self.group_tokens()
                if len(lower) > 2 and lower[1].text == "," and not lo and hi is None:
                    return self.multi_sum(lower, start)
                if not lower or not lower[0].text.isalpha() or lower[0].kind != "char":
                    raise Unreadable("a sum needs one letter as its index", start)
                var = lower[0].text
                if var in QUANTITY:
                    raise Unreadable(f"a sum over {var} (over examples?) cannot be checked", start)
                if len(lower) > 2 and lower[1].text == "=":
                    lo = index_expr(lower[2:])
                elif len(lower) != 1:
                    raise Unreadable("cannot read the sum's index", start)
            else:
                hi = self.size_or_index(self.group_tokens())
        if var is None:
            raise Unreadable("a sum over examples or without an index cannot be checked", start)
        self.bound.append(var)
        try:
            body = self.product()
        finally:
            self.bound.pop()
        return ("sum", var, lo, hi, body)

    def multi_sum(self, lower: list[Token], start: int) -> object:
        """``\\sum_{l,j,k} ...``: nested sums over every value; ``\\ne 0`` or ``\\geq 1`` on the
        last letter leaves out unit 0 (Ng's bias column)."""
        letters, nonzero = [], False
        for k, t in enumerate(lower):
            if t.text == ",":
                continue
            if t.kind == "char" and t.text.isalpha() and t.text not in QUANTITY:
                letters.append(t.text)
            elif _from_one(t.text, [x.text for x in lower[k + 1 :]]):
                nonzero = True
                break
            else:
                raise Unreadable("cannot read the sum's indices", start)
        self.bound.extend(letters)
        try:
            body = self.product()
        finally:
            del self.bound[-len(letters) :]
        for k, letter in enumerate(reversed(letters)):
            low = ("n", 1) if nonzero and k == 0 else None
            body = ("sum", letter, low, None, body)
        return body

    def size_or_index(self, tokens: list[Token]) -> object:
        if tokens and tokens[0].text in ("K", "s", "m", "n"):
            parser = _Parser(tokens, tokens[-1].pos + 1)
            node = parser.size() if tokens[0].text != "m" else ("param", "m")
            if parser.peek() is not None and tokens[0].text != "m":
                raise Unreadable("cannot read the sum's upper limit", tokens[0].pos)
            return node
        return ("index", index_expr(tokens))

    def size(self) -> object:
        tok = self.take()
        if tok.text == "K":
            return ("size", None)
        if self.text() != "_":
            return ("sym", tok.text)
        self.take()
        return ("size", index_expr(strip_parens(self.group_tokens())))

    def function(self) -> object:
        name = self.take().text
        layer = power = None
        prime = False
        while self.text() == "^":
            self.take()
            sup = self.group_tokens()
            if [t.text for t in sup] in (["'"], ["'", "'"]):
                prime = True
            elif name in ("\\sigma", "\\phi") and [t.kind for t in sup] == ["num"]:
                power = ("num", Rational(sup[0].text))  # \sigma^2(z) is a square
            else:
                layer = index_expr(strip_parens(sup))
        if self.text() == "'":
            self.take()
            prime = True
        arg = self.argument() if self.text() in ("(", "[", "{") else None
        node = ("fn", name, layer, prime, arg)
        return node if power is None else ("pow", node, power)

    def power_and_prime(self) -> tuple[object, bool]:
        """``^2``, ``'``, ``^\\prime`` after a function name, in any order."""
        power, prime = None, False
        while self.text() in ("^", "'"):
            if self.take().text == "'":
                prime = True
                continue
            sup = self.group_tokens()
            if [t.text for t in sup] == ["'"]:
                prime = True
            else:
                power = self.sub(sup)
        return power, prime

    def named_activation(self) -> object:
        """``\\tanh(z)``, ``\\operatorname{ReLU}'(z^l_j)``, ``\\tanh^2(z)``: that activation,
        whatever the layer."""
        tok = self.take()
        power, prime = self.power_and_prime()
        if self.text() not in ("(", "[", "{"):
            raise Unreadable(f"{tok.text} needs an argument in parentheses", tok.pos)
        node = ("act_fn", NAMED_ACTIVATIONS[tok.text], prime, self.argument())
        return node if power is None else ("pow", node, power)

    def elementary(self) -> object:
        """``\\cosh(z)``, ``\\operatorname{sech}^2(z)``: an elementary function, elementwise."""
        tok = self.take()
        power, prime = self.power_and_prime()
        if prime:
            raise Unreadable(f"write the derivative of {tok.text} out", tok.pos)
        node = ("elem", tok.text.lstrip("\\"), self.argument())
        return node if power is None else ("pow", node, power)

    def stack(self) -> object:
        """``\\begin{pmatrix}1\\\\ a^{(l)}\\end{pmatrix}``: entries stacked into a column (or
        rows of a matrix)."""
        self.take()
        rows, row = [], []
        while True:
            row.append(self.expr())
            sep = self.take().text
            if sep == "&":
                continue
            rows.append(tuple(row))
            row = []
            if sep == "\\endmatrix":
                return ("stack", tuple(rows))
            if sep != "\\\\":
                raise Unreadable(f"unexpected '{sep}' in a matrix", self.pos())

    def hypothesis(self) -> object:
        """Ng's ``h_\\Theta(x)`` (the output) and ``h_\\Theta(x)_k`` (one output unit)."""
        self.take()
        self.take("_")
        self.group_tokens()
        self.argument()
        units = ()
        if self.text() == "_":
            self.take()
            units = tuple(index_list(self.group_tokens()))
        return ("q", "act", "a", ("i", "L"), units, None)

    def slashed_derivative(self) -> object:
        """``\\partial C / \\partial b^l_j``."""
        self.take()
        of = self.factor()
        self.take("/")
        self.take("\\partial")
        return ("d", of, self.factor())

    def scripts(self) -> tuple[list[Token] | None, list[Token] | None]:
        sup = sub = None
        while self.text() in ("^", "_"):
            which = self.take().text
            if which == "^" and sup is None:
                sup = self.group_tokens()
            elif which == "_" and sub is None:
                sub = self.group_tokens()
            else:
                break
        return sup, sub

    def quantity(self) -> object:
        tok = self.take()
        kind = QUANTITY[tok.text]
        sup, sub = self.scripts()
        ports = ([("name", "in")], [("name", "out")])
        if kind in ("act", "delta") and not sup and [(t.kind, t.text) for t in sub or []] in ports:
            return ("port", kind, tok.text, sub[0].text)  # Nielsen's a_in, delta_out
        if kind == "delta" and sup is None and sub is not None and len(index_list(sub)) == 2:
            i, j = index_list(sub)  # Kronecker's delta_{ij}
            return ("iverson", "=", ("index", i), ("index", j))
        transposed = False
        if sup and sup[-1].text in ("T", "\\top"):
            transposed, sup = True, sup[:-1]
        layer = example = None
        if sup:
            groups = paren_groups(sup)
            if kind in ("input", "target"):
                example = index_expr(groups[0])
            else:
                layer = index_expr(groups[0])
                if len(groups) > 1:
                    example = index_expr(groups[1])
        if sub is None and sup is None and kind not in ("input", "target"):
            return ("sym", tok.text)
        units = tuple(index_list(sub)) if sub else ()
        if kind == "act" and layer is None and units:
            layer = ("i", "L")  # Nielsen's a_j: "a is the output layer's activation"
        node = ("q", kind, tok.text, layer, units, example)
        if kind not in ("input", "target") and layer is None:
            raise Unreadable(f"{tok.text} needs a layer superscript", tok.pos)
        return ("T", node) if transposed else node

    def cost(self) -> object:
        """``C``, ``J^{(t)}``, ``C_x``, and Nielsen's ``C_0``: the cost without the L2 term."""
        tok = self.take()
        sup, sub = self.scripts()
        if tok.text == "J" and sup and sup[0].text != "(":
            if sub:  # J^{L}_{ij}: its entry, da^L_i/dz^L_j (numerator layout, as J^T grad)
                return jacobian_entry(index_expr(sup), tuple(index_list(sub)), tok.pos)
            return ("fn", "f", index_expr(sup), True, None)  # J^{L}: the Jacobian of layer L
        example = index_expr(strip_parens(sup)) if sup else None
        unregularised = sub is not None and [t.text for t in sub] == ["0"]
        if self.text() == "(":
            self.group_tokens_paren()
        return ("cost", tok.text, example) + ((True,) if unregularised else ())

    def group_tokens_paren(self) -> None:
        depth = 0
        while True:
            t = self.take().text
            depth += {"(": 1, ")": -1}.get(t, 0)
            if depth == 0:
                return


_GREEK = {"\\alpha", "\\beta", "\\gamma", "\\epsilon", "\\eta", "\\mu", "\\theta", "\\tau"}
_GREEK |= {"\\phi", "\\psi", "\\omega", "\\xi", "\\rho", "\\kappa", "\\nu", "\\zeta"}


def parse_side(text: str, offset: int = 0) -> object:
    """One side of an equation -> its syntax tree; ``Unreadable`` (with a position) otherwise."""
    tokens = [t for t in tokenize(text) if t.kind != "prose"]
    if not tokens:
        raise Unreadable("empty side", offset)
    parser = _Parser(tokens, len(text))
    parser.offset = offset
    try:
        node = parser.expr()
    except Unreadable as error:
        error.pos += offset
        raise
    if parser.peek() is not None:
        raise Unreadable(f"unexpected '{parser.text()}'", parser.pos() + offset)
    return node
