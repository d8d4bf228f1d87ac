"""Generated sequence data sets for recurrent and attention networks, each row a flattened
T x d sequence (the trainer reshapes it to ``--input TxD``), seeded and exactly labelled.

- ``first-token``: T = 30 one-hot tokens over a vocabulary of 8; the first token is one of the
  4 class tokens and is the label, the 29 after it are distractors drawn from the whole
  vocabulary (class tokens included). A network must carry the first token over 29 steps.
- ``largest-token``: T = 16 tokens of d = 5 features: a value in [0, 1) (feature 0) and the
  token's class, one-hot over 4 classes (features 1..4). The label is the class of the token
  with the largest value, which self-attention can find by scoring the keys by their values.

>>> data = first_token(seed=0)
>>> data.X.shape, data.shape, data.classes
((1200, 240), (30, 8), ('0', '1', '2', '3'))
>>> bool((data.X.reshape(-1, 30, 8)[:, 0].argmax(axis=1) == data.labels).all())
True
>>> largest_token(seed=0).shape
(16, 5)
"""

from __future__ import annotations

import numpy as np

from symbp.dataset import Dataset

__all__ = ["SEQUENCES", "first_token", "largest_token"]

FIRST_TOKEN = {"rows": 1200, "steps": 30, "vocabulary": 8, "classes": 4}
LARGEST_TOKEN = {"rows": 2000, "steps": 16, "classes": 4}


def _names(classes: int) -> tuple[str, ...]:
    return tuple(map(str, range(classes)))


def first_token(seed: int = 0, **sizes: int) -> Dataset:
    """One-hot token sequences labelled by their first token (``sizes`` overrides
    :data:`FIRST_TOKEN`: rows, steps, vocabulary, classes <= vocabulary)."""
    size = {**FIRST_TOKEN, **sizes}
    n, steps, vocabulary, classes = (size[k] for k in ("rows", "steps", "vocabulary", "classes"))
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, vocabulary, size=(n, steps))
    tokens[:, 0] = rng.integers(0, classes, size=n)
    X = np.eye(vocabulary)[tokens].reshape(n, steps * vocabulary)
    return Dataset("first-token", X, tokens[:, 0].copy(), _names(classes), (steps, vocabulary))


def largest_token(seed: int = 0, **sizes: int) -> Dataset:
    """Tokens (value, one-hot class) labelled by the class of the largest value (``sizes``
    overrides :data:`LARGEST_TOKEN`: rows, steps, classes)."""
    size = {**LARGEST_TOKEN, **sizes}
    n, steps, classes = (size[k] for k in ("rows", "steps", "classes"))
    rng = np.random.default_rng(seed)
    value = rng.exponential(size=(n, steps))
    kind = rng.integers(0, classes, size=(n, steps))
    tokens = np.concatenate([value[:, :, None], np.eye(classes)[kind]], axis=2)
    labels = kind[np.arange(n), value.argmax(axis=1)]
    shape = (steps, 1 + classes)
    return Dataset("largest-token", tokens.reshape(n, -1), labels, _names(classes), shape)


SEQUENCES = {"first-token": first_token, "largest-token": largest_token}
"""The generated sequence data sets by name, each ``(seed) -> Dataset`` with its ``shape``."""
