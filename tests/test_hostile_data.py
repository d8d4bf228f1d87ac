"""Hostile data files through the API: every file is a Dataset whose values mean what the file
says, or one DataError line; never another exception, never a silently dropped row or a
wrapped label. Hypothesis writes CSV text and NPZ arrays of any shape and dtype.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from symbp import limits
from symbp.data import DataError, load_dataset
from symbp.model import network
from symbp.train import train

_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _csv(tmp_path: Path, text: str | bytes, name: str = "d.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,0\n3,4,1e30\n", "row 2 has '1e30'"),
        ("1,2,0\n3,4,-1\n", "row 2 has '-1'"),
        ("1,2,0\n3,4,0.5\n", "row 2 has '0.5'"),
        ("1,2,0\n3,4,1000000000\n", f"0, 1, ..., {limits.MAX_CLASSES - 1} or names"),
        ("1+2j,2,0\n3,4,1\n", "feature '1+2j' is not a number"),
        ("١,2,0\n3,4,1\n", "feature '١' is not a number"),
        ("1_0,2,0\n3,4,1\n", "feature '1_0' is not a number"),
        ("nan,2,0\n3,4,1\n", "NaN or infinite value at row 1, column 1"),
        ("1e999,2,0\n3,4,1\n", "NaN or infinite value at row 1, column 1"),
        ("1\n2\n", "at least one feature column"),
    ],
)
def test_data_that_cannot_be_represented_is_an_error(tmp_path, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace("+", r"\+")):
        load_dataset(_csv(tmp_path, text))


def test_a_bom_and_a_numeric_first_row_are_data_not_a_header(tmp_path) -> None:
    data = load_dataset(_csv(tmp_path, "\ufeff1,2,0\n3,4,1\n5,6,0\n"))
    assert data.X.tolist() == [[1, 2], [3, 4], [5, 6]] and data.labels.tolist() == [0, 1, 0]
    named = load_dataset(_csv(tmp_path, "\ufeffx1,x2,label\n3,4,cat\n5,6,dog\n", "n.csv"))
    assert len(named) == 2 and named.classes == ("cat", "dog")


def test_values_that_overflow_the_standardisation_are_an_error(tmp_path) -> None:
    data = load_dataset(_csv(tmp_path, "1e308,2,0\n-1e308,4,1\n1e308,1,0\n1e308,3,1\n"))
    with pytest.raises(DataError, match="feature column 1 are too large to standardise"):
        train(network([2, 2, 1]), data, epochs=1, lr=0.1)


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_npz_files_are_checked_before_they_are_loaded(tmp_path) -> None:
    X, y = np.ones((20, 2)), np.arange(20) % 2
    good = _npz_bytes(X=X, y=y)
    for cut in (10, len(good) // 3, len(good) // 2, len(good) - 30):
        with pytest.raises(DataError):
            load_dataset(_csv(tmp_path, good[:cut], f"cut{cut}.npz"))
    with pytest.raises(DataError, match="complex numbers"):
        load_dataset(_csv(tmp_path, _npz_bytes(X=X + 1j, y=y), "c.npz"))
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (200_000_000, 2)}
    )
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        archive.writestr("X.npy", header.getvalue())
        archive.writestr("y.npy", _npz_bytes())  # never reached
    with pytest.raises(DataError, match="MAX_DATA_VALUES"):
        load_dataset(str(tmp_path / "huge.npz"))


def test_files_are_read_only_as_far_as_the_limit(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_DATA_BYTES", 1000)
    with pytest.raises(DataError, match="limit of 1,000 bytes"):
        load_dataset(_csv(tmp_path, "1,2,0\n" * 400))
    assert len(load_dataset(_csv(tmp_path, "1,2,0\n" * 400, "f.csv"), force=True)) == 400


_CELL = st.one_of(
    st.text(alphabet="0123456789.-+eEnaif_xj ", max_size=6),
    st.sampled_from(["1e30", "-1", "nan", "inf", "1e308", "\ufeff1", "0", "1", "cat", ""]),
    st.text(max_size=4),
)


@_SETTINGS
@given(rows=st.lists(st.lists(_CELL, min_size=1, max_size=4), min_size=1, max_size=6))
def test_any_csv_is_a_dataset_or_one_data_error(tmp_path, rows: list[list[str]]) -> None:
    text = "\n".join(
        ",".join(cell.replace(",", "").replace("\n", "") for cell in row) for row in rows
    )
    try:
        data = load_dataset(_csv(tmp_path, text))
    except DataError as error:
        assert "\n" not in str(error)
        return
    assert np.all(np.isfinite(data.X)) and data.X.shape[0] == len(data.labels) >= 1
    assert data.labels.min() >= 0 and data.labels.max() < max(len(data.classes), 1)


_DTYPES = st.sampled_from(
    [np.float64, np.float32, np.int64, np.int8, np.uint8, np.bool_, np.complex128, np.float16]
)


@_SETTINGS
@given(
    X=hnp.arrays(_DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5)),
    y=hnp.arrays(_DTYPES, hnp.array_shapes(min_dims=0, max_dims=2, max_side=5)),
)
def test_any_npz_is_a_dataset_or_one_data_error(tmp_path, X: np.ndarray, y: np.ndarray) -> None:
    try:
        data = load_dataset(_csv(tmp_path, _npz_bytes(X=X, y=y), "a.npz"))
    except DataError as error:
        assert "\n" not in str(error)
        return
    assert np.all(np.isfinite(data.X)) and data.X.ndim == 2
    assert not np.iscomplexobj(X) and data.labels.min() >= 0
