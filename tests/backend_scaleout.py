"""Data-parallel runs of the compiled JAX and PyTorch trainers, each in its own process.

``python -m tests.backend_scaleout jax`` (with XLA_FLAGS=--xla_force_host_platform_device_count=2)
trains one network 20 steps with the batch sharded over two CPU devices and 20 steps on one
device, and prints the largest gap between the parameters as JSON. ``ddp`` trains the torch
module under DistributedDataParallel (gloo, 2 processes, each half of every batch) and in one
process on the whole batch, and prints the same. A second argument ``layered`` runs the same
with a small CNN (``--input 1x6x6``) instead of the dense network.
"""

from __future__ import annotations

import json
import socket
import sys

import numpy as np

from symbp.compile.backends import backend_source, load_backend, load_source
from symbp.model import layered_network, network

STEPS = 20
SIZES, M, LR = [4, 16, 8, 3], 64, 0.5
LAYERED = ("1x6x6", "conv2d(2,3,tanh) maxpool2d(2) flatten dense(3,softmax)", "cce")


def _net(kind: str = "dense"):
    if kind == "layered":
        return layered_network(*LAYERED)
    return network(SIZES, "tanh", "softmax", "cce")


def _batches(kind: str = "dense"):
    rng = np.random.default_rng(3)
    shape = tuple(int(n) for n in LAYERED[0].split("x")) if kind == "layered" else (SIZES[0],)
    for _ in range(STEPS):
        X = rng.normal(size=(M, *shape))
        Y = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], size=M)]
        yield X, Y


def jax_run(kind: str = "dense") -> dict:
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    trainer = load_backend(_net(kind), "jax", "float64")
    devices = jax.devices()
    mesh = Mesh(np.array(devices), ("batch",))
    rows, whole = NamedSharding(mesh, PartitionSpec("batch")), NamedSharding(mesh, PartitionSpec())
    single = trainer.init_params(seed=0)
    sharded = jax.device_put(trainer.init_params(seed=0), whole)
    spread = set()
    for X, Y in _batches(kind):
        single, _ = trainer.step(single, jax.device_put(X, devices[0]), Y, LR)
        Xs, Ys = jax.device_put(X, rows), jax.device_put(Y, rows)
        spread.add(len(Xs.sharding.device_set))
        sharded, _ = trainer.step(sharded, Xs, Ys, LR)
    gap = max(float(np.abs(np.asarray(sharded[k]) - np.asarray(single[k])).max()) for k in single)
    moved = max(
        float(np.abs(np.asarray(single[k]) - np.asarray(trainer.init_params(0)[k])).max())
        for k in single
    )
    return {"devices": len(devices), "batch_spread": sorted(spread), "gap": gap, "moved": moved}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, source: str, queue, kind: str) -> None:
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world
    )
    trainer = load_source(source, "torch")  # compiled once, by the parent
    model = DistributedDataParallel(trainer.network_module(seed=0))
    optimiser = torch.optim.SGD(model.parameters(), lr=LR)
    half = M // world
    for X, Y in _batches(kind):
        rows = slice(rank * half, (rank + 1) * half)
        optimiser.zero_grad()
        model(X[rows], Y[rows]).backward()  # the derived backward; DDP averages the gradients
        optimiser.step()
    if rank == 0:
        queue.put({k: p.detach().numpy().copy() for k, p in model.module.named_parameters()})
    dist.destroy_process_group()


def ddp_run(kind: str = "dense") -> dict:
    import torch
    import torch.multiprocessing as mp

    context = mp.get_context("spawn")
    queue = context.SimpleQueue()
    source = backend_source(_net(kind), "torch", "float64")
    mp.spawn(_ddp_worker, args=(2, _free_port(), source, queue, kind), nprocs=2, join=True)
    parallel = queue.get()
    trainer = load_source(source, "torch")
    params = trainer.init_params(seed=0)
    for X, Y in _batches(kind):
        trainer.step(params, X, Y, LR)
    gap = max(float(np.abs(parallel[k] - params[k].numpy()).max()) for k in params)
    start = trainer.init_params(seed=0)
    moved = max(float((params[k] - start[k]).abs().max()) for k in params)
    return {"gap": gap, "moved": moved, "torch": torch.__version__}


if __name__ == "__main__":
    kind = sys.argv[2] if len(sys.argv) > 2 else "dense"
    print(json.dumps(jax_run(kind) if sys.argv[1] == "jax" else ddp_run(kind)))
