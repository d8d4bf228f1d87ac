"""A 1-step lstm (T = 1) compiles, its d != n included: the recogniser's shape check
(:mod:`symbp.derive.recognise_shapes`) keeps the all-zero dC/dh and dC/df from being matched to
an operation of the wrong real shape (``shifted_matmul(DZ, Wx)``, T x d); the NumPy, torch and
jax trainers equal torch.nn.LSTM + autograd to 1e-10, and ``symbp compile`` writes one."""

from __future__ import annotations

import numpy as np
import pytest

import tests.test_layers_lstm_compile as lc  # the oracle; a module, so its tests are not rerun
from symbp.compile.layered import compile_derivation
from symbp.model import layered_network

pytest.importorskip("torch", reason="torch is not installed")


@pytest.mark.parametrize(
    ("d", "n", "head"), [(3, 2, "softmax"), (4, 3, "identity"), (1, 2, "softmax")]
)
def test_one_step_lstm_equals_torch_nn_lstm(d, n, head) -> None:
    der = lc.derived(1, d, n, 2, head)
    params, X, Y = lc.problem(der.network, 3, seed=d + n)
    want_cost, want = lc.torch_oracle(params, X, Y, head)
    for backend in ("numpy", "torch", "jax"):
        cost, got = lc.backend_loss_and_gradients(der, backend, params, X, Y)
        assert cost == pytest.approx(want_cost, rel=1e-10, abs=1e-12), backend
        assert set(got) == set(want), backend
        for key in want:
            np.testing.assert_allclose(
                got[key], want[key], rtol=1e-10, atol=1e-10, err_msg=f"{backend} {key}"
            )


def test_the_zero_recurrence_reads_wh_not_wx() -> None:
    """d = 3, n = 2 cut to d = n = 2 on the separated instance: there both shifted_matmul(DZ,
    Wx) and (DZ, Wh) are zero of shape 1 x 2; only Wh gives T x n at the real size."""
    der = compile_derivation(layered_network("1x3", "lstm(2) last dense(2,softmax)", "cce"))
    steps = {s.quantity: s for s in der.array_form if s.position == 1}
    for quantity in ("dh", "df"):
        assert all("Wx" not in roles for roles in steps[quantity].operands), quantity
    assert steps["dx"].operands == (("DZ", "Wx"),)


def test_cli_compiles_a_one_step_lstm(tmp_path) -> None:
    from symbp.cli import main

    out = tmp_path / "t1.py"
    argv = ["compile", "--input", "1x3", "--net", "lstm(2) last dense(2,softmax)", "--loss", "cce"]
    assert main([*argv, "-o", str(out)]) == 0
    assert "for t in range(" in out.read_text()
