"""What symbp trains on: a :class:`Dataset` (features ``X`` (n, d), integer class labels (n,)
and the class names) and :class:`DataError`, the one error every bad data set raises."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbp.errors import SymbpError


class DataError(SymbpError):
    """Data that cannot be trained on (missing, empty, ragged, non-finite, bad labels)."""


@dataclass(frozen=True)
class Dataset:
    name: str
    X: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, rows: np.ndarray) -> Dataset:
        return Dataset(self.name, self.X[rows], self.labels[rows], self.classes)
