"""``--input`` / ``--net`` on the commands: one-line errors, compile output, training."""

from __future__ import annotations

import json

import numpy as np
import pytest

from symbp.cli import main

CNN = "conv2d(16,3,relu,padding=1) maxpool2d(2) flatten dense(10,softmax)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--input", "1x8x8", "--net", "conv2d(8,3) pool(2)"], "unknown layer 'pool'; known:"),
        (["--input", "1x8x8"], "--net and --input go together"),
        (["--input", "1x2x2", "--net", "conv2d(1,3) flatten dense(2,softmax)"], "kernel 3 is"),
    ],
)
def test_bad_net_flags_are_one_line_errors(argv, message, capsys) -> None:
    assert main(["compile", *argv, "--loss", "cce"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_compile_prints_a_trainer_for_a_net(capsys) -> None:
    argv = ["compile", "--input", "1x4x4", "--net", "conv2d(2,3,relu) flatten dense(2,softmax)"]
    assert main([*argv, "--loss", "cce"]) == 0
    source = capsys.readouterr().out
    assert "correlate_input_delta(X, DZ1, k=3, stride=1, padding=0, key='dW1')" in source


def test_derive_reports_the_recognised_forms(capsys) -> None:
    argv = ["derive", "--input", "3x2", "--net", "rnn(2) last dense(2,softmax)", "--loss", "cce"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "dC/dh = shifted_matmul(DZ, Wh)" in out and "dC/dWh1 = shifted_outer_sum(DZ, A)" in out


@pytest.mark.slow
def test_digits_cnn_reaches_98_percent(capsys) -> None:
    argv = ["train", "--input", "1x8x8", "--net", CNN, "--loss", "cross-entropy"]
    argv += ["--data", "digits", "--epochs", "20", "--lr", "0.02", "--momentum", "--batch", "32"]
    argv += ["--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["test_accuracy"] >= 0.98


@pytest.mark.slow
def test_rnn_learns_the_sign_of_a_sequence_sum(tmp_path, capsys) -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (1000, 8))
    np.savez(tmp_path / "seq.npz", X=X, y=(X.sum(axis=1) > 0).astype(int))
    argv = ["train", "--input", "8x1", "--net", "rnn(8) last dense(2,softmax)", "--loss", "cce"]
    argv += ["--data", str(tmp_path / "seq.npz"), "--epochs", "40", "--lr", "0.1"]
    argv += ["--batch", "32", "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["test_accuracy"] >= 0.85
