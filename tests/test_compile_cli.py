"""``symbp compile``: writes a standalone module, never overwrites without --force."""

from __future__ import annotations

import importlib.util

import numpy as np

from symbp.cli import main

FLAGS = ["--layers", "2,3,1", "--hidden", "tanh", "--output", "sigmoid", "--loss", "bce"]


def test_compile_writes_a_module_that_trains(tmp_path, capsys) -> None:
    out = tmp_path / "trainer.py"
    assert main(["compile", *FLAGS, "--notation", "ng", "-o", str(out)]) == 0
    spec = importlib.util.spec_from_file_location("trainer", out)
    trainer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trainer)
    params = trainer.init_params(seed=0)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    first = trainer.step(params, X, Y, 1.0)
    for _ in range(200):
        last = trainer.step(params, X, Y, 1.0)
    assert last < first
    assert "\\Theta^{(2)}" in out.read_text()


def test_compile_refuses_to_overwrite_without_force(tmp_path, capsys) -> None:
    out = tmp_path / "trainer.py"
    out.write_text("keep me")
    assert main(["compile", *FLAGS, "-o", str(out)]) == 2
    assert "will not overwrite" in capsys.readouterr().err
    assert out.read_text() == "keep me"
    assert main(["compile", *FLAGS, "-o", str(out), "--force", "--dtype", "float32"]) == 0
    assert "DTYPE = np.float32" in out.read_text()


def test_compile_to_stdout_and_bad_flags(capsys) -> None:
    assert main(["compile", *FLAGS]) == 0
    assert "def gradients(params, X, Y):" in capsys.readouterr().out
    assert main(["compile", *FLAGS, "--dtype", "float16"]) == 2
    assert "invalid choice" in capsys.readouterr().err
