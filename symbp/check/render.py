"""A syntax tree printed back as LaTeX, so a reader can see what the checker understood.

Indices print as written (``l-1``), layer labels as superscripts, units as subscripts, products
with the operator that was read (implicit, ``\\cdot`` or ``\\circ``).

>>> from symbp.check.grammar import parse_side
>>> render(parse_side(r"((\\Theta^{(l)})^T \\delta^{(l+1)})\\ .*\\ g'(z^{(l)})"))
"((\\\\Theta^{l})^{T} \\\\delta^{l+1}) \\\\circ g'(z^{l})"
>>> render(parse_side(r"\\delta^{(l+1)}_i"), "ng")
'\\\\delta^{(l+1)}_{i}'
"""

from __future__ import annotations

from symbp.notation import DEFAULT, get_notation

_OPS = {"": " ", "cdot": " \\cdot ", "circ": " \\circ ", "/": " / "}


_RELATION = {"!=": "\\ne", ">=": "\\geq", "<=": "\\leq"}


def index(node: object) -> str:
    if node[0] == "n":
        return str(node[1])
    if node[0] == "i":
        return node[1]
    return f"{index(node[1])}{node[0]}{index(node[2])}"


class _Printer:
    def __init__(self, parenthesised: bool) -> None:
        self.parenthesised = parenthesised

    def wrap(self, node: object) -> str:
        text = self.print(node)
        return f"({text})" if node[0] in ("add", "prod", "neg", "frac", "d", "sum") else text

    def print(self, node: object) -> str:
        tag = node[0]
        if tag == "sympy":
            import sympy

            return sympy.latex(node[1])
        if tag == "const":
            return "e" if node[1] == "e" else "\\pi"
        if tag == "num":
            return str(node[1])
        if tag in ("sym", "param"):
            return {"lambda": "\\lambda"}.get(node[1], node[1])
        if tag == "q":
            _, kind, letter, layer, units, example = node
            sup = "" if layer is None else index(layer)
            if example is not None or sup and self.parenthesised:
                sup = f"({sup})" if sup else ""
            if example is not None:
                sup += f"({index(example)})"
            out = letter + (f"^{{{sup}}}" if sup else "")
            if units:
                out += "_{" + ",".join(index(u) for u in units) + "}"
            return out
        if tag == "cost":
            return node[1] + ("" if node[2] is None else f"^{{({index(node[2])})}}")
        if tag == "T":
            inner = node[1]
            plain = inner[0] in ("sym", "num") or inner[0] == "q" and inner[3] is None
            return f"{self.print(inner) if plain else '(' + self.print(inner) + ')'}^{{T}}"
        if tag == "neg":
            return f"-{self.wrap(node[1])}"
        if tag == "add":
            out = ""
            for i, (sign, term) in enumerate(node[1]):
                text = self.print(term) if term[0] != "add" else f"({self.print(term)})"
                out += ("-" if sign < 0 else ("" if i == 0 else "+")) + (" " if i else "") + text
                out += " " if i < len(node[1]) - 1 else ""
            return out.replace("  ", " ").strip()
        if tag == "prod":
            return "".join(_OPS[op] * bool(i) + self.wrap(n) for i, (op, n) in enumerate(node[1]))
        if tag == "frac":
            return f"\\frac{{{self.print(node[1])}}}{{{self.print(node[2])}}}"
        if tag == "pow":
            base = (
                f"({self.print(node[1])})"
                if node[1][0] in ("q", "T", "pow")
                else self.wrap(node[1])
            )
            return f"{base}^{{{self.print(node[2])}}}"
        if tag == "norm":
            return f"\\|{self.print(node[1])}\\|"
        if tag in ("log", "exp"):
            return f"\\{tag}({self.print(node[1])})"
        if tag == "diag":
            return f"\\operatorname{{diag}}({self.print(node[1])})"
        if tag == "size":
            return "K" if node[1] is None else f"s_{{{index(node[1])}}}"
        if tag == "index":
            return index(node[1])
        if tag == "sum":
            _, var, lo, hi, body = node
            low = f"_{{{var}={index(lo)}}}" if lo is not None else f"_{{{var}}}"
            high = f"^{{{self.print(hi)}}}" if hi is not None else ""
            return f"\\sum{low}{high} {self.wrap(body)}"
        if tag == "iverson":
            relation = _RELATION.get(node[1], node[1])
            return f"[{self.print(node[2])} {relation} {self.print(node[3])}]"
        if tag == "reg":
            return "R"
        if tag == "d":
            return f"\\frac{{\\partial {self.wrap(node[1])}}}{{\\partial {self.print(node[2])}}}"
        if tag == "grad":
            return f"\\nabla_{{{self.print(node[1])}}} {self.print(node[2])}"
        if tag == "act_fn":
            from symbp.activations import get_activation

            head = get_activation(node[1]).latex + "'" * node[2]
            return f"{head}({self.print(node[3])})"
        if tag == "fn":
            _, name, layer, prime, arg = node
            head = name + ("" if layer is None else f"^{{{index(layer)}}}")
            head = f"({head})'" if prime and layer is not None else head + "'" * prime
            return head + ("" if arg is None else f"({self.print(arg)})")
        return str(node)


def render(node: object, notation: str = DEFAULT) -> str:
    """LaTeX for a syntax tree of :mod:`symbp.check.grammar`; Ng's layers in parentheses."""
    return _Printer(get_notation(notation).parens).print(node)
