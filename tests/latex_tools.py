"""pdflatex for the tests: compile a document in a folder, fail on any LaTeX error, and return
the log (the layout tests read its overfull boxes). Tests that call it skip where pdflatex is
missing (``needs_pdflatex``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

needs_pdflatex = pytest.mark.skipif(
    shutil.which("pdflatex") is None,
    reason="pdflatex is not installed (Debian: texlive-latex-base, texlive-latex-extra)",
)


def pdflatex(folder: Path, text: str, name: str = "w.tex") -> str:
    """Compile ``text`` as ``folder/name``; the run must succeed with no error; its log."""
    (folder / name).write_text(text, encoding="utf-8")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:]
    assert "\n! " not in run.stdout, run.stdout[-2000:]
    return (folder / name).with_suffix(".log").read_text(errors="replace")


OVERFULL = re.compile(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]*")


def overfull(log: str, points: float = 1.0) -> list[str]:
    """The overfull hboxes wider than ``points`` that a pdflatex log reports."""
    return [m.group(0) for m in OVERFULL.finditer(log) if float(m.group(1)) > points]


def unbroken(markdown: str) -> str:
    """A writeup's Markdown with the row breaks that fit it to the column undone (a long sum
    continues on a new row as ``\\\\ &\\quad {}+ ...``): what a step's printed side looked like
    before the layout, for tests that look for it verbatim."""
    return re.sub(r" \\\\\n &\\quad \{\}", " ", markdown)
