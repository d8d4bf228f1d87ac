"""Every symbol name symbp uses, in one place: ASCII names for computation (:mod:`.names`), one
:class:`Notation` object per source with what the sources write differently (:mod:`.sources`),
and the LaTeX names those objects give (:mod:`.latex`).

Layers are numbered as in Wikipedia's matrix section: the input is layer 0, ``W^l`` maps layer
l-1 to layer l, the output is layer L. Units are numbered from 1 as in the documents; with Ng's
bias unit, column 0 of a weight matrix holds the bias (``a_0 = 1``). Nielsen and Ng call the
input layer 1 (Ng's ``\\Theta^{(l)}`` maps layer l to l+1): :meth:`Notation.label` and
:meth:`Notation.layer` do that shift, both ways, and nothing else does.

>>> weight_name(2, 1, 3)
'w2_1_3'
>>> latex_name("weight", (2, 1, 3), "ng")
'\\\\Theta^{(2)}_{13}'
>>> get_notation("ng").label(1, "act"), NOTATIONS
(2, ('wikipedia', 'ng', 'nielsen'))
"""

from symbp.errors import SpecError
from symbp.notation.latex import (
    activation_tex,
    generic_layer,
    generic_name,
    latex_name,
    latex_names,
    layer_label,
)
from symbp.notation.names import (
    act_name,
    bias_name,
    delta_name,
    input_name,
    parse_name,
    pre_name,
    symbol,
    target_name,
    weight_name,
)
from symbp.notation.sources import (
    DEFAULT,
    GENERIC_NOTATIONS,
    NG,
    NIELSEN,
    NOTATIONS,
    REGISTRY,
    UFLDL,
    WIKIPEDIA,
    Notation,
    check_generic_notation,
    check_notation,
    get_notation,
)

__all__ = [
    "DEFAULT",
    "GENERIC_NOTATIONS",
    "NG",
    "NIELSEN",
    "NOTATIONS",
    "REGISTRY",
    "UFLDL",
    "WIKIPEDIA",
    "Notation",
    "SpecError",
    "act_name",
    "activation_tex",
    "bias_name",
    "check_generic_notation",
    "check_notation",
    "delta_name",
    "generic_layer",
    "generic_name",
    "get_notation",
    "input_name",
    "latex_name",
    "latex_names",
    "layer_label",
    "parse_name",
    "pre_name",
    "symbol",
    "target_name",
    "weight_name",
]
