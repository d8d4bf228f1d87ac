"""``symbp compile --backend`` and ``symbp train --backend``: the JAX and PyTorch modules from
the command line; an unknown backend or a missing framework is one error line."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from symbp.cli import main
from symbp.compile.backends import load_source

FLAGS = ["--layers", "2,4,1", "--hidden", "tanh", "--output", "sigmoid", "--loss", "bce"]
TRAIN = [*FLAGS, "--data", "xor", "--epochs", "300", "--lr", "2", "--json"]
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def needs(framework: str) -> None:
    if importlib.util.find_spec(framework) is None:
        pytest.skip(f"{framework} is not installed: its backend is not run")


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_compile_writes_a_module_that_loads_and_trains(backend, tmp_path, capsys) -> None:
    out = tmp_path / f"{backend}_trainer.py"
    assert main(["compile", *FLAGS, "--backend", backend, "-o", str(out)]) == 0
    needs(backend)
    trainer = load_source(out.read_text(), backend)
    params = trainer.init_params(seed=0)
    first = last = None
    for _ in range(200):
        result = trainer.step(params, XOR_X, XOR_Y, 2.0)
        params, loss = result if backend == "jax" else (params, result)
        first = float(loss) if first is None else first
        last = float(loss)
    assert last < first / 10


@pytest.mark.parametrize("backend", ["jax", "torch"])
@pytest.mark.parametrize(
    "extra", [["--gradcheck"], ["--momentum", "--batch", "2", "--dtype", "float32"]]
)
def test_train_with_a_backend_learns_xor(backend, extra, capsys) -> None:
    needs(backend)
    assert main(["train", *TRAIN, "--backend", backend, *extra]) == 0
    report = capsys.readouterr().out
    assert '"train_accuracy": 1.0' in report


def test_unknown_backend_is_one_line(capsys) -> None:
    assert main(["compile", *FLAGS, "--backend", "tensorflow"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'tensorflow'" in err


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_missing_framework_is_one_line(backend, monkeypatch, capsys) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == backend else real(name, *a)
    )
    assert main(["train", *TRAIN, "--backend", backend]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"the {backend} backend needs {backend}" in err
