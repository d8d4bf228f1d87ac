"""How many steps of symbp's own writeups ``symbp check`` judges valid (issue 8: all but updates).

Run: ``python benchmarks/check_own_writeups.py [--generated] [--layered] [-v]``. Checks every
document in derivations/ against the network its first line names (a generic document against
2-3-2 and 2-3-3-2 networks with its activations), with ``--generated`` also freshly generated
writeups of several networks in every notation and format, and with ``--layered`` (alone: only
these) the ``--input/--net`` writeups of LAYERED in every notation (Markdown). ``-v`` prints
every step that is not valid. Prints valid/total per document and overall; update rules are
counted apart (reported as such).
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERIC_SIZES = ("2,3,2", "2,3,3,2")
GENERATED = [  # (network flags, formats); every notation is tried on each
    "--layers 2,3,2 --hidden sigmoid --loss mse",
    "--layers 2,2,1 --hidden sigmoid --loss bce",
    "--layers 2,3,3 --hidden tanh --output softmax --loss cross-entropy",
    "--layers 3,2,2,1 --hidden relu --output sigmoid --loss bce --examples 2 --l2 1/2",
    "--layers 2,2,2 --hidden tanh --loss mse --bias unit",
    "--generic --hidden relu --output sigmoid --loss bce",
    "--generic --hidden tanh --output softmax --loss cross-entropy --examples 3 --l2 1",
]
NOTATIONS = ("wikipedia", "ng", "nielsen")
KINDS = ("valid", "unreadable", "invalid")
LAYERED = [  # (input, net): symbp derive --input ... --net ... --loss cce --format markdown
    ("3", "dense(3,relu) batchnorm dense(2,softmax)"),
    ("3", "dense(3,tanh) layernorm dense(2,softmax)"),
    ("3x2", "attention(2) meanpool dense(2,softmax)"),
    ("3x2", "residual(attention(2)) last dense(2,softmax)"),
    ("3x2", "lstm(2) last dense(2,softmax)"),
    ("3x2", "residual(layernorm) meanpool dense(2,softmax)"),
    ("1x4x4", "conv2d(2,3,relu,padding=1) maxpool2d(2) flatten dense(3,softmax)"),
    ("3x2", "rnn(2) last dense(2,softmax)"),
]


def _parser():
    from symbp.cli import build_parser

    return build_parser()


def flags_of(document: str) -> list[str]:
    """The ``symbp derive`` flags on a generated document's first line."""
    first = document.split("\n", 1)[0]
    m = re.search(r"symbp derive (.*?)(?:`|$)", first)
    if m is None:
        raise ValueError("no symbp derive command on line 1")
    words = shlex.split(m.group(1))
    out, skip = [], False
    for w in words:
        if skip:
            skip = False
            continue
        if w in ("-o", "--output-file", "--format"):
            skip = True
            continue
        out.append(w)
    return out


def networks_for(flags: list[str]):
    """The concrete networks a document with these flags is checked on, and its notation."""
    from symbp.cli import network_from_args

    parser = _parser()
    generic = "--generic" in flags
    rest = [f for f in flags if f not in ("--generic", "--force")]
    if "--hadamard" in rest:
        i = rest.index("--hadamard")
        rest = rest[:i] + rest[i + 2 :]
    sizes = GENERIC_SIZES if generic else (None,)
    nets, notation = [], "wikipedia"
    for size in sizes:
        argv = ["check", "-", *rest] + (["--layers", size] if size else [])
        args = parser.parse_args(argv)
        nets.append(network_from_args(args))
        notation = args.notation or "wikipedia"
    return nets, notation


def tally(name: str, document: str, verbose: bool) -> tuple[int, int, int, float]:
    """(valid, updates, total) over the document's networks, and the seconds it took."""
    from symbp.check.report import check_text

    nets, notation = networks_for(flags_of(document))
    valid = updates = total = 0
    started = time.perf_counter()
    for net in nets:
        for s in check_text(document, net, notation).steps:
            total += 1
            if s.verdict == "valid":
                valid += 1
            elif "update rule" in s.method:
                updates += 1
            elif verbose:
                print(f"  {name} [{net.describe()}] line {s.line}: {s.verdict}: {s.source}")
                print(f"      {s.method}  {s.hint or ''}")
    return valid, updates, total, time.perf_counter() - started


def generated_documents():
    """(name, text) of writeups made now by symbp for GENERATED in every notation and format."""
    from symbp.cli import network_from_args
    from symbp.latex import writeup_cli

    parser = _parser()
    for flags in GENERATED:
        for notation in NOTATIONS:
            for fmt in ("markdown", "latex"):
                argv = ["derive", *shlex.split(flags), "--notation", notation, "--format", fmt]
                args = parser.parse_args(argv)
                doc = writeup_cli.document(args, network_from_args(args))
                yield f"{flags} --notation {notation} --format {fmt}", doc.text


def layered_tally(verbose: bool) -> list[int]:
    """[valid, unreadable, invalid, total] over the LAYERED writeups in every notation."""
    from symbp.check.report import check_text
    from symbp.latex.writeup_layers import render_layers
    from symbp.model import layered_network

    grand = [0, 0, 0, 0]
    for shape, spec in LAYERED:
        net = layered_network(shape, spec, "cce")
        for notation in NOTATIONS:
            started = time.perf_counter()
            steps = check_text(render_layers(net, notation, "markdown"), net, notation).steps
            counts = [sum(s.verdict == v for s in steps) for v in KINDS]
            grand = [g + c for g, c in zip(grand, [*counts, len(steps)], strict=True)]
            print(f"{counts[0]:4d}/{len(steps):<4d} valid, {counts[1]} unreadable, {counts[2]} "
                  f"invalid  {time.perf_counter() - started:5.1f} s  --input {shape} --net "
                  f"'{spec}' --notation {notation}")  # fmt: skip
            for s in steps if verbose else ():
                if s.verdict != "valid":
                    print(f"  line {s.line}: {s.verdict}: {s.source[:100]}\n      {s.method}")
    print(f"layered total: {grand[0]}/{grand[3]} valid, {grand[1]} unreadable, {grand[2]} invalid")
    return grand


def main(argv: list[str]) -> int:
    cli = argparse.ArgumentParser()
    cli.add_argument("--generated", action="store_true")
    cli.add_argument("--layered", action="store_true")
    cli.add_argument("-v", "--verbose", action="store_true")
    opts = cli.parse_args(argv)
    if opts.layered:
        layered_tally(opts.verbose)
        if not opts.generated:
            return 0
    docs = [(p.name, p.read_text()) for p in sorted((ROOT / "derivations").glob("*.md"))]
    docs += [(p.name, p.read_text()) for p in sorted((ROOT / "derivations").glob("*.tex"))]
    docs = [(n, t) for n, t in docs if n != "README.md"]
    if opts.generated:
        docs += list(generated_documents())
    grand = [0, 0, 0]
    for name, text in docs:
        if networks_for(flags_of(text))[1] not in NOTATIONS:
            print(f"   skipped: the checker does not read its notation  {name}")
            continue
        valid, updates, total, seconds = tally(name, text, opts.verbose)
        grand = [grand[0] + valid, grand[1] + updates, grand[2] + total]
        print(f"{valid:4d}/{total:<4d} valid, {updates} update rules  {seconds:5.1f} s  {name}")
    print(f"total: {grand[0]}/{grand[2]} valid, {grand[1]} update rules, {len(docs)} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
