"""Compile a network's derivation into NumPy: matrix-form trainers and a scalar cross-check.

Reads :mod:`symbp.derive` data only (never the LaTeX printers). Entry points:
:func:`trainer_source` (the standalone module as text), :func:`load_trainer` (imported),
:func:`matrix_form` (the checked per-layer templates), :func:`scalar_gradients`.
"""

from symbp.compile.matrix import CompileError, matrix_form
from symbp.compile.module import DTYPES, load_trainer, trainer_source
from symbp.compile.scalar import scalar_gradients

__all__ = [
    "DTYPES",
    "CompileError",
    "load_trainer",
    "matrix_form",
    "scalar_gradients",
    "trainer_source",
]
