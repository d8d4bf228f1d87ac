"""Data sets: generated and loaded ones, and one clear line (exit 2) for every kind of bad data."""

from __future__ import annotations

import numpy as np
import pytest

from symbp.cli import main
from symbp.data import BUILTIN, DataError, check_fits, load_dataset, split, targets

IRIS = ["--layers", "4,8,3", "--hidden", "tanh", "--output", "softmax", "--loss", "cce"]


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_data_sets_are_finite_with_labels_from_0(name: str) -> None:
    data = load_dataset(name)
    assert np.isfinite(data.X).all() and data.labels.min() == 0
    assert data.labels.max() == len(data.classes) - 1


def test_generated_data_are_seeded() -> None:
    assert np.array_equal(load_dataset("moons", seed=3).X, load_dataset("moons", seed=3).X)
    assert not np.array_equal(load_dataset("moons", seed=3).X, load_dataset("moons", seed=4).X)


def test_targets_and_split() -> None:
    assert targets(np.array([2, 0]), 3).tolist() == [[0, 0, 1], [1, 0, 0]]
    train, test = split(load_dataset("iris"), 0.25, seed=0)
    assert len(train) + len(test) == 150 and len(test) == 38
    assert not set(map(tuple, train.X)) & set(map(tuple, test.X)) - set(map(tuple, train.X))


def test_csv_with_header_named_label_and_string_classes(tmp_path) -> None:
    path = tmp_path / "flowers.csv"
    path.write_text("kind,a,b\nrose,1,2\ntulip,3,4\nrose,5,6\n")
    data = load_dataset(str(path), label="kind")
    assert data.X.tolist() == [[1, 2], [3, 4], [5, 6]] and data.classes == ("rose", "tulip")
    assert data.labels.tolist() == [0, 1, 0]
    check_fits(data, 2, 1)


def test_npz_file(tmp_path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, X=np.ones((12, 4)), y=np.arange(12) % 3)
    data = load_dataset(str(path))
    assert data.X.shape == (12, 4) and data.labels.max() == 2


def test_user_csv_trains_from_the_cli(tmp_path, capsys) -> None:
    rows = np.column_stack([load_dataset("iris").X, load_dataset("iris").labels])
    path = tmp_path / "iris.csv"
    np.savetxt(path, rows, delimiter=",", fmt="%g")
    assert main(["train", *IRIS, "--data", str(path), "--epochs", "100", "--lr", "0.5"]) == 0
    assert "accuracy" in capsys.readouterr().out


BAD = {
    "wrong column count": ("1,2,3,4,0\n1,2,3,0\n", "line 2 has 4 columns, expected 5"),
    "labels outside the classes": ("1,2,3,4,0\n1,2,3,4,7\n", "labels outside the network's 3"),
    "NaN": ("1,2,3,4,0\n1,nan,3,4,1\n", "NaN or infinite value at row 2, column 2"),
    "inf": ("1,2,3,4,0\n1,2,inf,4,1\n", "NaN or infinite value at row 2, column 3"),
    "empty file": ("", "the file is empty"),
    "header only": ("a,b,c,d,label\n", "header but no data rows"),
    "too few features": ("1,2,3,0\n4,5,6,1\n", "has 3 feature columns but the network's input"),
    "text feature": ("1,2,3,4,0\n1,x,3,4,1\n", "every feature column must hold numbers"),
    "fractional label": ("1,2,3,4,0.5\n1,2,3,4,1\n", "labels must be class numbers"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_csv_is_one_clear_line_and_exit_2(tmp_path, capsys, case: str) -> None:
    text, message = BAD[case]
    path = tmp_path / "bad.csv"
    path.write_text(text)
    assert main(["train", *IRIS, "--data", str(path), "--epochs", "1", "--lr", "0.1"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_file_and_bad_npz_are_one_line(tmp_path, capsys) -> None:
    assert main(["train", *IRIS, "--data", "nope.csv", "--epochs", "1", "--lr", "0.1"]) == 2
    assert "no such data set or file: 'nope.csv'" in capsys.readouterr().err
    path = tmp_path / "d.npz"
    np.savez(path, features=np.ones((3, 4)))
    assert main(["train", *IRIS, "--data", str(path), "--epochs", "1", "--lr", "0.1"]) == 2
    assert "needs arrays 'X' and 'y'" in capsys.readouterr().err
    np.savez(path, X=np.full((3, 4), np.nan), y=np.zeros(3))
    assert main(["train", *IRIS, "--data", str(path), "--epochs", "1", "--lr", "0.1"]) == 2
    assert "NaN or infinite value at row 1, column 1" in capsys.readouterr().err
    assert main(["train", *IRIS, "--data", "bad.csv", "--label", "x", "--epochs", "1"]) == 2


def test_binary_and_pickled_files_are_one_line(tmp_path, capsys) -> None:
    png = tmp_path / "image.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    assert main(["train", *IRIS, "--data", str(png), "--epochs", "1", "--lr", "0.1"]) == 2
    assert "cannot read it as CSV text" in capsys.readouterr().err
    pickled = tmp_path / "p.npz"
    np.savez(pickled, X=np.array([[1, "a"]], dtype=object), y=np.zeros(1))
    assert main(["train", *IRIS, "--data", str(pickled), "--epochs", "1", "--lr", "0.1"]) == 2
    assert "cannot read its arrays" in capsys.readouterr().err


def test_data_that_do_not_fit_a_layered_input_name_the_input_flag() -> None:
    digits = load_dataset("digits")
    check_fits(digits, 64, 10, (1, 8, 8))
    with pytest.raises(DataError) as error:
        check_fits(digits, 16, 10, (1, 4, 4))
    assert str(error.value) == (
        "digits has 64 feature columns but the network's input 1x4x4 has 16 values; use an "
        "--input shape with 64 values (for example --input 64 or --input 1x8x8)"
    )
    with pytest.raises(DataError, match=r"use --layers 64,\.\.\.$"):
        check_fits(digits, 16, 10)
