"""``symbp derive``: derive the backprop equations of a network and show the proof report."""

from __future__ import annotations

import argparse

from symbp.cli import add_network_flags, network_from_args
from symbp.derive.concrete import derive


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("derive", help="derive dC/dw and the delta recursion")
    add_network_flags(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    der = derive(network_from_args(args))
    print(f"network: {der.network.describe()}")
    for symbol, value in der.definitions():
        print(f"{symbol} = {value}")
    for parameter, value in der.gradients.items():
        print(f"dC/d{parameter} = {value}")
    return 0
