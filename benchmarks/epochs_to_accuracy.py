"""Epochs to a test accuracy: the same network with and without a layer, trained the same way
(issue 11: an MLP with batch norm trains on digits at least as fast, in epochs to 97%, as
without it). Each run trains with ``symbp.train.train`` (the compiled NumPy trainer, plain SGD)
and records the test accuracy after every epoch; the split and the initialisation follow the
seed, so the two networks of one seed see the same split.

Run: ``python benchmarks/epochs_to_accuracy.py [--seeds 0 1 2] [--epochs 20] [--json PATH]``.

Batch norm runs in training mode only (symbp has no running averages yet), so its test
accuracy is that of the whole test split taken as one batch.
"""

from __future__ import annotations

import argparse
import json
import time

_DIGITS = {"data": "digits", "input": "64", "loss": "cce", "lr": 0.1, "batch": 32, "target": 0.97}

COMPARISONS = {
    "batchnorm": {
        **_DIGITS,
        "nets": {
            "relu mlp": "dense(64,relu) dense(10,softmax)",
            "relu mlp + batchnorm": "dense(64,relu) batchnorm dense(10,softmax)",
        },
    },
    "batchnorm-deep": {
        **_DIGITS,
        "nets": {
            "sigmoid mlp": "dense(64,sigmoid) dense(64,sigmoid) dense(10,softmax)",
            "sigmoid mlp + batchnorm": (
                "dense(64,sigmoid) batchnorm dense(64,sigmoid) batchnorm dense(10,softmax)"
            ),
        },
    },
}
"""Each comparison: one data set and training setup, two networks that differ by one layer."""


def first_epoch(accuracies: list[float], target: float) -> int | None:
    """The 1-based epoch of the first test accuracy at or above ``target``.

    >>> first_epoch([0.9, 0.97, 0.99], 0.97), first_epoch([0.5], 0.9)
    (2, None)
    """
    return next((i for i, a in enumerate(accuracies, start=1) if a >= target), None)


def run(name: str, seeds: list[int], epochs: int) -> list[dict]:
    from symbp.data import load_dataset
    from symbp.model import layered_network
    from symbp.train import train

    setup = COMPARISONS[name]
    rows = []
    for label, spec in setup["nets"].items():
        net = layered_network(setup["input"], spec, setup["loss"])
        for seed in seeds:
            data = load_dataset(setup["data"], seed=seed)
            started = time.perf_counter()
            result = train(net, data, epochs=epochs, lr=setup["lr"], batch=setup["batch"],
                           seed=seed)  # fmt: skip
            accuracies = [float(a) for a in result.history.test_accuracy]
            rows.append({
                "comparison": name, "net": label, "spec": spec, "seed": seed,
                "epochs_to_target": first_epoch(accuracies, setup["target"]),
                "target": setup["target"], "final_test_accuracy": accuracies[-1],
                "test_accuracy": accuracies, "seconds": time.perf_counter() - started,
            })  # fmt: skip
            row = rows[-1]
            print(f"{label:24s} seed {seed}: {setup['target']:.0%} at epoch "
                  f"{row['epochs_to_target']}, final {row['final_test_accuracy']:.3f} "
                  f"({row['seconds']:.1f} s)", flush=True)  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("comparison", nargs="?", default="batchnorm", choices=COMPARISONS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--json", help="write the rows here")
    args = parser.parse_args()
    rows = run(args.comparison, args.seeds, args.epochs)
    for label in COMPARISONS[args.comparison]["nets"]:
        mine = [row for row in rows if row["net"] == label]
        reached = [row["epochs_to_target"] for row in mine if row["epochs_to_target"]]
        mean = sum(row["final_test_accuracy"] for row in mine) / len(mine)
        print(
            f"{label:24s} reached {mine[0]['target']:.0%} in {len(reached)}/{len(mine)} "
            f"seeds, epochs {sorted(reached)}; mean final test accuracy {mean:.3f}"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=1)


if __name__ == "__main__":
    main()
