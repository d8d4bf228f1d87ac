"""Data parallelism of the layered trainers (a small CNN, tests.backend_scaleout.LAYERED) on
this CPU, each run in its own process: the JAX module's jitted step with the batch sharded over
two host devices equals the single-device run to 1e-12 after 20 steps, and the torch module
under DistributedDataParallel (gloo, 2 processes, half of every batch each) equals one process
on the whole batch to 1e-10 (float64)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(backend: str, env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.backend_scaleout", backend, "layered"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT), **env), capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_layered_jax_step_sharded_over_two_devices_trains_like_one() -> None:
    result = _run("jax", {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    assert result["devices"] == 2 and result["batch_spread"] == [2]
    assert result["moved"] > 1e-2  # the 20 steps did train
    assert result["gap"] <= 1e-12


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_layered_torch_ddp_on_two_processes_trains_like_one() -> None:
    import torch

    if not torch.distributed.is_available():
        pytest.skip("torch built without distributed")
    result = _run("ddp", {})
    assert result["moved"] > 1e-2
    assert result["gap"] <= 1e-10
