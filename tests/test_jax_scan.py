"""The JAX trainer's rnn and lstm layers run as ``jax.lax.scan`` loops
(:mod:`symbp.compile.layered_jax_scan`): the printed module has a scan and no Python time
loop; its gradients equal jax.grad of a plain jax.numpy forward and the NumPy trainer to 1e-10
in float64; the batch sharded over two CPU devices trains as on one; a scan form or window
the proofs do not give is refused.

``python -m tests.test_jax_scan`` (XLA_FLAGS=--xla_force_host_platform_device_count=2) is the
sharded run, printed as JSON.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symbp.compile import layered_jax_scan
from symbp.compile.backends import backend_source, load_backend
from symbp.compile.layered import compile_derivation, load_layered_trainer
from symbp.compile.matrix import CompileError
from symbp.compile.safety import check_source
from symbp.layers.lstm import Lstm
from symbp.layers.recurrent import Rnn
from symbp.model import layered_network
from tests.layer_oracles import random_batch, random_params

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    ("5x3", "rnn(4,relu) rnn(3) last dense(2,softmax)", "cce"),
    ("4x2", "lstm(3) last dense(2,identity)", "mse"),
    ("3x2", "lstm(3) rnn(2,sigmoid) last dense(2,softmax)", "cce"),
]
_DERIVED: dict = {}


def derived(case):  # noqa: ANN001, ANN201 - a LayeredDerivation, once per case
    if case not in _DERIVED:
        _DERIVED[case] = compile_derivation(layered_network(*case))
    return _DERIVED[case]


def plain_cost(net):  # noqa: ANN001, ANN201 - a jax function
    """The network in plain jax.numpy (a Python time loop, PyTorch's gate order i, f, g, o):
    the mean loss, for jax.grad."""
    import jax
    import jax.numpy as jnp

    acts = {"tanh": jnp.tanh, "relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid}
    acts |= {"identity": lambda z: z, "softmax": lambda z: jax.nn.softmax(z, axis=1)}

    def cost(params, X, Y):  # noqa: ANN001, ANN202
        a = X
        for p, layer in enumerate(net.layers, start=1):
            if isinstance(layer, Rnn | Lstm):
                wx, wh, b, n = params[f"Wx{p}"], params[f"Wh{p}"], params[f"b{p}"], layer.units
                h = c = jnp.zeros((a.shape[0], n), a.dtype)
                steps = []
                for t in range(a.shape[1]):
                    z = a[:, t] @ wx.T + h @ wh.T + b
                    if isinstance(layer, Rnn):
                        h = acts[layer.act.name](z)
                    else:
                        i, f, o = (jax.nn.sigmoid(z[:, k * n : (k + 1) * n]) for k in (0, 1, 3))
                        c = f * c + i * jnp.tanh(z[:, 2 * n : 3 * n])
                        h = o * jnp.tanh(c)
                    steps.append(h)
                a = jnp.stack(steps, axis=1)
            elif layer.kind == "last":
                a = a[:, -1]
            else:
                a = acts[layer.act.name](a @ params[f"W{p}"].T + params[f"b{p}"])
        if net.loss.name == "squared_error":
            return 0.5 * ((a - Y) ** 2).sum() / X.shape[0]
        return -(Y * jnp.log(a)).sum() / X.shape[0]

    return cost


@pytest.mark.parametrize("case", CASES, ids=[c[1] for c in CASES])
def test_the_jax_module_scans_over_time(case) -> None:
    source = backend_source(derived(case), "jax")  # printing needs no jax
    check_source(source, "jax")
    recurrent = sum(layer.kind in ("rnn", "lstm") for layer in derived(case).network.layers)
    assert source.count("jax.lax.scan(") == 2 * recurrent  # the forward pass and BPTT
    assert not re.search(r"for t in range", source)
    assert "import numpy" not in source and "import torch" not in source
    numpy_source = backend_source(derived(case), "numpy")
    assert re.search(r"for t in range", numpy_source) and "jax.lax" not in numpy_source


@pytest.mark.parametrize("case", CASES[::2], ids=[c[1] for c in CASES[::2]])
def test_scan_gradients_equal_jax_grad_and_numpy(case) -> None:
    jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
    net = derived(case).network
    params, (X, Y) = random_params(net, 5), random_batch(net, 4, 5)
    trainer = load_backend(derived(case), "jax")  # float64: turns on jax_enable_x64
    arrays = {k: jax.numpy.asarray(v) for k, v in params.items()}
    want_cost, want = jax.value_and_grad(plain_cost(net))(arrays, X, Y)
    numpy_trainer = load_layered_trainer(derived(case))
    reference = numpy_trainer.gradients(params, X, Y)
    for got in (trainer.gradients(arrays, X, Y), jax.grad(trainer.loss)(arrays, X, Y)):
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-10, atol=1e-12, err_msg=key)
            np.testing.assert_allclose(got[key], reference[key], rtol=1e-10, atol=1e-12)
    assert float(trainer.loss(arrays, X, Y)) == pytest.approx(float(want_cost), rel=1e-10)
    assert float(numpy_trainer.loss(params, X, Y)) == pytest.approx(float(want_cost), rel=1e-10)


def test_a_wrong_scan_form_is_refused(monkeypatch) -> None:
    wrong = layered_jax_scan.ScanForm("matmul({D}_t, {W})", {})  # step t, not t+1
    monkeypatch.setitem(layered_jax_scan.SCAN_FORMS, "shifted_matmul", wrong)
    layered_jax_scan.proved_scan_form.cache_clear()
    try:
        with pytest.raises(CompileError, match="scan form of shifted_matmul"):
            layered_jax_scan.proved_scan_form("shifted_matmul")
    finally:
        layered_jax_scan.proved_scan_form.cache_clear()


def test_windows_read_only_what_the_kept_step_needs() -> None:
    reads = layered_jax_scan.window_reads
    assert reads("forget_gate_grad", frozenset()) == {"C"}  # dc_t * c_{t-1}
    assert reads("cell_update", frozenset({"C"})) == {"C"}  # c_{t-1}: the carry
    with pytest.raises(CompileError, match="cannot run in a scan"):
        reads("forget_gate_grad", frozenset({"DC"}))  # dc_t is what it multiplies


def test_sharded_over_two_devices_trains_like_one() -> None:
    pytest.importorskip("jax", reason="jax is not installed")
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "tests.test_jax_scan"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["devices"] == 2 and result["batch_spread"] == [2]
    assert result["moved"] > 1e-2 and result["gap"] <= 1e-12


def sharded_run(case=CASES[2], steps: int = 10, m: int = 16) -> dict:  # noqa: ANN001
    """``steps`` steps of the jitted step on one device and with the batch sharded over all."""
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    net = layered_network(*case)
    trainer = load_backend(net, "jax", "float64")
    devices = jax.devices()
    mesh = Mesh(np.array(devices), ("batch",))
    rows, whole = NamedSharding(mesh, PartitionSpec("batch")), NamedSharding(mesh, PartitionSpec())
    single, start = trainer.init_params(seed=0), trainer.init_params(seed=0)
    sharded, spread = jax.device_put(trainer.init_params(seed=0), whole), set()
    for k in range(steps):
        X, Y = random_batch(net, m, k)
        single, _ = trainer.step(single, jax.device_put(X, devices[0]), Y, 0.5)
        Xs, Ys = jax.device_put(X, rows), jax.device_put(Y, rows)
        spread.add(len(Xs.sharding.device_set))
        sharded, _ = trainer.step(sharded, Xs, Ys, 0.5)
    gap = max(float(np.abs(np.asarray(sharded[k]) - np.asarray(single[k])).max()) for k in single)
    moved = max(float(np.abs(np.asarray(single[k]) - np.asarray(start[k])).max()) for k in single)
    return {"devices": len(devices), "batch_spread": sorted(spread), "gap": gap, "moved": moved}


if __name__ == "__main__":
    print(json.dumps(sharded_run()))
