"""The LaTeX writeups fit the page (issue 8): pdflatex reports no overfull box wider than 1 pt
for the documents in derivations/ and for wide networks (6 units a layer, softmax, Ng's bias
unit), and the rows broken to fit are still read by ``symbp check`` as the rows they were."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from symbp.check.report import check_text
from symbp.check.split import extract_steps
from symbp.cli import build_parser, network_from_args
from symbp.latex import tex_layout, writeup_cli
from tests.latex_tools import pdflatex

ROOT = Path(__file__).resolve().parent.parent
NO_TEX = (
    "pdflatex is not installed (Debian: texlive-latex-base texlive-latex-extra texlive-pictures)"
)
WIDE = [
    "--layers 6,6,6 --hidden sigmoid --output softmax --loss cross-entropy --notation wikipedia",
    "--layers 6,6,6 --hidden sigmoid --loss bce --bias unit --examples 4 --l2 1/10 --notation ng",
    "--layers 6,6,6 --hidden relu --output sigmoid --loss bce --notation nielsen",
]
OVERFULL = re.compile(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]*")


def _overfull(folder: Path, text: str) -> list[str]:
    """Every overfull hbox wider than 1 pt that pdflatex reports for the document ``text``."""
    log = pdflatex(folder, text)
    return [m.group(0) for m in OVERFULL.finditer(log) if float(m.group(1)) > 1.0]


def _latex(flags: str) -> str:
    args = build_parser().parse_args(["derive", *shlex.split(flags), "--format", "latex"])
    return writeup_cli.document(args, network_from_args(args)).text


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason=NO_TEX)
@pytest.mark.parametrize("path", sorted((ROOT / "derivations").glob("*.tex")), ids=lambda p: p.name)
def test_derivations_latex_has_no_overfull_box(tmp_path, path):
    assert _overfull(tmp_path, path.read_text()) == []


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason=NO_TEX)
@pytest.mark.parametrize("flags", WIDE)
def test_wide_networks_fit_the_page(tmp_path, flags):
    assert _overfull(tmp_path, _latex(flags)) == []


def test_a_long_sum_is_broken_at_its_plus_signs_into_rows_that_fit():
    terms = [f"w_{{1{k}}}^{{2}} a_{{{k}}}^{{1}}" for k in range(1, 30)]
    right = "= " + " + ".join(terms) + " - b_{1}^{2}"
    rows = tex_layout.break_row("z_{1}^{2}", right)
    assert len(rows) > 2 and rows[0][0] == "z_{1}^{2}" and all(not r[0] for r in rows[1:])
    assert all(r[1].startswith("\\quad {}+ ") for r in rows[1:-1])
    assert all(tex_layout.width(r[1]) <= tex_layout.ROW_WIDTH for r in rows)
    joined = " ".join(r[1].removeprefix("\\quad {}") for r in rows)
    assert joined.split() == right.split()
    assert tex_layout.break_row("a", "= b + c") == [("a", "= b + c")]


def test_a_sign_that_opens_a_side_or_sits_in_parentheses_is_never_a_break():
    right = "= - " + " - ".join(f"\\left(x_{{{k}}} + y_{{{k}}}\\right)" for k in range(40))
    rows = tex_layout.break_row("C", right)
    assert rows[0][1].startswith("= - \\left(x_{0} + y_{0}\\right)")
    assert all("\\left(" in r[1] and r[1].count("\\left") == r[1].count("\\right") for r in rows)


def test_an_aligned_block_too_wide_is_broken_at_its_relations():
    long = " \\cdot ".join(
        f"\\frac{{\\partial a_{{{k}}}}}{{\\partial z_{{{k}}}}}" for k in range(9)
    )
    right = f"\\begin{{aligned}}\\delta &= {long} = {long}\\end{{aligned}}"
    ((left, broken),) = tex_layout.break_row("", right)
    assert broken.count("\\\\ &=") == 1 and broken.endswith("\\end{aligned}")


CONTINUED = r"""% symbp: --layers 3,2 --hidden sigmoid --output sigmoid --loss mse
\begin{align*}
z_{1}^{1} &= w_{11}^{1} x_{1} + w_{12}^{1} x_{2} \\
 &\quad {}+ w_{13}^{1} x_{3} + b_{1}^{1} \tag*{\parbox[t]{4cm}{forward, $a = 1$}} \\
 &= b_{1}^{1} + w_{11}^{1} x_{1} \\
 &\quad {}+ w_{12}^{1} x_{2} + w_{13}^{1} x_{3}
\end{align*}
"""


def test_the_checker_reads_a_broken_row_as_one_row_and_ignores_the_reason_tag():
    steps = extract_steps(CONTINUED)
    assert [s.source.split() for s in steps] == [
        "z_{1}^{1} = w_{11}^{1} x_{1} + w_{12}^{1} x_{2} + w_{13}^{1} x_{3} + b_{1}^{1}".split(),
        "w_{11}^{1} x_{1} + w_{12}^{1} x_{2} + w_{13}^{1} x_{3} + b_{1}^{1} = b_{1}^{1} + "
        "w_{11}^{1} x_{1} + w_{12}^{1} x_{2} + w_{13}^{1} x_{3}".split(),
    ]
    args = build_parser().parse_args(["check", "-", "--layers", "3,2"])
    report = check_text(CONTINUED, network_from_args(args), "wikipedia")
    assert [s.verdict for s in report.steps] == ["valid", "valid"]


def test_a_matrix_row_that_starts_with_a_minus_is_not_joined():
    doc = r"$$ v = \begin{pmatrix}1\\ -a\end{pmatrix} = u $$"
    assert [s.right.text for s in extract_steps(doc)][0] == r"\begin{pmatrix}1\\ -a\end{pmatrix}"
