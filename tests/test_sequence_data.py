"""The generated sequence data sets first-token and largest-token: shapes, seeds, labels
recomputed from X, the CLI's one line for an --input of another shape, and a short training
run in which attention learns largest-token and the same read-out without attention does not."""

from __future__ import annotations

import numpy as np
import pytest

from symbp.cli import main
from symbp.data import DataError, check_fits, load_dataset
from symbp.data_sequences import first_token, largest_token
from symbp.model import layered_network
from symbp.train import train

SHAPES = {"first-token": ((30, 8), 4), "largest-token": ((16, 5), 4)}


@pytest.mark.parametrize("name", SHAPES)
def test_shapes_and_classes(name: str) -> None:
    data = load_dataset(name)
    shape, classes = SHAPES[name]
    assert data.shape == shape and data.X.shape == (len(data), shape[0] * shape[1])
    assert data.classes == tuple(map(str, range(classes)))
    assert set(data.labels.tolist()) == set(range(classes))  # every class occurs
    assert data.subset(np.arange(5)).shape == shape  # the split keeps the shape


@pytest.mark.parametrize("name", SHAPES)
def test_deterministic_per_seed(name: str) -> None:
    one, again, other = (load_dataset(name, seed=s) for s in (3, 3, 4))
    assert np.array_equal(one.X, again.X) and np.array_equal(one.labels, again.labels)
    assert not np.array_equal(one.X, other.X)


def test_first_token_label_is_the_first_token_and_the_rest_are_distractors() -> None:
    data = load_dataset("first-token", seed=1)
    sequences = data.X.reshape(len(data), 30, 8)
    assert set(np.unique(sequences).tolist()) == {0.0, 1.0}
    assert (sequences.sum(axis=2) == 1).all()  # one token per step
    for row, label in zip(sequences, data.labels, strict=True):
        token = [int(i) for i in range(8) if row[0, i] == 1.0]
        assert token == [int(label)]
    later = sequences[:, 1:].argmax(axis=2)
    assert set(np.unique(later).tolist()) == set(range(8))  # class tokens recur as distractors
    # the label is not the most frequent token of the sequence, nor the last one
    counts = sequences[:, :, :4].sum(axis=1).argmax(axis=1)
    assert np.mean(counts == data.labels) < 0.6
    assert np.mean(sequences[:, -1].argmax(axis=1) == data.labels) < 0.4


def test_largest_token_label_is_the_class_of_the_largest_value() -> None:
    data = load_dataset("largest-token", seed=2)
    tokens = data.X.reshape(len(data), 16, 5)
    assert (tokens[:, :, 0] >= 0).all() and (tokens[:, :, 1:].sum(axis=2) == 1).all()
    for row, label in zip(tokens, data.labels, strict=True):
        values = [float(v) for v in row[:, 0]]
        top = max(range(16), key=values.__getitem__)
        assert sorted(values)[-2] < values[top]  # no tie for the largest
        assert list(row[top, 1:]).index(1.0) == label
    majority = tokens[:, :, 1:].sum(axis=1).argmax(axis=1)
    assert np.mean(majority == data.labels) < 0.6  # counting classes does not solve it


def test_sizes_can_be_overridden() -> None:
    assert first_token(seed=0, rows=10, steps=5).X.shape == (10, 40)
    assert largest_token(seed=0, rows=7, classes=3).shape == (16, 4)


def test_check_fits_takes_the_shape_or_the_flat_rows() -> None:
    data = load_dataset("first-token")
    check_fits(data, 240, 4, (30, 8))
    check_fits(data, 240, 4, (240,))
    with pytest.raises(DataError, match="use --input 30x8"):
        check_fits(data, 240, 4, (8, 30))


@pytest.mark.parametrize(("shape", "name"), [("8x30", "first-token"), ("5x16", "largest-token")])
def test_cli_refuses_an_input_of_another_shape_in_one_line(shape, name, capsys) -> None:
    argv = ["train", "--input", shape, "--net", "rnn(4) last dense(4,softmax)", "--loss", "cce",
            "--data", name, "--epochs", "1", "--lr", "0.1"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    want = "x".join(map(str, SHAPES[name][0]))
    assert err.count("\n") == 1 and f"use --input {want}" in err and "Traceback" not in err


def _test_accuracy(spec: str) -> float:
    data = largest_token(seed=0, rows=1200)
    net = layered_network("16x5", spec, "cce")
    return train(net, data, epochs=5, lr=0.3, batch=32, seed=0).final["test_accuracy"]


def test_attention_learns_largest_token_and_the_read_out_alone_does_not() -> None:
    attention = _test_accuracy("attention(8) meanpool dense(4,softmax)")
    control = _test_accuracy("meanpool dense(4,softmax)")
    assert attention > 0.75 > 0.5 > control, (attention, control)  # chance is 0.25
