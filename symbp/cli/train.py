"""``symbp train``: compile a network and train it on a data set, report loss and accuracy."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from symbp import limits, values
from symbp.cli import add_network_flags, network_from_args
from symbp.compile import DTYPES
from symbp.compile.backends import BACKENDS, require_framework
from symbp.data import BUILTIN, load_dataset, targets
from symbp.errors import SymbpError
from symbp.files import check_outputs, os_error
from symbp.train import check_trainable, gradient_check_of, plot_history, terminal_progress, train

PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff", ".webp")

GRADCHECK_TOLERANCE = 1e-5
GRADCHECK_ROWS = 16


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a compiled network on a data set",
        description="Compile the network and train it by gradient descent (full batch unless "
        "--batch), then report the final train and test loss and accuracy.",
    )
    add_network_flags(parser)
    parser.add_argument(
        "--data", required=True, metavar="NAME|FILE", help=f"{', '.join(BUILTIN)}, or .csv/.npz"
    )
    parser.add_argument("--label", help="label column name (CSV header) or array (NPZ)")
    parser.add_argument("--epochs", required=True, help=f"1 to {limits.MAX_EPOCHS}")
    parser.add_argument("--lr", required=True, help="learning rate, > 0")
    parser.add_argument("--batch", help="mini-batch size (default: the full batch)")
    parser.add_argument("--seed", default="0", help="initialisation, split, shuffles (0 to 2^32-1)")
    parser.add_argument(
        "--momentum", nargs="?", const="0.9", default="0", metavar="MU",
        help="momentum in [0, 1) (0.9 if given without a value)",
    )  # fmt: skip
    parser.add_argument("--test-fraction", default="0.25", help="held-out share, in [0, 1)")
    parser.add_argument(
        "--no-standardise", dest="standardise", action="store_false",
        help="feed the features as they are (default: each scaled to the training rows' mean 0 "
        "and spread 1)",
    )  # fmt: skip
    parser.add_argument("--dtype", default="float64", choices=DTYPES)
    parser.add_argument(
        "--backend", default="numpy", choices=BACKENDS, help="the trainer's framework (numpy)"
    )
    parser.add_argument("--plot", metavar="PNG", help="save loss and accuracy curves (.png added)")
    parser.add_argument("--save", metavar="NPZ", help="save the trained parameters (.npz added)")
    parser.add_argument(
        "--force", action="store_true", help="overwrite --plot/--save files; lift size limits"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--gradcheck", action="store_true", help="check gradients against finite differences"
    )
    parser.set_defaults(handler=run)


def _save_path(name: str) -> str:
    """np.savez adds .npz to a name without it: the exact name it will write."""
    return name if name.endswith(".npz") else name + ".npz"


def _plot_path(name: str) -> str:
    """matplotlib picks the format by suffix and adds .png to a name without a known one."""
    return name if Path(name).suffix.lower() in PLOT_SUFFIXES else name + ".png"


def _numbers(args: argparse.Namespace) -> dict[str, object]:
    """Every numeric flag, read strictly (one line naming the range for anything else)."""
    lr = values.parse_float(args.lr, "--lr", 0, 1e10)
    if lr == 0:
        raise SymbpError("--lr must be a number above 0, got '0'")
    batch = None if args.batch is None else values.parse_int(args.batch, "--batch", 1, 10**9)
    return {
        "epochs": values.parse_int(args.epochs, "--epochs", 1, limits.MAX_EPOCHS),
        "lr": lr,
        "batch": batch,
        "seed": values.parse_int(args.seed, "--seed", 0, 2**32 - 1),
        "momentum": values.parse_float(args.momentum, "--momentum", 0, 1, open_hi=True),
        "test_fraction": values.parse_float(
            args.test_fraction, "--test-fraction", 0, 1, open_hi=True
        ),
    }


def run(args: argparse.Namespace) -> int:
    net = network_from_args(args)
    numbers = _numbers(args)
    check_trainable(net, args.force)
    require_framework(args.backend)  # one line, before any data is read
    save = _save_path(args.save) if args.save else None
    plot = _plot_path(args.plot) if args.plot else None
    # checked before training, under the names they will get, so a long run never ends in a refusal
    check_outputs([p for p in (save, plot) if p], args.force)
    data = load_dataset(args.data, label=args.label, seed=numbers["seed"], force=args.force)
    progress = None if args.json else terminal_progress()
    result = train(
        net, data, dtype=args.dtype, progress=progress, backend=args.backend,
        standardise=args.standardise, **numbers,
    )  # fmt: skip
    report = {"data": data.name, "network": net.describe(), **result.final}
    status = 0
    if args.gradcheck:
        rows = min(GRADCHECK_ROWS, len(data))
        X = (data.X[:rows] - result.mean) / result.spread
        Y = targets(data.labels[:rows], net.sizes[-1])
        gap, checked_in = gradient_check_of(result, X, Y)
        report["gradcheck_max_relative_error"] = gap
        report["gradcheck_dtype"] = checked_in
        status = 1 if not gap <= GRADCHECK_TOLERANCE else 0
    if save:
        try:
            np.savez(save, **result.params, mean=result.mean, spread=result.spread)
        except OSError as error:
            raise os_error(save, error) from None
    if plot:
        plot_history(result.history, plot)
    if args.json:
        print(json.dumps(report, indent=1))
        return status
    test = "test (= train: too few rows to split)" if result.final["test_is_train"] else "test "
    print(f"data {data.name}: {result.final['train_rows']} train rows, "
          f"{result.final['test_rows']} test rows; network {net.describe()}")  # fmt: skip
    print(f"train  loss {result.final['train_loss']:.6f}  "
          f"accuracy {100 * result.final['train_accuracy']:.1f}%")  # fmt: skip
    print(f"{test} loss {result.final['test_loss']:.6f}  "
          f"accuracy {100 * result.final['test_accuracy']:.1f}%")  # fmt: skip
    if args.gradcheck:
        verdict = "ok" if status == 0 else "FAILED"
        where = (
            ""
            if args.dtype == "float64"
            else (" (float32 cannot resolve them: the same derived code checked in float64)")
        )
        print(f"gradient check: max relative error {report['gradcheck_max_relative_error']:.2e} "
              f"against central differences{where} ({verdict})")  # fmt: skip
    return status
