"""Layered networks: one training step of symbp's torch and jax trainers (the proved array
operations, translated) against PyTorch eager autograd and ``jax.jit(jax.value_and_grad)`` of
the same net, and the NumPy trainer; each framework and case in its own process.

Run: ``python benchmarks/bench_layered_backends.py [--quick] [--threads N] [--skip-large]``
(``--threads 1`` pins BLAS, torch and XLA to one thread; ``--skip-large`` leaves out the
1x28x28 CNN; ``--only WORD`` keeps the networks whose spec contains WORD; ``--frameworks
numpy,torch-symbp,torch-eager`` runs only those). Each row has the median wall seconds of a
step, its mean CPU seconds (the steadier figure on a shared machine) and the first step's
seconds (a jit's compile time). Frameworks:

- ``numpy``: symbp's NumPy trainer, ``trainer.step``;
- ``torch-symbp``: ``symbp compile --backend torch``'s ``step`` (no autograd tape);
- ``torch-eager``: the same net in torch.nn.functional, ``loss.backward()`` and the update;
- ``jax-symbp``: ``symbp compile --backend jax``'s jitted ``step``;
- ``jax-grad``: the same net in jax.numpy / jax.lax, ``jax.jit`` of ``value_and_grad`` and
  the update.

Timing is bench_step.py's (the median of at least 20 steps, ``budget`` seconds of steps); a
torch step until its loss is a Python float, a JAX step until its loss is ready. ``setup_s``
is building the step and its first call; ``first_step_s`` (``first_step_cpu_s``, CPU time of
the process) the first call alone: for JAX, the trace and XLA's compile. Prints one
JSON line per (network, dtype, framework) and a Markdown table; ``--json FILE`` saves them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from bench_backends import _cell, _jax_timed, _ratio  # noqa: E402
from bench_step import DTYPES, _time, _worker_environment, machine  # noqa: E402

NETWORKS = [
    ("1x8x8", "conv2d(16,3,relu,padding=1) maxpool2d(2) flatten dense(10,softmax)", 64),
    ("4x32", "conv1d(16,5,tanh,padding=2) avgpool1d(2) flatten dense(10,softmax)", 64),
    ("64", "residual(dense(64,tanh)) residual(dense(64,tanh)) dense(10,softmax)", 256),
    ("20x8", "rnn(64) last dense(10,softmax)", 64),
    ("784", "dense(256,relu) batchnorm dense(10,softmax)", 256),
    ("64", "dense(64,tanh) layernorm dense(10,softmax)", 256),
    ("20x8", "lstm(64) last dense(10,softmax)", 64),
    ("16x32", "attention(32) meanpool dense(10,softmax)", 64),
    (
        "1x28x28",
        "conv2d(16,5,relu) maxpool2d(2) conv2d(32,5,relu) maxpool2d(2) flatten dense(10,softmax)",
        64,
    ),
]
FRAMEWORKS = ("numpy", "torch-symbp", "torch-eager", "jax-symbp", "jax-grad")


def _net(index: int):  # noqa: ANN202
    from symbp.model import layered_network

    inp, spec, _ = NETWORKS[index]
    return layered_network(inp, spec, "cce")


def _data(net, m: int, dtype: str):  # noqa: ANN001, ANN202
    import numpy as np

    rng = np.random.default_rng(1)
    X = rng.normal(size=(m, *net.input_shape)).astype(dtype)
    Y = np.eye(net.sizes[-1], dtype=dtype)[rng.integers(0, net.sizes[-1], m)]
    return X, Y


def _model(net, conv, pool, stack, act, fn):  # noqa: ANN001, ANN202
    """The forward pass (up to the output's pre-activation) in one framework's functions:
    ``fn`` holds its mean(a, axis), softmax over the last axis, swap of the last two axes."""
    from symbp.layers.attention import Attention
    from symbp.layers.conv import Conv
    from symbp.layers.lstm import Lstm
    from symbp.layers.norm import EPS
    from symbp.layers.pool import Pool
    from symbp.layers.recurrent import Rnn
    from symbp.layers.reshape import Flatten, Last
    from symbp.layers.residual import Residual

    def lstm(a, p, n):  # noqa: ANN001, ANN202
        wx, wh, b = params_of(p, "Wx"), params_of(p, "Wh"), params_of(p, "b")
        xw, h, c, steps = a @ wx.T + b, None, None, []
        for t in range(a.shape[1]):
            z = xw[:, t] if h is None else xw[:, t] + h @ wh.T
            i, f = act("sigmoid", z[:, :n]), act("sigmoid", z[:, n : 2 * n])
            g, o = act("tanh", z[:, 2 * n : 3 * n]), act("sigmoid", z[:, 3 * n :])
            c = i * g if c is None else f * c + i * g
            h = o * act("tanh", c)
            steps.append(h)
        return stack(steps)

    current = {}

    def params_of(p, role):  # noqa: ANN001, ANN202
        return current["params"][f"{role}{p}"]

    def forward(params, a):  # noqa: ANN001, ANN202
        current["params"] = params
        for p, layer in enumerate(net.layers, start=1):
            last = p == len(net.layers)
            kind = layer.kind
            if isinstance(layer, Residual):
                a = a + act(layer.inner.act.name, a @ params[f"W{p}"].T + params[f"b{p}"])
            elif isinstance(layer, Conv):
                a = act(layer.act.name, conv(a, params[f"W{p}"], params[f"b{p}"], layer))
            elif isinstance(layer, Pool):
                a = pool(a, layer)
            elif isinstance(layer, Flatten):
                a = a.reshape(a.shape[0], -1)
            elif isinstance(layer, Last):
                a = a[:, -1]
            elif kind == "meanpool":
                a = fn["mean"](a, 1)
            elif kind in ("batchnorm", "layernorm"):
                axis = 0 if kind == "batchnorm" else -1
                mu = fn["mean"](a, axis, True)
                var = fn["mean"]((a - mu) * (a - mu), axis, True)
                a = (a - mu) / (var + float(EPS)) ** 0.5 * params[f"gamma{p}"] + params[f"beta{p}"]
            elif isinstance(layer, Attention):
                q, k = a @ params[f"Wq{p}"].T, a @ params[f"Wk{p}"].T
                v = a @ params[f"Wv{p}"].T
                a = fn["softmax"](q @ fn["swap"](k) / layer.d_k**0.5) @ v
            elif isinstance(layer, Lstm):
                a = lstm(a, p, layer.units)
            elif isinstance(layer, Rnn):
                wx, wh, b = params[f"Wx{p}"], params[f"Wh{p}"], params[f"b{p}"]
                xw, h, steps = a @ wx.T + b, None, []
                for t in range(a.shape[1]):
                    h = act(layer.act.name, xw[:, t] if h is None else xw[:, t] + h @ wh.T)
                    steps.append(h)
                a = stack(steps)
            else:  # dense
                z = a @ params[f"W{p}"].T + params[f"b{p}"]
                a = z if last else act(layer.act.name, z)
        return a

    return forward


def torch_eager(net, dtype: str):  # noqa: ANN001, ANN202
    """(params, step) of PyTorch eager autograd on the net: log_softmax cross-entropy."""
    import torch
    import torch.nn.functional as F

    def conv(a, w, b, layer):  # noqa: ANN001, ANN202
        f = F.conv1d if layer.dims == 1 else F.conv2d
        return f(a, w, b, layer.stride, layer.padding)

    def pool(a, layer):  # noqa: ANN001, ANN202
        return getattr(F, f"{layer.mode}_pool{layer.dims}d")(a, layer.k)

    acts = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
    fn = {
        "mean": lambda a, axis, keep=False: a.mean(axis, keepdim=keep),
        "softmax": lambda a: torch.softmax(a, -1),
        "swap": lambda a: a.transpose(-1, -2),
    }
    forward = _model(net, conv, pool, lambda s: torch.stack(s, 1), lambda n, z: acts[n](z), fn)
    generator = torch.Generator().manual_seed(0)
    params = {
        k: (0.1 * torch.randn(s, generator=generator, dtype=getattr(torch, dtype))).requires_grad_()
        for k, s in net.parameter_shapes.items()
    }

    def step(params, X, Y, lr):  # noqa: ANN001, ANN202
        loss = -(Y * torch.log_softmax(forward(params, X), 1)).sum() / X.shape[0]
        for p in params.values():
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params.values():
                p.sub_(lr * p.grad)
        return loss.item()

    return params, step


def jax_grad(net, dtype: str):  # noqa: ANN001, ANN202
    """(params, step) of jax.jit(jax.value_and_grad) of the net in jax.numpy / jax.lax."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    def conv(a, w, b, layer):  # noqa: ANN001, ANN202
        d = layer.dims
        dims = ("NCH", "OIH", "NCH") if d == 1 else ("NCHW", "OIHW", "NCHW")
        pad = [(layer.padding, layer.padding)] * d
        z = lax.conv_general_dilated(a, w, (layer.stride,) * d, pad, dimension_numbers=dims)
        return z + b.reshape((-1,) + (1,) * d)

    def pool(a, layer):  # noqa: ANN001, ANN202
        window = (1, 1) + (layer.k,) * layer.dims
        if layer.mode == "max":
            return lax.reduce_window(a, -jnp.inf, lax.max, window, window, "VALID")
        return lax.reduce_window(a, 0.0, lax.add, window, window, "VALID") / layer.k**layer.dims

    acts = {"relu": jax.nn.relu, "tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid}
    fn = {
        "mean": lambda a, axis, keep=False: a.mean(axis, keepdims=keep),
        "softmax": lambda a: jax.nn.softmax(a, axis=-1),
        "swap": lambda a: jnp.swapaxes(a, -1, -2),
    }
    forward = _model(net, conv, pool, lambda s: jnp.stack(s, 1), lambda n, z: acts[n](z), fn)

    def cost(params, X, Y):  # noqa: ANN001, ANN202
        return -(Y * jax.nn.log_softmax(forward(params, X), axis=1)).sum() / X.shape[0]

    @jax.jit
    def step(params, X, Y, lr):  # noqa: ANN001, ANN202
        loss, grads = jax.value_and_grad(cost)(params, X, Y)
        return {k: params[k] - lr * grads[k] for k in params}, loss

    keys = jax.random.split(jax.random.PRNGKey(0), len(net.parameter_shapes))
    params = {
        k: 0.1 * jax.random.normal(key, s, dtype)
        for key, (k, s) in zip(keys, net.parameter_shapes.items(), strict=True)
    }
    return params, _jax_timed(step)


def worker(framework: str, budget: float, index: int, dtype: str) -> None:
    net = _net(index)
    X, Y = _data(net, NETWORKS[index][2], dtype)
    row = {"framework": framework, "input": NETWORKS[index][0], "net": NETWORKS[index][1]}
    row.update({"m": NETWORKS[index][2], "dtype": dtype})
    t = time.perf_counter()
    if framework == "numpy":
        from symbp.compile import load_trainer

        trainer = load_trainer(net, dtype)
        params, step = trainer.init_params(0), trainer.step
    elif framework.startswith("torch"):
        import torch

        X, Y = torch.from_numpy(X), torch.from_numpy(Y)
        row["threads"] = torch.get_num_threads()
        if framework == "torch-eager":
            params, step = torch_eager(net, dtype)
        else:
            from symbp.compile.backends import load_backend

            trainer = load_backend(net, "torch", dtype)
            params = trainer.init_params(0)
            step = lambda p, X, Y, lr: float(trainer.step(p, X, Y, lr))  # noqa: E731
    else:
        import jax

        if dtype == "float64":
            jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        X, Y = jnp.asarray(X), jnp.asarray(Y)
        if framework == "jax-grad":
            params, step = jax_grad(net, dtype)
        else:
            from symbp.compile.backends import load_backend

            trainer = load_backend(net, "jax", dtype)
            params, step = trainer.init_params(0), _jax_timed(trainer.step)
    first, cpu = time.perf_counter(), time.process_time()
    step(params, X, Y, 1e-3)  # compile (jit) or warm up
    row["first_step_s"], row["first_step_cpu_s"] = (
        time.perf_counter() - first,
        time.process_time() - cpu,
    )
    row["setup_s"] = time.perf_counter() - t
    cpu = time.process_time()
    row.update(_time(step, params, X, Y, budget))
    row["mean_cpu_s"] = (time.process_time() - cpu) / (row["steps"] + 5)  # _time's 5 warm-ups
    print(json.dumps(row), flush=True)


def main() -> None:
    budget = 0.3 if "--quick" in sys.argv else 1.0
    env = _worker_environment()
    if "--threads" in sys.argv:
        threads = sys.argv[sys.argv.index("--threads") + 1]
        env["XLA_FLAGS"] = (
            f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={threads}"
        )
    rows, results = [], {}
    frameworks = FRAMEWORKS
    if "--frameworks" in sys.argv:
        frameworks = tuple(sys.argv[sys.argv.index("--frameworks") + 1].split(","))
    for index, (inp, spec, _) in enumerate(NETWORKS):
        if "--skip-large" in sys.argv and "28x28" in inp:
            continue
        if "--only" in sys.argv and sys.argv[sys.argv.index("--only") + 1] not in spec:
            continue
        for dtype in DTYPES:
            for framework in frameworks:
                command = [sys.executable, __file__, "--worker", framework, str(budget)]
                done = subprocess.run(
                    [*command, str(index), dtype], capture_output=True, text=True, env=env
                )
                if done.returncode != 0:
                    print(f"{framework}: failed ({done.stderr.strip().splitlines()[-1]})")
                    continue
                row = json.loads(done.stdout.strip().splitlines()[-1])
                print(json.dumps(row), flush=True)
                rows.append(row)
                results[(framework, index, dtype)] = row["median_s"]
    about = machine()
    print(f"machine: {about}")
    print("| network | m | dtype | numpy | torch-symbp | torch-eager | symbp/eager "
          "| jax-symbp | jax-grad | symbp/grad |")  # fmt: skip
    print("|" + "---|" * 10)
    for index, (inp, spec, m) in enumerate(NETWORKS):
        for dtype in DTYPES:
            t = {f: results.get((f, index, dtype)) for f in FRAMEWORKS}
            if not any(t.values()):
                continue
            cells = [_cell(t[f]) if t[f] else "-" for f in FRAMEWORKS]
            print(f"| `{inp}` {spec} | {m} | {dtype} | {cells[0]} | {cells[1]} | {cells[2]} | "
                  f"{_ratio(t, 'torch-symbp', 'torch-eager')} | {cells[3]} | {cells[4]} | "
                  f"{_ratio(t, 'jax-symbp', 'jax-grad')} |")  # fmt: skip
    if "--json" in sys.argv:
        path = Path(sys.argv[sys.argv.index("--json") + 1])
        path.write_text(json.dumps({"machine": about, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        main()
