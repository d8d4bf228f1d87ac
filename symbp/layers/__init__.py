"""Layer kinds (one file each) and the ``--net`` spec grammar; see :mod:`symbp.layers.base`."""

from symbp.layers.base import Equations, LayerData, LayerKind, Shape, shape_text
from symbp.layers.spec import LAYERS, parse_net, parse_shape

__all__ = [
    "LAYERS",
    "Equations",
    "LayerData",
    "LayerKind",
    "Shape",
    "parse_net",
    "parse_shape",
    "shape_text",
]
