"""PyTorch data parallelism on this CPU: DistributedDataParallel over 2 processes (gloo), each
with half of every batch, the compiled module's registered derived backward as the gradient;
after 20 steps the parameters equal one process's on the whole batch, to 1e-10 (float64)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch): skipped")
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch built without distributed")
def test_ddp_on_two_processes_trains_like_one_on_the_whole_batch() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "tests.backend_scaleout", "ddp"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["moved"] > 1e-2  # the 20 steps did train
    assert result["gap"] <= 1e-10
