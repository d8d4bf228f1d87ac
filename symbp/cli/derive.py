"""``symbp derive``: derive the backprop equations of a network and show the proof report."""

from __future__ import annotations

import argparse
import json

from symbp.cli import add_network_flags, network_from_args
from symbp.derive.concrete import derive
from symbp.derive.cost import cost_comparison
from symbp.derive.export import to_json, to_text
from symbp.derive.generic import derive_generic_for
from symbp.derive.generic_export import to_json as generic_json
from symbp.derive.layer_index_export import to_json as layered_json
from symbp.derive.layered_text import report as layered_report
from symbp.derive.matrix_text import text
from symbp.derive.proof import prove
from symbp.errors import SpecError
from symbp.flags import check_symbolic_size, split_activations
from symbp.latex import writeup_cli
from symbp.model import LayeredNetwork

FORMATS = ("text", "json", *writeup_cli.FORMATS)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "derive",
        help="derive dC/dw and the delta recursion, and prove them",
        description="Derive every gradient of a network by the chain rule and prove each one "
        "equal to direct differentiation of the composed loss.",
    )
    add_network_flags(parser)
    parser.add_argument("--format", default="text", choices=FORMATS, help="output format")
    parser.add_argument(
        "--proof",
        default="auto",
        choices=("auto", "symbolic", "composed", "induction", "numeric", "none"),
        help="how to check each gradient (default auto: up to 100 parameters the composed "
        "loss, past it induction over the layers; whatever no proof covers is compared "
        "numerically with 60 digits)",
    )
    parser.add_argument("--generic", action="store_true", help="any depth L, symbolic widths")
    writeup_cli.add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    net = network_from_args(args)
    if args.generic and len(split_activations(args.hidden)) > 1:
        raise SpecError(
            f"--generic derives one hidden activation for every layer; --hidden {args.hidden} "
            "is a list (give one name, or drop --generic for the per-layer derivation)"
        )
    if args.output_file and args.format not in writeup_cli.FORMATS:
        raise SpecError(
            f"-o writes the markdown and latex writeups; --format {args.format} prints to the "
            "terminal (redirect it: > FILE)"
        )
    if isinstance(net, LayeredNetwork):
        if args.generic:
            raise SpecError("--generic is for --layers networks (any depth); a --net network "
                            "has its own sizes")  # fmt: skip
        if args.format == "json":
            print(json.dumps(layered_json(net), indent=1))
        elif args.format in writeup_cli.FORMATS:
            return writeup_cli.run_layered(args, net)
        else:
            print(layered_report(net))
        return 0
    if not args.generic:
        check_symbolic_size(net, args.force, proof=args.proof != "none")
    if args.format in writeup_cli.FORMATS:
        return writeup_cli.run(args, net)
    if args.generic:
        generic = derive_generic_for(net)
        if args.format == "json":
            print(json.dumps(generic_json(generic, net), indent=1))
            return 0
        print(generic)
        print("\nnaively computing forwards (every delta written out in full):")
        for head, chain in generic.naive_deltas():
            print(f"  {text(head)}" + ("" if chain is None else f" = {text(chain)}"))
        cost = cost_comparison(net)
        print(f"\ncost for {'-'.join(map(str, net.sizes))}: {cost.explanation}")
        return 0
    der = derive(net, force=args.force)
    report = None if args.proof == "none" else prove(der, method=args.proof)
    if args.format == "json":
        data = to_json(der)
        if report is not None:
            data["proof"] = [line.__dict__ for line in report.lines]
        print(json.dumps(data, indent=1))
    else:
        print(to_text(der))
        if report is not None:
            print()
            print(report)
    return 0 if report is None or report.ok else 1
