r"""The user's own data files for ``symbp train``: CSV (a header row only if it cannot be read
as numbers; the label is the last column or a named one) and NPZ (each array's header checked
before its data is read). Both are read bounded (symbp.limits.MAX_DATA_BYTES and
MAX_DATA_VALUES unless ``force``) and every fault is one :class:`~symbp.dataset.DataError` line.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.csv"
>>> _ = path.write_text("x1,x2,label\n0,1,1\n1,0,0\n")
>>> data = read_csv(path, None)
>>> data.X.tolist(), data.labels.tolist()
([[0.0, 1.0], [1.0, 0.0]], [1, 0])
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
import zlib
from pathlib import Path

import numpy as np

from symbp import limits
from symbp.dataset import DataError, Dataset
from symbp.errors import SymbpError
from symbp.files import read_bounded

_CELL = re.compile(
    r"\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*|\s*[-+]?(nan|inf|infinity)\s*", re.I
)


def _is_number(cell: str) -> bool:
    """An ASCII decimal number (or nan/inf, caught later with their place): not ``1_0``,
    not ``١٢``, not ``1+2j``, which Python's float() reads or half-reads."""
    return _CELL.fullmatch(cell) is not None


def _class_indices(raw: list[str] | np.ndarray, source: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer labels stay as they are (0..K-1, K at most symbp.limits.MAX_CLASSES); other
    labels are names, numbered in sorted order. A number that is not a small whole number
    (1e30, -1, 0.5) is an error, never wrapped or rounded."""
    values = [str(v).strip() for v in raw]
    if any(v == "" for v in values):
        raise DataError(f"{source}: a label is empty")
    if not all(_is_number(v) for v in values):
        classes = tuple(sorted(set(values)))
        if len(classes) > limits.MAX_CLASSES:
            raise DataError(
                f"{source}: {len(classes)} distinct labels, past the limit of "
                f"{limits.MAX_CLASSES} classes (symbp.limits.MAX_CLASSES)"
            )
        index = {name: i for i, name in enumerate(classes)}
        return np.array([index[v] for v in values], dtype=np.int64), classes
    numbers = np.array([float(v) for v in values])
    bad = ~(np.isfinite(numbers) & (numbers == np.round(numbers)) & (numbers >= 0))
    bad |= ~(numbers < limits.MAX_CLASSES)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{source}: labels must be class numbers 0, 1, ..., {limits.MAX_CLASSES - 1} or "
            f"names; row {row + 1} has {values[row]!r}"
        )
    labels = numbers.astype(np.int64)
    return labels, tuple(str(c) for c in range(labels.max() + 1))


def _finite(X: np.ndarray, source: str) -> np.ndarray:
    bad = ~np.isfinite(X)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(f"{source}: NaN or infinite value at row {row + 1}, column {column + 1}")
    return X


def _byte_limit(force: bool) -> int | None:
    return None if force else limits.MAX_DATA_BYTES


def _check_count(count: int, source: str, force: bool) -> None:
    if count > limits.MAX_DATA_VALUES and not force:
        raise DataError(
            f"{source}: {count:,} values, past the limit of {limits.MAX_DATA_VALUES:,} "
            "(symbp.limits.MAX_DATA_VALUES); pass --force to load it anyway"
        )


def read_csv(path: Path, label: str | None, force: bool = False) -> Dataset:
    try:
        text = read_bounded(path, _byte_limit(force), "data file", "; --force reads it").decode(
            "utf-8-sig"
        )
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: cannot read it as CSV text ({error.reason})") from None
    except SymbpError as error:
        raise DataError(str(error)) from None
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if row and any(c.strip() for c in row)]
    except csv.Error as error:
        raise DataError(f"{path}: cannot read it as CSV text ({error})") from None
    if not rows:
        raise DataError(f"{path}: the file is empty")
    header = None
    # a header only if none of its feature cells can be read as a number (a BOM is no reason;
    # a row of numbers and one 1+2j is data, and the 1+2j an error below)
    if not any(_is_number(cell) for cell in rows[0][:-1]):
        header, rows = [cell.strip() for cell in rows[0]], rows[1:]
    if not rows:
        raise DataError(f"{path}: the file has a header but no data rows")
    width = len(header or rows[0])
    if width < 2:
        raise DataError(f"{path}: needs at least one feature column and a label column")
    for number, row in enumerate(rows, start=2 if header else 1):
        if len(row) != width:
            raise DataError(f"{path}: line {number} has {len(row)} columns, expected {width}")
    _check_count(len(rows) * width, str(path), force)
    column = width - 1
    if label is not None:
        if header is None or label not in header:
            known = ", ".join(header) if header else "none (the file has no header row)"
            raise DataError(f"{path}: no label column {label!r}; columns: {known}")
        column = header.index(label)
    features = [[cell for i, cell in enumerate(row) if i != column] for row in rows]
    for number, row in enumerate(features, start=2 if header else 1):
        for cell in row:
            if not _is_number(cell):
                raise DataError(
                    f"{path}: line {number}: feature {cell.strip()[:40]!r} is not a number; "
                    "every feature column must hold numbers"
                )
    X = np.array(features, dtype=float)
    labels, classes = _class_indices([row[column] for row in rows], str(path))
    return Dataset(path.stem, _finite(X.reshape(len(rows), -1), str(path)), labels, classes)


_NPZ_FAILURES = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError)


def _npz_array(archive: zipfile.ZipFile, member: str, source: str, force: bool) -> np.ndarray:
    """One array of an .npz, its header checked (shape, dtype, size) before any data is read."""
    info = archive.getinfo(member)
    if not force and info.file_size > limits.MAX_DATA_BYTES:
        raise DataError(
            f"{source}: array {member[:-4]!r} declares {info.file_size:,} bytes, past the limit "
            f"of {limits.MAX_DATA_BYTES:,} (symbp.limits.MAX_DATA_BYTES); pass --force"
        )
    try:
        with archive.open(member) as handle:
            version = np.lib.format.read_magic(handle)
            reader = {(1, 0): np.lib.format.read_array_header_1_0}.get(
                version, np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = reader(handle)
        if dtype.hasobject:
            raise DataError(
                f"{source}: cannot read its arrays: {member[:-4]!r} holds Python objects, "
                "which are never unpickled"
            )
        _check_count(math.prod(shape), source, force)
        with archive.open(member) as handle:
            array = np.lib.format.read_array(handle, allow_pickle=False)
    except DataError:
        raise
    except _NPZ_FAILURES as error:
        raise DataError(
            f"{source}: array {member[:-4]!r} is corrupt or truncated ({error})"
        ) from None
    return array


def read_npz(path: Path, label: str | None, force: bool = False) -> Dataset:
    source = str(path)
    if not force and path.stat().st_size > limits.MAX_DATA_BYTES:
        raise DataError(
            f"{path}: {path.stat().st_size:,} bytes, past the limit of "
            f"{limits.MAX_DATA_BYTES:,} (symbp.limits.MAX_DATA_BYTES); pass --force"
        )
    try:
        archive = zipfile.ZipFile(path)
        members = {name[:-4]: name for name in archive.namelist() if name.endswith(".npy")}
    except _NPZ_FAILURES as error:
        raise DataError(f"{path}: not a readable .npz file ({error})") from None
    with archive:
        key = label or next((k for k in ("y", "labels", "target") if k in members), None)
        if "X" not in members or key is None or key not in members:
            found = ", ".join(members) or "no arrays"
            raise DataError(f"{path}: needs arrays 'X' and 'y'; found {found}")
        X, raw = _npz_array(archive, members["X"], source, force), None
        raw = _npz_array(archive, members[key], source, force)
    if X.size == 0:
        raise DataError(f"{path}: the file is empty")
    if X.ndim != 2 or raw.ndim != 1 or len(raw) != len(X):
        raise DataError(f"{path}: X must be (n, d) and {key} (n,); got {X.shape} and {raw.shape}")
    if np.issubdtype(X.dtype, np.complexfloating):
        raise DataError(f"{path}: X holds complex numbers; a network here takes real features")
    if not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise DataError(f"{path}: X must hold real numbers, not {X.dtype}")
    if np.issubdtype(raw.dtype, np.complexfloating) or raw.dtype.kind not in "iufUS":
        raise DataError(f"{path}: {key} must hold class numbers or names, not {raw.dtype}")
    if raw.dtype.kind == "S":
        raw = raw.astype(str)
    with np.errstate(over="ignore"):
        features = X.astype(float)
    labels, classes = _class_indices(raw, source)
    return Dataset(path.stem, _finite(features, source), labels, classes)
