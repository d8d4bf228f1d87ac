"""symbp: backpropagation derived, printed, checked and compiled with SymPy.

>>> import symbp
>>> der = symbp.derive(symbp.network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
>>> der.gradient("b2_1")
delta2_1
"""

from symbp.activations import custom_activation, get_activation
from symbp.derive.concrete import Derivation, derive
from symbp.errors import SpecError, SymbpError
from symbp.losses import custom_loss, get_loss
from symbp.model import Network, network

__all__ = [
    "Derivation",
    "Network",
    "SpecError",
    "SymbpError",
    "custom_activation",
    "custom_loss",
    "derive",
    "get_activation",
    "get_loss",
    "network",
]
__version__ = "0.1.0"
