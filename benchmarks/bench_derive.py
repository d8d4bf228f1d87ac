"""How long symbp takes to derive, and how that grows with the network (issue: core engine).

Run: ``python benchmarks/bench_derive.py`` (about 3 minutes on 2 cores; ``--quick`` skips the
784-256-10 network and the direct-differentiation sample). Prints a Markdown table, writes
``benchmarks/results/derive.json`` and the growth plot ``benchmarks/results/derive_growth.png``.

What is measured:
- the delta-form derivation of every parameter (``symbp.derive.concrete.derive``), with the
  total operation count of the delta recursion and the gradients (``sympy.count_ops``);
- the generic (any depth, symbolic widths) derivation;
- the proof report for 16-32-10 (numeric, 60 digits: ``--proof numeric``, every quantity);
- the default proof (``auto``: induction over the layers past 100 parameters) of 16-32-10 and
  64-128-64-10, and the whole ``symbp derive --layers 64,128,64,10 --output softmax --loss
  cross-entropy --format json`` command in a fresh process (wall and CPU seconds);
- for comparison, sympy.diff of the fully composed loss for a sample of first-layer weights of
  16-32-10 (the per-weight time and size; extrapolated to all weights, labelled as such).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import sympy

from symbp.derive.concrete import derive
from symbp.derive.generic import derive_generic
from symbp.derive.proof import prove
from symbp.model import network

RESULTS = Path(__file__).parent / "results"
SIZES = [[2, 3, 2], [16, 32, 10], [8, 16, 16, 4], [32, 64, 10], [64, 128, 64, 10], [784, 256, 10]]


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def delta_form(sizes: list[int]) -> dict:
    """Best of 3 below 20,000 parameters, one run above (the first call's one-off checks of the
    activation identities are paid by a warm-up in main())."""
    net = network(sizes, "sigmoid", "softmax", "cross-entropy")
    runs = 3 if net.parameter_count < 20_000 else 1
    timings = [_timed(lambda: derive(net)) for _ in range(runs)]
    der, seconds = timings[0][0], min(t for _, t in timings)
    row = {
        "sizes": "-".join(map(str, sizes)),
        "parameters": net.parameter_count,
        "seconds": seconds,
    }
    if net.parameter_count <= 20_000:
        exprs = [*der.deltas.values(), *der.gradients.values()]
        row["operations"] = sum(sympy.count_ops(e) for e in exprs)
    return row


def direct_sample(count: int = 3) -> dict:
    net = network([16, 32, 10], "sigmoid", "softmax", "cross-entropy")
    der = derive(net)
    loss = der.forward.composed_loss()
    weights = [w for key, w in der.forward.weights.items() if key[0] == 1][:count]
    seconds, ops = [], []
    for w in weights:
        grad, s = _timed(lambda w=w: sympy.diff(loss, w))
        seconds.append(s)
        ops.append(sympy.count_ops(grad))
    per_weight = sum(seconds) / len(seconds)
    return {
        "sampled_weights": [w.name for w in weights],
        "seconds_per_weight": per_weight,
        "operations_per_gradient": ops,
        "extrapolated_all_parameters_seconds": per_weight * net.parameter_count,
    }


def default_proof(sizes: list[int]) -> dict:
    """The default proof of one network, with the method distribution of its summary."""
    der = derive(network(sizes, "sigmoid", "softmax", "cross-entropy"))
    cpu = time.process_time()
    report, seconds = _timed(lambda: prove(der))
    return {
        "sizes": "-".join(map(str, sizes)),
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "summary": report.summary(),
    }


CLI_JOB = ["derive", "--layers", "64,128,64,10", "--output", "softmax", "--loss", "cross-entropy"]


def cli_command() -> dict:
    """``symbp derive ... --format json`` for 64-128-64-10 in a fresh process (default proof)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    job = [sys.executable, "-m", "symbp", *CLI_JOB, "--format", "json"]
    done = subprocess.run(job, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = json.loads(done.stdout)["proof"] if done.returncode == 0 else []
    methods: dict[str, int] = {}
    for line in lines:
        key = line["method"] + (f" ({line['argument']})" if line.get("argument") else "")
        methods[key] = methods.get(key, 0) + 1
    return {
        "command": "symbp " + " ".join(CLI_JOB) + " --format json",
        "exit_status": done.returncode,
        "wall_seconds": wall,
        "cpu_seconds": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "proof_methods": methods,
    }


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8), dpi=110)
    rows = sorted(rows, key=lambda r: r["parameters"])
    xs = [r["parameters"] for r in rows]
    ys = [r["seconds"] for r in rows]
    ax.loglog(xs, ys, "o-", label="symbp delta form (measured)")
    ref = ys[-1] / xs[-1]
    ax.loglog(xs, [ref * x for x in xs], "--", color="grey", label="proportional to parameters")
    for r in rows:
        ax.annotate(
            r["sizes"],
            (r["parameters"], r["seconds"]),
            fontsize=7,
            xytext=(4, -10),
            textcoords="offset points",
        )
    ax.set_xlabel("parameters")
    ax.set_ylabel("seconds to derive every gradient")
    ax.set_title("symbp derive, sigmoid hidden layers, softmax + cross-entropy", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the slowest measurements")
    args = parser.parse_args()
    sizes = SIZES[:-1] if args.quick else SIZES
    derive(network([2, 2], "sigmoid", "softmax", "cross-entropy"))  # warm-up
    rows = [delta_form(s) for s in sizes]
    _, generic_seconds = _timed(
        lambda: derive_generic(output="softmax", loss="cross-entropy", examples=True, l2=True)
    )
    proof_net = network([16, 32, 10], "sigmoid", "softmax", "cross-entropy")
    proof_der = derive(proof_net)
    report, proof_seconds = _timed(lambda: prove(proof_der, method="numeric"))
    defaults = [default_proof([16, 32, 10]), default_proof([64, 128, 64, 10])]
    command = cli_command()
    result = {
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}, SymPy {sympy.__version__}",
        "delta_form": rows,
        "generic_seconds": generic_seconds,
        "proof_16_32_10": {"seconds": proof_seconds, "summary": report.summary()},
        "default_proof": defaults,
        "cli_64_128_64_10": command,
    }
    if not args.quick:
        result["direct_sympy_diff_16_32_10"] = direct_sample()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "derive.json").write_text(json.dumps(result, indent=1) + "\n")
    plot(rows, RESULTS / "derive_growth.png")

    print(f"machine: {result['machine']}\n")
    print("| network | parameters | derive (s) | operations (delta form) |")
    print("|---|---:|---:|---:|")
    for r in rows:
        ops = f"{r['operations']:,}" if "operations" in r else "-"
        print(f"| {r['sizes']} | {r['parameters']:,} | {r['seconds']:.2f} | {ops} |")
    print(f"\ngeneric derivation (softmax + cross-entropy, m, L2): {generic_seconds:.2f} s")
    print(f"numeric proof report 16-32-10: {proof_seconds:.1f} s ({report.summary()})")
    for d in defaults:
        print(f"default proof {d['sizes']}: {d['seconds']:.2f} s ({d['summary']})")
    print(
        f"{command['command']}: {command['wall_seconds']:.1f} s wall, "
        f"{command['cpu_seconds']:.1f} s CPU, exit {command['exit_status']}, "
        f"proof lines by method {command['proof_methods']}"
    )
    if "direct_sympy_diff_16_32_10" in result:
        d = result["direct_sympy_diff_16_32_10"]
        print(
            f"sympy.diff of the composed loss, 16-32-10: {d['seconds_per_weight']:.2f} s per "
            f"first-layer weight, {d['operations_per_gradient']} operations each; "
            f"~{d['extrapolated_all_parameters_seconds']:.0f} s extrapolated to all 874 parameters"
        )


if __name__ == "__main__":
    main()
