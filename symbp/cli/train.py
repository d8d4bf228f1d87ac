"""``symbp train``: compile a network and train it on a data set, report loss and accuracy."""

from __future__ import annotations

import argparse
import json

import numpy as np

from symbp.cli import add_network_flags, network_from_args
from symbp.compile import DTYPES
from symbp.data import BUILTIN, load_dataset, targets
from symbp.errors import SymbpError
from symbp.files import refuse_overwrite
from symbp.train import gradient_check, plot_history, terminal_progress, train

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
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--lr", type=float, required=True, help="learning rate")
    parser.add_argument("--batch", type=int, help="mini-batch size (default: the full batch)")
    parser.add_argument("--seed", type=int, default=0, help="initialisation, split, shuffles")
    parser.add_argument(
        "--momentum", type=float, nargs="?", const=0.9, default=0.0, metavar="MU",
        help="momentum (0.9 if given without a value)",
    )  # fmt: skip
    parser.add_argument("--test-fraction", type=float, default=0.25, help="held-out share")
    parser.add_argument("--dtype", default="float64", choices=DTYPES)
    parser.add_argument("--plot", metavar="PNG", help="save loss and accuracy curves")
    parser.add_argument("--save", metavar="NPZ", help="save the trained parameters")
    parser.add_argument("--force", action="store_true", help="overwrite --plot/--save files")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--gradcheck", action="store_true", help="check gradients against finite differences"
    )
    parser.set_defaults(handler=run)


def _save_path(name: str) -> str:
    """np.savez adds .npz to a name without it."""
    return name if name.endswith(".npz") else name + ".npz"


def run(args: argparse.Namespace) -> int:
    net = network_from_args(args)
    outputs = [_save_path(args.save)] if args.save else []
    # checked before training, so that a long run never ends in a refusal
    refuse_overwrite(outputs + ([args.plot] if args.plot else []), args.force)
    data = load_dataset(args.data, label=args.label, seed=args.seed)
    progress = None if args.json else terminal_progress()
    result = train(
        net,
        data,
        epochs=args.epochs,
        lr=args.lr,
        batch=args.batch,
        seed=args.seed,
        momentum=args.momentum,
        dtype=args.dtype,
        test_fraction=args.test_fraction,
        progress=progress,
    )
    report = {"data": data.name, "network": net.describe(), **result.final}
    status = 0
    if args.gradcheck:
        rows = min(GRADCHECK_ROWS, len(data))
        X = (data.X[:rows] - result.mean) / result.spread
        Y = targets(data.labels[:rows], net.sizes[-1])
        gap = gradient_check(result.trainer, result.params, X, Y)
        report["gradcheck_max_relative_error"] = gap
        # float32 cannot resolve central differences to 1e-5; report the gap, judge float64 only
        status = 1 if args.dtype == "float64" and gap > GRADCHECK_TOLERANCE else 0
    if args.save:
        try:
            np.savez(args.save, **result.params, mean=result.mean, spread=result.spread)
        except OSError as error:
            raise SymbpError(f"cannot write {args.save}: {error.strerror}") from None
    if args.plot:
        plot_history(result.history, args.plot)
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
        print(f"gradient check: max relative error {report['gradcheck_max_relative_error']:.2e} "
              f"against central differences ({verdict})")  # fmt: skip
    return status
