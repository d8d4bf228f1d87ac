"""Layout of the LaTeX writeups: overfull boxes wider than 10 pt when pdflatex compiles them.

    python benchmarks/writeup_layout.py            # every case below; one line per document

Needs pdflatex. Prints each document's overfull boxes over 10 pt (and the widest), then the
total and the number of documents that have any.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import symbp
from symbp.derive.generic import derive_generic
from symbp.latex import writeup

OVERFULL = re.compile(r"Overfull \\hbox \(([\d.]+)pt too wide\)")
LIMIT = 10.0

CASES = [
    ("2-2-1 sigmoid bce", lambda: symbp.network([2, 2, 1], "sigmoid", "sigmoid", "bce")),
    (
        "2-3-2 ng unit l2",
        lambda: symbp.network(
            [2, 3, 2], "sigmoid", "sigmoid", "bce", bias="unit", examples=4, l2="1/10"
        ),
    ),
    ("2-3-3 softmax", lambda: symbp.network([2, 3, 3], "sigmoid", "softmax", "cross-entropy")),
    ("2-3-1 relu", lambda: symbp.network([2, 3, 1], "relu", "sigmoid", "bce")),
    ("6-6-6 sigmoid", lambda: symbp.network([6, 6, 6], "sigmoid", "sigmoid", "mse")),
    ("6-6-6 softmax", lambda: symbp.network([6, 6, 6], "tanh", "softmax", "cross-entropy")),
    (
        "6-6-6 ng",
        lambda: symbp.network(
            [6, 6, 6], "sigmoid", "sigmoid", "bce", bias="unit", examples=2, l2=1
        ),
    ),
]
GENERIC = [
    ("generic sigmoid mse", ("sigmoid", "sigmoid", "mse", "explicit", False, False)),
    ("generic softmax", ("sigmoid", "softmax", "cross-entropy", "explicit", False, False)),
    ("generic ng", ("sigmoid", "sigmoid", "bce", "unit", True, True)),
]
NOTATIONS = ("wikipedia", "ng", "nielsen")


def overfull(tex: str) -> list[float]:
    """Widths (pt) of the overfull boxes pdflatex reports for one document."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.tex"
        path.write_text(tex, encoding="utf-8")
        run = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
        out = subprocess.run(run, cwd=tmp, capture_output=True, text=True, timeout=300)
        return [float(w) for w in OVERFULL.findall(out.stdout)]


def main() -> int:
    docs = []
    for name, make in CASES:
        der = symbp.derive(make())
        for notation in NOTATIONS:
            docs.append((f"{name} {notation}", writeup.render(der, notation, "latex").text))
    for name, args in GENERIC:
        der = derive_generic(*args)
        for notation in NOTATIONS:
            docs.append((f"{name} {notation}", writeup.render(der, notation, "latex").text))
    total, with_any = 0, 0
    for name, tex in docs:
        wide = [w for w in overfull(tex) if w > LIMIT]
        total += len(wide)
        with_any += bool(wide)
        widest = max(wide, default=0)
        print(f"{name:32} {len(wide):3} boxes over {LIMIT:.0f} pt, widest {widest:.1f} pt")
    print(f"{total} overfull boxes over {LIMIT:.0f} pt in {with_any} of {len(docs)} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
