"""``symbp compile``: write a network's derived gradients as a standalone trainer module
(NumPy, JAX or PyTorch: ``--backend``). Printing the module does not need the framework
installed; running it does."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from symbp.cli import add_network_flags, network_from_args
from symbp.compile import DTYPES
from symbp.compile.backends import BACKENDS, backend_source
from symbp.files import check_outputs, write_text
from symbp.notation import DEFAULT, NOTATIONS
from symbp.train import check_trainable


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compile",
        help="compile the derived gradients into a standalone trainer module",
        description="Compile the network's derivation into a module with init_params, "
        "forward, loss, gradients and step (matrix form over a batch) that imports only NumPy, "
        "JAX or PyTorch (--backend); see docs/backends.md.",
    )
    add_network_flags(parser)
    parser.add_argument("-o", "--output-file", metavar="PATH", help="write here (default stdout)")
    parser.add_argument(
        "--force", action="store_true", help="overwrite an existing file; lift the size limit"
    )
    parser.add_argument("--dtype", default="float64", choices=DTYPES, help="default float64")
    parser.add_argument(
        "--backend", default="numpy", choices=BACKENDS, help="the module's framework (numpy)"
    )
    parser.add_argument(
        "--notation", default=DEFAULT, choices=NOTATIONS, help="notation of the comments"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    net = network_from_args(args)
    check_trainable(net, args.force)
    if args.output_file is not None:
        check_outputs([args.output_file], args.force)  # before the work, under its exact name
    source = backend_source(net, args.backend, args.dtype, args.notation)
    if args.output_file is None:
        sys.stdout.write(source)
        return 0
    path = Path(args.output_file)
    write_text(path, source)
    print(f"wrote {path}", file=sys.stderr)
    return 0
