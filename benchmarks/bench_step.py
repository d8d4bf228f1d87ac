"""One training step (forward, loss, backward, update) of the compiled trainer against
hand-written NumPy backprop and PyTorch eager on the CPU, each framework in its own process.

Run: ``python benchmarks/bench_step.py`` (about two minutes; ``--quick`` for fewer repeats,
``--threads N`` to pin the BLAS libraries and torch to N threads).
Prints, per network and dtype, the median and best step time and their ratios to hand-written
NumPy, the minor page faults per step (``resource.getrusage``), GFLOP/s of the matrix products
at the median, and the compile time of each network.
Hidden layers are sigmoid; the output is softmax + cross-entropy (sigmoid + binary
cross-entropy for a single output unit).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

NETWORKS = [
    ((2, 2, 1), 4),
    ((4, 16, 3), 150),
    ((64, 128, 64, 10), 256),
    ((784, 256, 10), 256),
    ((784, 1024, 1024, 10), 256),
]
DTYPES = ("float64", "float32")
FRAMEWORKS = ("symbp", "numpy", "torch")
HERE = Path(__file__).resolve().parent


def flops(sizes, m: int) -> int:
    """Multiply-adds x 2 of the matrix products: forward, dW, and dA for layers above the first."""
    pairs = list(zip(sizes, sizes[1:], strict=False))
    forward = sum(2 * m * a * b for a, b in pairs)
    return 2 * forward - 2 * m * sizes[0] * sizes[1]


def _data(sizes, m, dtype):
    import numpy as np

    rng = np.random.default_rng(1)
    X = rng.normal(size=(m, sizes[0])).astype(dtype)
    labels = rng.integers(0, max(sizes[-1], 2), size=m)
    Y = (labels[:, None] if sizes[-1] == 1 else np.eye(sizes[-1])[labels]).astype(dtype)
    return X, Y


def _time(step, params, X, Y, budget: float) -> dict:
    for _ in range(5):
        step(params, X, Y, 1e-3)
    times = []
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    while len(times) < 20 or (time.perf_counter() - start < budget and len(times) < 5000):
        t = time.perf_counter()
        step(params, X, Y, 1e-3)
        times.append(time.perf_counter() - t)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    times.sort()
    median = times[len(times) // 2]
    steps = len(times)
    return {"median_s": median, "best_s": times[0], "faults": faults / steps, "steps": steps}


def worker(framework: str, budget: float, index: int, dtype: str) -> None:
    """Time one case in this process and print it as one JSON line."""
    sizes, m = NETWORKS[index]
    X, Y = _data(sizes, m, dtype)
    row = {"framework": framework, "sizes": sizes, "m": m, "dtype": dtype}
    sys.path.insert(0, str(HERE))
    if framework == "symbp":
        from symbp.compile import load_trainer
        from symbp.model import network

        output, loss = ("sigmoid", "bce") if sizes[-1] == 1 else ("softmax", "cce")
        t = time.perf_counter()
        trainer = load_trainer(network(list(sizes), "sigmoid", output, loss), dtype)
        row["compile_s"] = time.perf_counter() - t
        params, step = trainer.init_params(0), trainer.step
    elif framework == "numpy":
        from step_baselines import numpy_params, numpy_step

        params, step = numpy_params(sizes, dtype), numpy_step
    else:
        import torch
        from step_baselines import torch_setup, torch_step

        params, step = torch_setup(sizes, dtype), torch_step
        X, Y = torch.from_numpy(X), torch.from_numpy(Y)
        row["torch_threads"] = torch.get_num_threads()
    row.update(_time(step, params, X, Y, budget))
    print(json.dumps(row), flush=True)


def machine() -> str:
    import numpy  # load its BLAS before asking threadpoolctl about it

    try:
        from threadpoolctl import threadpool_info

        blas = "; ".join(
            f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
            f"{i.get('num_threads')} threads"
            for i in threadpool_info()
            if i.get("user_api") == "blas"
        )
    except ImportError:
        blas = "threadpoolctl not installed"

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"NumPy {numpy.__version__} ({blas})"
    )


def _worker_environment() -> dict[str, str]:
    """``--threads N`` pins NumPy's BLAS and torch to N threads (steadier on a shared machine)."""
    env = dict(os.environ)
    if "--threads" in sys.argv:
        threads = sys.argv[sys.argv.index("--threads") + 1]
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = threads
    return env


def main() -> None:
    budget = 0.3 if "--quick" in sys.argv else 1.0
    env = _worker_environment()
    results = {}
    # one process per framework and case, the three frameworks back to back for each case, so
    # that a change in the load of a shared machine falls on all three alike
    for index in range(len(NETWORKS)):
        for dtype in DTYPES:
            for framework in FRAMEWORKS:
                command = [sys.executable, __file__, "--worker", framework, str(budget)]
                command += [str(index), dtype]
                done = subprocess.run(command, capture_output=True, text=True, env=env)
                if done.returncode != 0:
                    print(f"{framework}: skipped ({done.stderr.strip().splitlines()[-1]})")
                    continue
                for line in done.stdout.splitlines():
                    row = json.loads(line)
                    results[(framework, tuple(row["sizes"]), row["dtype"])] = row
    pinned = env.get("OPENBLAS_NUM_THREADS")
    print(f"machine: {machine()}" + (f"; workers pinned to {pinned} threads" if pinned else ""))
    header = "| network | m | dtype | framework | median step | vs NumPy | best step | vs NumPy |"
    print(header + " faults/step | GFLOP/s |")
    print("|" + "---|" * 10)
    for sizes, m in NETWORKS:
        for dtype in DTYPES:
            base = results.get(("numpy", tuple(sizes), dtype))
            for framework in FRAMEWORKS:
                row = results.get((framework, tuple(sizes), dtype))
                if row is None:
                    continue
                cells = []
                for key in ("median_s", "best_s"):
                    t = row[key]
                    cells.append(f"{t * 1e6:.1f} us" if t < 1e-3 else f"{t * 1e3:.2f} ms")
                    cells.append(f"{t / base[key]:.2f}x" if base else "-")
                gflops = flops(sizes, m) / row["median_s"] / 1e9
                name = "-".join(map(str, sizes))
                print(
                    f"| {name} | {m} | {dtype} | {framework} | {' | '.join(cells)} | "
                    f"{row['faults']:.1f} | {gflops:.2f} |"
                )
    print()
    print("compile time (symbp compile: derive the skeleton, check, write, import):")
    for sizes, _ in NETWORKS:
        row = results.get(("symbp", tuple(sizes), "float64"))
        if row:
            print(f"  {'-'.join(map(str, sizes))}: {row['compile_s']:.2f} s")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        main()
