"""Layered networks: one training step of the compiled trainer against PyTorch eager on the CPU
(each framework in its own process, as bench_step.py), and the derive + compile time.

Run: ``python benchmarks/bench_layers.py [--quick] [--threads N] [--skip-large] [--only WORD]``.
``--skip-large`` leaves out the 1x28x28 CNN; ``--only WORD`` keeps the networks whose spec
contains WORD (``--only attention``). The PyTorch side is built from PyTorch's own modules
(nn.Conv2d, nn.RNN, nn.LSTM, nn.BatchNorm1d in training mode, Linear layers for attention's
Q, K, V), independently of symbp's code. Prints one JSON line per (network, dtype): the
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
    ("784", "dense(256,relu) batchnorm dense(10,softmax)", 256),
    ("20x8", "lstm(64) last dense(10,softmax)", 64),
    ("16x32", "attention(32) meanpool dense(10,softmax)", 64),
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


class _Attention:
    """Single-head self-attention as symbp's attention(d_k): Q, K, V without bias, the scores
    divided by sqrt(d_k), softmax over each row."""

    def __init__(self, torch, d: int, d_k: int) -> None:
        self.torch, self.d_k = torch, d_k
        self.q, self.k, self.v = (torch.nn.Linear(d, d_k, bias=False) for _ in range(3))

    def modules(self) -> list:
        return [self.q, self.k, self.v]

    def __call__(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        scores = q @ k.transpose(1, 2) / self.d_k**0.5
        return self.torch.softmax(scores, dim=-1) @ v


def _torch_model(torch, net) -> tuple[list, object]:
    """The network in PyTorch's own modules (nn.Conv2d, nn.LSTM, nn.BatchNorm1d, ...): the
    parameters' modules and the forward function."""
    stages, modules = [], []
    shape = net.input_shape
    activations = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
    for layer, out in zip(net.layers, net.shapes[1:], strict=True):
        kind = layer.kind
        module = None
        if kind == "conv2d":
            module = torch.nn.Conv2d(shape[0], layer.channels, layer.k, layer.stride,
                                     layer.padding)  # fmt: skip
        elif kind == "maxpool2d":
            stages.append(torch.nn.MaxPool2d(layer.k))
        elif kind == "flatten":
            stages.append(torch.nn.Flatten())
        elif kind == "dense":
            module = torch.nn.Linear(shape[-1], layer.units)
        elif kind == "batchnorm":
            module = torch.nn.BatchNorm1d(shape[0], eps=1e-5)
        elif kind == "layernorm":
            module = torch.nn.LayerNorm(shape[-1], eps=1e-5)
        elif kind in ("rnn", "lstm"):
            cls = torch.nn.RNN if kind == "rnn" else torch.nn.LSTM
            rnn = cls(shape[1], layer.units, batch_first=True)
            modules.append(rnn)
            stages.append(lambda x, rnn=rnn: rnn(x)[0])
        elif kind == "last":
            stages.append(lambda x: x[:, -1])
        elif kind == "meanpool":
            stages.append(lambda x: x.mean(dim=1))
        elif kind == "attention":
            attention = _Attention(torch, shape[1], layer.d_k)
            modules += attention.modules()
            stages.append(attention)
        else:
            raise SystemExit(f"bench_layers: no PyTorch model for layer kind {kind}")
        if module is not None:
            modules.append(module)
            stages.append(module)
        act = getattr(layer, "act", None)
        if act is not None and act.name in activations and kind in ("conv2d", "dense"):
            stages.append(activations[act.name])
        shape = out

    def run(x):
        for stage in stages:
            x = stage(x)
        return x

    return modules, run


def _torch(inp: str, spec: str, m: int, dtype: str, repeats: int) -> dict:
    import torch

    from symbp.model import layered_network

    net = layered_network(inp, spec, "cce")
    dt = getattr(torch, dtype)
    modules, run = _torch_model(torch, net)
    model = torch.nn.ModuleList(modules).to(dt)
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
        if "--only" in args and args[args.index("--only") + 1] not in spec:
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
