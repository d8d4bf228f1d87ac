"""One training step of the JAX and PyTorch backends against their own autodiff on the same
model, and both against the NumPy backend; each framework and case in its own process.

Run: ``python benchmarks/bench_backends.py`` (``--quick`` for short repeats, ``--threads N`` to
pin NumPy's BLAS and torch to N threads; XLA keeps its own thread pool). Networks, data and
timing are bench_step.py's (hidden layers sigmoid, output softmax + cross-entropy, or sigmoid +
binary cross-entropy for one unit; the median of at least 20 steps). Frameworks:

- ``numpy``: symbp's NumPy backend, ``trainer.step``;
- ``torch-symbp``: the torch backend's ``step`` (derived backward, no autograd);
- ``torch-eager``: PyTorch eager autograd on the same model (step_baselines.torch_step);
- ``jax-symbp``: the JAX backend's jitted ``step`` (derived backward);
- ``jax-grad``: ``jax.jit`` of ``jax.value_and_grad`` of the same forward in plain jax.numpy,
  and the same update.

A JAX step is timed until its loss is ready (``block_until_ready``); a torch step until its loss
is a Python float, like the eager baseline's ``loss.item()``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_step import DTYPES, NETWORKS, _data, _time, _worker_environment, machine  # noqa: E402

FRAMEWORKS = ("numpy", "torch-symbp", "torch-eager", "jax-symbp", "jax-grad")


def _network(sizes):
    from symbp.model import network

    output, loss = ("sigmoid", "bce") if sizes[-1] == 1 else ("softmax", "cce")
    return network(list(sizes), "sigmoid", output, loss)


def jax_autodiff_step(sizes):
    """The baseline: the same forward written in jax.numpy, differentiated by jax.grad."""
    import jax
    import jax.numpy as jnp

    def cost(params, X, Y):
        L = len(sizes) - 1
        a = X
        for layer in range(1, L):
            a = jax.nn.sigmoid(a @ params[f"W{layer}"].T + params[f"b{layer}"])
        z = a @ params[f"W{L}"].T + params[f"b{L}"]
        if z.shape[1] == 1:
            return jnp.sum(jax.nn.softplus(z) - Y * z) / X.shape[0]
        return -jnp.sum(Y * jax.nn.log_softmax(z, axis=1)) / X.shape[0]

    @jax.jit
    def step(params, X, Y, lr):
        loss, grads = jax.value_and_grad(cost)(params, X, Y)
        return {k: params[k] - lr * grads[k] for k in params}, loss

    return step


def _jax_timed(step):
    def timed(params, X, Y, lr):
        new, loss = step(params, X, Y, lr)
        params.update(new)
        return loss.block_until_ready()

    return timed


def worker(framework: str, budget: float, index: int, dtype: str) -> None:
    sizes, m = NETWORKS[index]
    X, Y = _data(sizes, m, dtype)
    row = {"framework": framework, "sizes": sizes, "m": m, "dtype": dtype}
    t = time.perf_counter()
    if framework == "numpy":
        from symbp.compile import load_trainer

        trainer = load_trainer(_network(sizes), dtype)
        params, step = trainer.init_params(0), trainer.step
    elif framework.startswith("torch"):
        import torch

        X, Y = torch.from_numpy(X), torch.from_numpy(Y)
        row["threads"] = torch.get_num_threads()
        if framework == "torch-eager":
            from step_baselines import torch_setup, torch_step

            params, step = torch_setup(sizes, dtype), torch_step
        else:
            from symbp.compile.backends import load_backend

            trainer = load_backend(_network(sizes), "torch", dtype)
            params = trainer.init_params(0)
            step = lambda p, X, Y, lr: float(trainer.step(p, X, Y, lr))  # noqa: E731
    else:
        import jax

        if dtype == "float64":
            jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        from step_baselines import numpy_params

        X, Y = jnp.asarray(X), jnp.asarray(Y)
        params = {k: jnp.asarray(v) for k, v in numpy_params(sizes, dtype).items()}
        if framework == "jax-grad":
            step = _jax_timed(jax_autodiff_step(sizes))
        else:
            from symbp.compile.backends import load_backend

            step = _jax_timed(load_backend(_network(sizes), "jax", dtype).step)
    step(params, X, Y, 1e-3)  # compile (jit) or warm up
    row["setup_s"] = time.perf_counter() - t
    row.update(_time(step, params, X, Y, budget))
    print(json.dumps(row), flush=True)


def _cell(t: float) -> str:
    return f"{t * 1e6:.1f} us" if t < 1e-3 else f"{t * 1e3:.2f} ms"


def _ratio(t: dict, a: str, b: str) -> str:
    return f"{t[a] / t[b]:.2f}x" if t[a] and t[b] else "-"


def main() -> None:
    budget = 0.3 if "--quick" in sys.argv else 1.0
    env = _worker_environment()
    if "--threads" in sys.argv:
        threads = sys.argv[sys.argv.index("--threads") + 1]
        env["XLA_FLAGS"] = (
            f"--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={threads}"
        )
    results = {}
    for index in range(len(NETWORKS)):
        for dtype in DTYPES:
            for framework in FRAMEWORKS:
                command = [sys.executable, __file__, "--worker", framework, str(budget)]
                done = subprocess.run(
                    [*command, str(index), dtype], capture_output=True, text=True, env=env
                )
                if done.returncode != 0:
                    print(f"{framework}: skipped ({done.stderr.strip().splitlines()[-1]})")
                    continue
                row = json.loads(done.stdout.strip().splitlines()[-1])
                results[(framework, tuple(row["sizes"]), row["dtype"])] = row
    print(f"machine: {machine()}")
    print("| network | m | dtype | numpy | torch-symbp | torch-eager | symbp/eager "
          "| jax-symbp | jax-grad | symbp/grad |")  # fmt: skip
    print("|" + "---|" * 10)
    for sizes, m in NETWORKS:
        for dtype in DTYPES:
            t = {f: results.get((f, tuple(sizes), dtype), {}).get("median_s") for f in FRAMEWORKS}
            cells = [_cell(t[f]) if t[f] else "-" for f in FRAMEWORKS]
            name = "-".join(map(str, sizes))
            print(f"| {name} | {m} | {dtype} | {cells[0]} | {cells[1]} | {cells[2]} | "
                  f"{_ratio(t, 'torch-symbp', 'torch-eager')} | {cells[3]} | {cells[4]} | "
                  f"{_ratio(t, 'jax-symbp', 'jax-grad')} |")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        main()
