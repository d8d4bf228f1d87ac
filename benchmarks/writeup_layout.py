"""Layout of the writeups: overfull boxes wider than 10 pt when pdflatex compiles the LaTeX
ones, and the width of every display block of the Markdown ones as GitHub shows it (MathJax 3,
a column of 890 px).

    python benchmarks/writeup_layout.py              # LaTeX: every case below, one line each
    python benchmarks/writeup_layout.py --markdown   # Markdown: derivations/*.md, widest block
    python benchmarks/writeup_layout.py --markdown FILE.md ...

The LaTeX report needs pdflatex; it prints each document's overfull boxes over 10 pt (and the
widest), then the total and the number of documents that have any. The Markdown report needs
Playwright and the system Chromium (Debian package ``chromium``); MathJax is the copy vendored
for ``symbp serve`` (symbp/web/static/mathjax), so nothing is fetched. It prints each file's
widest display block in px and every block wider than the column.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import symbp
from symbp.derive.generic import derive_generic
from symbp.latex import writeup

OVERFULL = re.compile(r"Overfull \\hbox \(([\d.]+)pt too wide\)")
LIMIT = 10.0
ROOT = Path(__file__).resolve().parent.parent
MATHJAX = ROOT / "symbp" / "web" / "static" / "mathjax" / "tex-svg-full.js"
COLUMN_PX = 890  # GitHub's Markdown column (a repository's README, 1012 px less its padding)
DISPLAY = re.compile(r"^```math\n(.*?)^```$|\$\$(.*?)\$\$", re.S | re.M)
# GitHub's Markdown body: 16 px system sans-serif in a column; MathJax 3 matches its ex height
PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; font: 16px -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }}
#column {{ width: {width}px; padding: 0 16px; }}
</style><script>window.MathJax = {{ startup: {{ typeset: false }} }};</script>
<script src="{mathjax}"></script></head><body><div id="column"></div></body></html>"""
MEASURE = """(blocks) => {
  const column = document.getElementById("column");
  const metrics = MathJax.getMetricsFor(column, true);
  return blocks.map((tex) => {
    column.innerHTML = "";
    const node = MathJax.tex2svg(tex, Object.assign({}, metrics, {display: true}));
    column.appendChild(node);
    const error = node.querySelector("[data-mjx-error], [data-mml-node='merror']");
    const width = node.querySelector("svg").getBoundingClientRect().width;
    return [width, error ? error.getAttribute("data-mjx-error") || "error" : ""];
  });
}"""

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


def display_blocks(markdown: str) -> list[str]:
    """The TeX of every display block of a Markdown document (```math fences and $$ ... $$).

    >>> display_blocks("text\\n```math\\na = b\\n```\\nand $$c = d$$")
    ['a = b', 'c = d']
    """
    return [(fenced or dollars).strip() for fenced, dollars in DISPLAY.findall(markdown)]


def block_widths(documents: dict[str, str]) -> dict[str, list[tuple[float, str, str]]]:
    """(width in px, MathJax error or "", TeX) of every display block of each Markdown
    document, rendered by MathJax 3 (SVG) in headless Chromium as GitHub lays it out."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    out = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        page_file = Path(tmp) / "page.html"
        page_file.write_text(PAGE.format(width=COLUMN_PX, mathjax=MATHJAX.as_uri()), "utf-8")
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 4000, "height": 1000})
        page.goto(page_file.as_uri())
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("MathJax.startup.promise.then(() => true)")
        for name, text in documents.items():
            blocks = display_blocks(text)
            measured = page.evaluate(MEASURE, blocks)
            out[name] = [(w, e, tex) for (w, e), tex in zip(measured, blocks, strict=True)]
        browser.close()
    return out


def markdown_report(paths: list[Path]) -> int:
    """Print each document's widest display block and every block wider than the column."""
    names = {p: str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths}
    widths = block_widths({names[p]: p.read_text("utf-8") for p in paths})
    widest, over, errors = (0.0, ""), 0, 0
    for name, blocks in widths.items():
        top = max(blocks, default=(0.0, "", ""))
        print(f"{name:44} {len(blocks):3} blocks, widest {top[0]:6.0f} px")
        for width, error, tex in blocks:
            errors += bool(error)
            if error:
                print(f"    MathJax error {error}: {tex[:80]}")
            if width > COLUMN_PX:
                over += 1
                line = max(tex.splitlines(), key=len)
                print(f"    {width:.0f} px: {line[:100]}")
        if top[0] > widest[0]:
            widest = (top[0], name)
    print(
        json.dumps(
            {
                "widest_px": round(widest[0]),
                "in": widest[1],
                "over_column": over,
                "column_px": COLUMN_PX,
                "mathjax_errors": errors,
            }  # fmt: skip
        )
    )
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--markdown"]:
        paths = [Path(p).resolve() for p in sys.argv[2:]]
        return markdown_report(paths or sorted((ROOT / "derivations").glob("*.md")))
    docs = []
    for name, make in CASES:
        der = symbp.derive(make())
        for notation in NOTATIONS:
            docs.append((f"{name} {notation}", writeup.render(der, notation, "latex").text))
    for name, args in GENERIC:
        der = derive_generic(*args)
        for notation in (*NOTATIONS, "ufldl"):  # UFLDL writes a network of any depth only
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
