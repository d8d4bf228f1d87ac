"""What symbp trains on: a :class:`Dataset` (features ``X`` (n, d), integer class labels (n,),
the class names and, for a sequence data set, the shape each row is flattened from) and
:class:`DataError`, the one error every bad data set raises."""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    shape: tuple[int, ...] | None = None
    """The shape of one example (T x d for a sequence) when a row is not just d features."""

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, rows: np.ndarray) -> Dataset:
        return replace(self, X=self.X[rows], labels=self.labels[rows])
