"""Sequence tasks (issue 11): epochs to a test accuracy and wall time of recurrent and attention
networks on symbp's generated sequence data sets, trained with ``symbp.train.train`` (the
compiled NumPy trainer, plain mini-batch SGD), the test accuracy recorded after every epoch.

- ``lstm``: ``lstm(16) last dense(4,softmax)`` on ``first-token`` at T = 15 tokens
  (``first_token(steps=15)``: remember the first of 15), SGD lr 0.5; the compiled trainers start
  the forget-gate biases at 1 (``symbp.compile.layered.FORGET_BIAS``).
- ``rnn``: an Elman ``rnn(16) last dense(4,softmax)``, the same data and setup as ``lstm``.
- ``rnn-lr0.1``: the Elman network at lr 0.1, at which it learns the short sequences (at lr 0.5
  its gradients explode); ``--steps 10 15 20 30`` runs the first-token tasks at other lengths.
- ``attention``: ``attention(8) meanpool dense(4,softmax)`` on ``largest-token`` (the class of
  the token with the largest value, 16 tokens).
- ``attention-raw``: the same attention model fed the raw features (``standardise=False``);
- ``meanpool``: the control for attention, ``meanpool dense(4,softmax)`` on ``largest-token``:
  the same read-out without attention sees only the class counts and the mean value.

The split, the data and the initialisation follow the seed. Run:
``OPENBLAS_NUM_THREADS=1 python benchmarks/sequence_tasks.py [TASK ...] [--seeds 0 1 2]
[--epochs N] [--steps 15] [--json PATH]``."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from epochs_to_accuracy import first_epoch  # noqa: E402

from symbp.data import load_dataset  # noqa: E402
from symbp.data_sequences import first_token  # noqa: E402
from symbp.errors import SymbpError  # noqa: E402
from symbp.model import layered_network  # noqa: E402
from symbp.train import train  # noqa: E402

_FIRST = {"data": "first-token", "steps": 15, "lr": 0.5, "batch": 32, "epochs": 60, "target": 0.9}
_LARGEST = {"data": "largest-token", "lr": 0.3, "batch": 32, "epochs": 30, "target": 0.9}

TASKS = {
    "rnn": {**_FIRST, "net": "rnn(16) last dense(4,softmax)"},
    "rnn-lr0.1": {**_FIRST, "lr": 0.1, "net": "rnn(16) last dense(4,softmax)"},
    "lstm": {**_FIRST, "net": "lstm(16) last dense(4,softmax)"},
    "attention": {**_LARGEST, "net": "attention(8) meanpool dense(4,softmax)"},
    "meanpool": {**_LARGEST, "net": "meanpool dense(4,softmax)"},
    "attention-raw": {
        **_LARGEST,
        "standardise": False,
        "net": "attention(8) meanpool dense(4,softmax)",
    },
}
"""Each task: a data set, a network, the training setup and the target test accuracy."""


def _data(task: dict, seed: int, steps: int | None):
    """The task's data set for this seed; first-token at ``steps`` tokens (or the task's)."""
    if task["data"] == "first-token":
        return first_token(seed, steps=steps or task["steps"])
    return load_dataset(task["data"], seed=seed)


def run_one(name: str, seed: int, epochs: int | None, steps: int | None = None) -> dict:
    """Train one task for one seed; a refusal (SymbpError) is recorded as the row's error."""
    task = TASKS[name]
    data = _data(task, seed, steps if task["data"] == "first-token" else None)
    shape = "x".join(map(str, data.shape))
    row = {"task": name, "data": data.name, "input": shape, "net": task["net"], "seed": seed,
           "lr": task["lr"], "batch": task["batch"], "epochs": epochs or task["epochs"],
           "target": task["target"], "chance": 1 / len(data.classes),
           "standardise": task.get("standardise", True)}  # fmt: skip
    started = time.perf_counter()
    try:
        net = layered_network(shape, task["net"], "cce")
        result = train(net, data, epochs=row["epochs"], lr=task["lr"], batch=task["batch"],
                       seed=seed, standardise=task.get("standardise", True))  # fmt: skip
    except SymbpError as error:
        return {**row, "error": str(error)}
    accuracies = [float(a) for a in result.history.test_accuracy]
    return {
        **row,
        "epochs_to_target": first_epoch(accuracies, task["target"]),
        "final_test_accuracy": accuracies[-1],
        "best_test_accuracy": max(accuracies),
        "final_train_accuracy": float(result.final["train_accuracy"]),
        "test_accuracy": accuracies,
        "seconds": time.perf_counter() - started,
    }


def _line(row: dict) -> str:
    head = f"{row['task']:9s} {row['input']:5s} {row['net']:40s} seed {row['seed']}"
    if "error" in row:
        return f"{head}: not run: {row['error']}"
    return (f"{head}: {row['target']:.0%} at epoch {row['epochs_to_target']}, final test "
            f"{row['final_test_accuracy']:.3f} (train {row['final_train_accuracy']:.3f}, "
            f"chance {row['chance']:.2f}), {row['seconds']:.1f} s")  # fmt: skip


def summary(rows: list[dict]) -> list[str]:
    """One line per (task, input): seeds at the target, their epochs, mean final accuracy.

    >>> rows = [{"task": "t", "input": "4x2", "epochs_to_target": 3, "final_test_accuracy": 0.9},
    ...         {"task": "t", "input": "4x2", "epochs_to_target": None, "final_test_accuracy": 0.5}]
    >>> summary(rows)
    ['t 4x2: target reached in 1/2 seeds, epochs [3]; mean final test accuracy 0.700']
    """
    lines = []
    for key in dict.fromkeys((row["task"], row["input"]) for row in rows):
        mine = [row for row in rows if (row["task"], row["input"]) == key and "error" not in row]
        if not mine:
            lines.append(f"{key[0]} {key[1]}: not run")
            continue
        reached = sorted(r["epochs_to_target"] for r in mine if r["epochs_to_target"] is not None)
        mean = sum(row["final_test_accuracy"] for row in mine) / len(mine)
        lines.append(f"{key[0]} {key[1]}: target reached in {len(reached)}/{len(mine)} seeds, "
                     f"epochs {reached}; mean final test accuracy {mean:.3f}")  # fmt: skip
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", metavar="TASK", help=f"{', '.join(TASKS)} (all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, help="epochs for every task (default: the task's)")
    parser.add_argument("--steps", type=int, nargs="+", help="first-token lengths (the task's)")
    parser.add_argument("--json", help="write the rows (and the machine) here")
    args = parser.parse_args()
    unknown = [name for name in args.tasks if name not in TASKS]
    if unknown:
        parser.error(f"unknown task {unknown[0]!r}; choose from {', '.join(TASKS)}")
    rows = []
    for name in args.tasks or list(TASKS):
        lengths = (args.steps or [None]) if TASKS[name]["data"] == "first-token" else [None]
        runs = [(steps, seed) for steps in lengths for seed in args.seeds]
        for steps, seed in runs:
            rows.append(run_one(name, seed, args.epochs, steps))
            print(_line(rows[-1]), flush=True)
            if "error" in rows[-1]:  # a refusal of the network: the other seeds get the same
                break
    print("\n".join(summary(rows)))
    if args.json:
        machine = {"python": platform.python_version(), "numpy": np.__version__,
                   "processor": platform.processor() or platform.machine()}  # fmt: skip
        with open(args.json, "w") as out:
            json.dump({"machine": machine, "rows": rows}, out, indent=1)
    return 1 if any("error" in row for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
