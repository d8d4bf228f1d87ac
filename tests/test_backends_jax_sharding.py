"""JAX data parallelism on this CPU: the batch sharded over two host devices (a subprocess with
XLA_FLAGS=--xla_force_host_platform_device_count=2), 20 steps of the compiled trainer's jitted
step, the same parameters as 20 steps on one device, to 1e-12 in float64."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]'): skipped")
ROOT = Path(__file__).resolve().parent.parent


def test_batch_sharded_over_two_devices_trains_like_one() -> None:
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "tests.backend_scaleout", "jax"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["devices"] == 2 and result["batch_spread"] == [2]
    assert result["moved"] > 1e-2  # the 20 steps did train
    assert result["gap"] <= 1e-12
