"""Layered networks: one training step of the compiled trainer against PyTorch eager on the CPU
(each framework in its own process, as bench_step.py), and the derive + compile time.

Run: ``python benchmarks/bench_layers.py [--quick] [--threads N] [--skip-large]``.
``--skip-large`` leaves out the 1x28x28 CNN. Prints one JSON line per (network, dtype): the
derive + compile seconds, the median wall and CPU seconds of one step of each framework and
their ratios (symbp / torch; CPU time is the steadier figure on a shared machine, with
``--threads 1``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

NETWORKS = [
    ("1x8x8", "conv2d(16,3,relu,padding=1) maxpool2d(2) flatten dense(10,softmax)", 64),
    ("20x8", "rnn(64) last dense(10,softmax)", 64),
    (
        "1x28x28",
        "conv2d(16,5,relu) maxpool2d(2) conv2d(32,5,relu) maxpool2d(2) flatten dense(10,softmax)",
        64,
    ),
]
DTYPES = ("float64", "float32")


def _symbp(inp: str, spec: str, m: int, dtype: str, repeats: int) -> dict:
    import numpy as np

    from symbp.compile import load_trainer
    from symbp.model import layered_network

    net = layered_network(inp, spec, "cce")
    start = time.perf_counter()
    trainer = load_trainer(net, dtype)
    compile_s = time.perf_counter() - start
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, *net.input_shape)).astype(dtype)
    Y = np.eye(net.sizes[-1], dtype=dtype)[rng.integers(0, net.sizes[-1], m)]
    params = trainer.init_params(0)
    return {"compile_s": compile_s, **_timed(lambda: trainer.step(params, X, Y, 0.01), repeats)}


def _timed(step, repeats: int) -> dict:
    """Median wall and CPU seconds of one step (CPU time is steadier on a shared machine; it
    counts every thread, so compare it only with --threads 1)."""
    for _ in range(3):
        step()  # warm up (first-touch allocations, caches)
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {"median_s": sorted(wall)[repeats // 2], "median_cpu_s": sorted(cpu)[repeats // 2]}


def _torch(inp: str, spec: str, m: int, dtype: str, repeats: int) -> dict:
    import torch

    from symbp.model import layered_network

    net = layered_network(inp, spec, "cce")
    dt = getattr(torch, dtype)
    layers = []
    shape = net.input_shape
    for layer, out in zip(net.layers, net.shapes[1:], strict=True):
        if layer.kind == "conv2d":
            layers += [torch.nn.Conv2d(shape[0], layer.channels, layer.k, layer.stride,
                                       layer.padding), torch.nn.ReLU()]  # fmt: skip
        elif layer.kind == "maxpool2d":
            layers.append(torch.nn.MaxPool2d(layer.k))
        elif layer.kind == "flatten":
            layers.append(torch.nn.Flatten())
        elif layer.kind == "dense":
            layers.append(torch.nn.Linear(shape[0], layer.units))
        elif layer.kind == "rnn":
            rnn = torch.nn.RNN(shape[1], layer.units, batch_first=True)
        shape = out
    if net.layers[0].kind == "rnn":
        head = torch.nn.Linear(net.layers[0].units, net.sizes[-1])
        model = torch.nn.ModuleList([rnn, head]).to(dt)

        def run(x):
            return head(rnn(x)[0][:, -1])
    else:
        model = torch.nn.Sequential(*layers).to(dt)
        run = model
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(m, *net.input_shape, dtype=dt)
    y = torch.randint(0, net.sizes[-1], (m,))

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(run(x), y).backward()
        opt.step()

    return _timed(step, repeats)


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "--child":
        framework, inp, spec, m, dtype, repeats = args[1:]
        function = _symbp if framework == "symbp" else _torch
        print(json.dumps(function(inp, spec, int(m), dtype, int(repeats))))
        return
    repeats = 20 if "--quick" in args else 200
    env = dict(os.environ)
    if "--threads" in args:
        n = args[args.index("--threads") + 1]
        for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[key] = n
    for inp, spec, m in NETWORKS:
        if "--skip-large" in args and "28x28" in inp:
            continue
        for dtype in DTYPES:
            row = {"input": inp, "net": spec, "m": m, "dtype": dtype}
            for framework in ("symbp", "torch"):
                cmd = [sys.executable, __file__, "--child", framework, inp, spec, str(m), dtype]
                out = subprocess.run([*cmd, str(repeats)], capture_output=True, text=True, env=env)
                row[framework] = (
                    json.loads(out.stdout) if out.returncode == 0 else out.stderr[-200:]
                )
            if isinstance(row["symbp"], dict) and isinstance(row["torch"], dict):
                row["ratio"] = row["symbp"]["median_s"] / row["torch"]["median_s"]
                row["cpu_ratio"] = row["symbp"]["median_cpu_s"] / row["torch"]["median_cpu_s"]
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
