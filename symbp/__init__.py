"""symbp: backpropagation derived, printed, checked and compiled with SymPy.

>>> import symbp
>>> der = symbp.derive(symbp.network([2, 2, 1], "sigmoid", "sigmoid", "bce"))
>>> der.gradient("b2_1")
delta2_1
"""

from symbp.activations import custom_activation, get_activation
from symbp.derive.concrete import Derivation, derive
from symbp.errors import SpecError, SymbpError
from symbp.latex.writeup import install_jupyter_hooks
from symbp.losses import custom_loss, get_loss
from symbp.model import Network, network

# A Derivation shows itself as rendered math in Jupyter. The hook lives with the printers so
# that derive/ never imports latex/ (imports flow one way); attaching it here is the only link.
install_jupyter_hooks()

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
