"""Nielsen's index-free shorthands (his eqs. 31 and 32), written out with their indices.

Nielsen writes ``\\frac{\\partial C}{\\partial b} = \\delta`` "where it is understood that delta
is being evaluated at the same neuron as the bias b", and ``\\frac{\\partial C}{\\partial w} =
a_{\\rm in} \\delta_{\\rm out}`` with a_in the activation of the neuron input to the weight w and
delta_out the error of the neuron output from it. With ``--notation nielsen`` a step whose left
side is the derivative of the cost by a bare b or w reads b, w, delta as b^l_j, w^l_{jk},
delta^l_j, a_in/delta_in as unit k of layer l-1 and a_out/delta_out as unit j of layer l.

>>> from symbp.check.grammar import parse_side
>>> left, right = parse_side(r"\\frac{\\partial C}{\\partial w}"), parse_side(r"a_{\\rm in}")
>>> written_out([left, right], "nielsen")[1]
('q', 'act', 'a', ('-', ('i', 'l'), ('n', 1)), (('i', 'k'),), None)
"""

from __future__ import annotations

from symbp.notation import get_notation

_LAYER, _BELOW = ("i", "l"), ("-", ("i", "l"), ("n", 1))
_J, _K = ("i", "j"), ("i", "k")
_BARE = {
    "b": ("q", "bias", "b", _LAYER, (_J,), None),
    "w": ("q", "weight", "w", _LAYER, (_J, _K), None),
    "\\delta": ("q", "delta", "\\delta", _LAYER, (_J,), None),
}


def written_out(trees: list, notation: str) -> list:
    """``trees`` with Nielsen's shorthands written out, where the step is one (else as given)."""
    left = trees[0]
    if not get_notation(notation).shorthand_gradients:
        return trees
    if not (left[0] == "d" and left[1][0] == "cost"):
        return trees
    if left[2] not in (("sym", "b"), ("sym", "w")):
        return trees
    return [_rewrite(tree) for tree in trees]


def _rewrite(node: object) -> object:
    if not isinstance(node, tuple):
        return node
    if len(node) == 2 and node[0] == "sym" and node[1] in _BARE:
        return _BARE[node[1]]
    if node and node[0] == "port":
        _, kind, letter, side = node
        layer, unit = (_BELOW, _K) if side == "in" else (_LAYER, _J)
        return ("q", kind, letter, layer, (unit,), None)
    return tuple(_rewrite(part) for part in node)
