"""``symbp derive`` as a user runs it: text, JSON for other programs, one-line errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import sympy
from sympy.parsing.sympy_parser import parse_expr

from symbp.cli import main


def test_default_job_prints_equations_and_a_passing_proof(capsys):
    assert main(["derive"]) == 0
    out = capsys.readouterr().out
    assert "network: 2-3-2 (sigmoid, sigmoid; squared_error; bias explicit)" in out
    assert "delta1_1 = " in out and "dC/dw2_1_3 = a1_3*delta2_1" in out
    assert "19 of 19 quantities proved symbolically, 0 agreed numerically, 0 failed" in out


def _evaluate_json(data, values):
    """Evaluate the JSON's definitions and gradients with plain SymPy parsing (no symbp)."""
    env = {sympy.Symbol(k): v for k, v in values.items()}
    for name, text in data["definitions"]:
        env[sympy.Symbol(name)] = parse_expr(text).xreplace(env).evalf(30)
    grads = {k: float(parse_expr(v).xreplace(env)) for k, v in data["gradients"].items()}
    loss = float(parse_expr(data["loss"]).xreplace(env))
    return loss, grads


def test_json_is_readable_by_plain_sympy_and_its_gradients_are_right(capsys):
    flags = ["--layers", "2,3,2", "--hidden", "relu", "--output", "softmax"]
    assert main(["derive", *flags, "--loss", "cross-entropy", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    names = [name for name, _ in data["definitions"]]
    assert names[:3] == ["z1_1", "z1_2", "z1_3"] and names[-1] == "delta1_3"
    assert set(data["gradients"]) >= {"w1_1_1", "w2_2_3", "b2_1"}
    assert data["assumptions"] == [
        "the targets form a probability distribution: sum_j y_j = 1 (one-hot labels do)"
    ]
    values = {"x1": 0.3, "x2": -0.8, "y1": 0.25, "y2": 0.75}
    params = sorted(data["gradients"])
    for i, p in enumerate(params):
        values[p] = math.sin(i + 1) * 0.9
    _, grads = _evaluate_json(data, values)
    h = 1e-6
    for p in params:
        up, down = dict(values), dict(values)
        up[p] += h
        down[p] -= h
        fd = (_evaluate_json(data, up)[0] - _evaluate_json(data, down)[0]) / (2 * h)
        assert math.isclose(grads[p], fd, rel_tol=1e-5, abs_tol=1e-8), p


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["derive", "--hidden", "sigmod"], "unknown activation 'sigmod'; known: identity"),
        (["derive", "--layers", "2,0,1"], "layer sizes must be integers >= 1"),
        (["derive", "--output", "tanh", "--loss", "bce"], "loss 'binary_cross_entropy' needs"),
        (["derive", "--format", "yaml"], "argument --format: invalid choice: 'yaml'"),
        (["derive", "--examples", "x"], "--examples must be a whole number from 1 to"),
        (["frobnicate"], "argument command: invalid choice: 'frobnicate'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_console_entry_point_runs_as_a_module():
    run = subprocess.run(
        [sys.executable, "-m", "symbp", "derive", "--layers", "1,1", "--proof", "none"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "dC/dw1_1_1 = delta1_1*x1" in run.stdout


def test_generic_prints_the_matrix_equations_naive_products_and_cost(capsys):
    argv = ["derive", "--generic", "--layers", "2,2,1", "--loss", "bce"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "grad_W: grad_W^l C = delta^l (a^(l - 1))^T" in out
    assert "delta_L_simplified: delta^L = a^L - y" in out
    assert "  delta^L = (f^L)' o grad_a^L C" in out
    assert "cost for 2-2-1: Per example, backprop needs 15 multiplications" in out
