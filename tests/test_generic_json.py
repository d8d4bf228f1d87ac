"""``symbp derive --generic --format json``: the generic derivation as data other programs read."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy
from sympy.parsing.sympy_parser import parse_expr

from symbp.derive.generic import derive_generic_for
from symbp.derive.generic_export import to_json
from symbp.model import network


@pytest.mark.parametrize(
    "spec",
    [("sigmoid", "sigmoid", "mse", "explicit"), ("tanh", "softmax", "cce", "unit")],
    ids=["sigmoid-mse", "softmax-cce-unit"],
)
def test_every_step_is_there_readable_and_verified(spec) -> None:
    hidden, output, loss, bias = spec
    net = network([2, 3, 2], hidden, output, loss, bias=bias)
    der = derive_generic_for(net)
    data = json.loads(json.dumps(to_json(der, net)))
    assert len(data["steps"]) == len(der.steps) > 10
    for step, original in zip(data["steps"], der.steps, strict=True):
        assert step["verified_by"].startswith("every instantiation"), step
        for side, expr in (("lhs", original.lhs), ("rhs", original.rhs)):
            # read back with the derivation's own symbols: the printed text is the expression
            assert parse_expr(step[side], local_dict=_names(expr)) == expr, (side, step)
    assert data["cost"]["sizes"] == [2, 3, 2]
    assert data["network"]["bias"] == bias


def _names(expr: sympy.Expr) -> dict[str, object]:
    """Every symbol, indexed base and function of ``expr`` by its printed name."""
    names: dict[str, object] = {str(s): s for s in expr.atoms(sympy.Symbol)}
    names.update({str(i.base): i.base for i in expr.atoms(sympy.Indexed)})
    names.update({str(f.func): f.func for f in expr.atoms(sympy.Function)})
    return names


def test_the_command_prints_json_not_text() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "symbp", "derive", "--generic", "--output", "softmax", "--loss",
         "cross-entropy", "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    data = json.loads(out.stdout)
    assert data["equations"]["delta_L_simplified"] == "delta^L = a^L - y"
    assert data["assumptions"] == [
        "the targets form a probability distribution: sum_j y_j = 1 (one-hot labels do)"
    ]
