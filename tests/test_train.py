"""Training results that must hold with the default seed, and the ``symbp train`` command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from symbp.cli import main
from symbp.data import load_dataset
from symbp.model import network
from symbp.train import train


def test_xor_2_2_1_sigmoid_bce_reaches_loss_below_0_01() -> None:
    net = network([2, 2, 1], "sigmoid", "sigmoid", "bce")
    result = train(net, load_dataset("xor"), epochs=2000, lr=2.0)
    assert result.final["train_loss"] < 0.01
    assert result.final["train_accuracy"] == 1.0


def test_iris_4_8_3_tanh_softmax_reaches_95_percent_on_the_test_rows() -> None:
    net = network([4, 8, 3], "tanh", "softmax", "cce")
    result = train(net, load_dataset("iris"), epochs=500, lr=0.5)
    assert result.final["test_accuracy"] >= 0.95
    assert result.final["test_rows"] == 38 and not result.final["test_is_train"]


def test_digits_64_32_10_sigmoid_softmax_reaches_95_percent_on_the_test_rows() -> None:
    net = network([64, 32, 10], "sigmoid", "softmax", "cce")
    result = train(net, load_dataset("digits"), epochs=30, lr=0.5, batch=32)
    assert result.final["test_accuracy"] >= 0.95


def test_momentum_and_mini_batches_lower_the_loss() -> None:
    net = network([2, 16, 3], "relu", "softmax", "cce")
    data = load_dataset("spirals")
    plain = train(net, data, epochs=20, lr=0.1, batch=30)
    heavy = train(net, data, epochs=20, lr=0.1, batch=30, momentum=0.9)
    assert plain.history.train_loss[-1] < plain.history.train_loss[0]
    assert heavy.history.train_loss[-1] < plain.history.train_loss[-1]


def test_float32_training_works() -> None:
    net = network([2, 8, 1], "tanh", "sigmoid", "bce")
    result = train(net, load_dataset("moons"), epochs=300, lr=1.0, dtype="float32")
    assert result.params["W1"].dtype == np.float32
    assert result.final["test_accuracy"] >= 0.85


def test_cli_train_json_save_plot_and_gradcheck(tmp_path, capsys) -> None:
    saved, plot = tmp_path / "params.npz", tmp_path / "curves.png"
    argv = ["train", "--layers", "2,2,1", "--hidden", "sigmoid", "--loss", "bce", "--data", "xor"]
    argv += ["--epochs", "2000", "--lr", "2", "--json", "--gradcheck"]
    argv += ["--save", str(saved), "--plot", str(plot)]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["train_loss"] < 0.01 and report["gradcheck_max_relative_error"] < 1e-5
    assert set(np.load(saved).files) == {"W1", "W2", "b1", "b2", "mean", "spread"}
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_cli_train_never_overwrites_without_force(tmp_path, capsys) -> None:
    mine = tmp_path / "mine.png"
    mine.write_bytes(b"the user's own picture")
    (tmp_path / "params.npz").write_bytes(b"the user's own parameters")
    argv = ["train", "--layers", "2,2,1", "--loss", "bce", "--data", "xor", "--epochs", "5"]
    argv += ["--lr", "1", "--plot", str(mine), "--save", str(tmp_path / "params")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "will not overwrite" in err and "params.npz" in err and "mine.png" in err
    assert mine.read_bytes() == b"the user's own picture"
    assert main([*argv, "--force"]) == 0
    assert mine.read_bytes()[:4] == b"\x89PNG"


def test_cli_train_text_and_no_progress_bar_off_a_terminal(capsys) -> None:
    argv = ["train", "--layers", "4,8,3", "--hidden", "tanh", "--output", "softmax"]
    argv += ["--loss", "cce", "--data", "iris", "--epochs", "50", "--lr", "0.5", "--momentum"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "train  loss" in captured.out and "test  loss" in captured.out
    assert captured.err == ""


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--epochs", "0", "--lr", "1"], "--epochs must be a whole number from 1 to"),
        (["--epochs", "5", "--lr", "1e9"], "diverged"),
    ],
)
def test_cli_train_bad_settings_are_one_line(capsys, flags, message) -> None:
    argv = ["train", "--layers", "2,3,1", "--hidden", "relu", "--output", "identity", "--data"]
    assert main([*argv, "moons", *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_progress_bar_draws_on_stderr(capsys) -> None:
    from symbp.train import _progress

    _progress(5, 10, 0.25)
    _progress(10, 10, 0.125)
    err = capsys.readouterr().err
    assert "\r[###############---------------] epoch 5/10 loss 0.2500" in err
    assert err.endswith("epoch 10/10 loss 0.1250\n")


def test_no_standardise_feeds_the_raw_features(capsys) -> None:
    """Without standardisation the recorded mean is 0 and the spread 1 and the run differs from
    a standardised one; the CLI flag reaches train() (its report differs the same way)."""
    data = load_dataset("moons", seed=0)
    net = network([2, 4, 2], hidden="tanh", output="softmax", loss="cce")
    raw = train(net, data, epochs=3, lr=0.5, seed=0, standardise=False)
    scaled = train(net, data, epochs=3, lr=0.5, seed=0)
    assert np.all(raw.mean == 0) and np.all(raw.spread == 1)
    assert not np.all(scaled.mean == 0)
    assert raw.history.train_loss[-1] != scaled.history.train_loss[-1]
    argv = ["train", "--layers", "2,4,2", "--hidden", "tanh", "--output", "softmax", "--loss"]
    argv += ["cce", "--data", "moons", "--epochs", "3", "--lr", "0.5", "--json"]
    assert main([*argv, "--no-standardise"]) == 0
    reported = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) != reported
