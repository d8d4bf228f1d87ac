"""Every display block of the Markdown writeups fits GitHub's column (890 px) as MathJax 3
renders it, measured in headless Chromium by benchmarks/writeup_layout.py (the MathJax copy
vendored for ``symbp serve``; nothing is fetched): derivations/ and generated writeups of
networks up to 6 units per layer, softmax and Ng's included."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

import symbp
from symbp.latex import writeup

pytest.importorskip("playwright.sync_api", reason="the width test needs playwright")
if not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
    pytest.skip("the width test needs the system Chromium", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent


def _layout():
    path = ROOT / "benchmarks" / "writeup_layout.py"
    spec = importlib.util.spec_from_file_location("writeup_layout", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LAYOUT = _layout()


def _too_wide(documents: dict[str, str]) -> list[tuple[str, float, str]]:
    out = []
    for name, blocks in LAYOUT.block_widths(documents).items():
        assert blocks or name.endswith("README.md"), name
        for width, error, tex in blocks:
            assert not error, (name, error, tex[:80])
            if width > LAYOUT.COLUMN_PX:
                out.append((name, round(width), max(tex.splitlines(), key=len)[:80]))
    return out


def test_no_block_of_derivations_is_wider_than_the_column():
    documents = {p.name: p.read_text("utf-8") for p in (ROOT / "derivations").glob("*.md")}
    assert _too_wide(documents) == []


@pytest.mark.slow
def test_no_block_of_a_six_unit_writeup_is_wider_than_the_column():
    nets = {
        "6-6-6 softmax": symbp.network([6, 6, 6], "tanh", "softmax", "cross-entropy"),
        "6-6-6 ng": symbp.network(
            [6, 6, 6], "sigmoid", "sigmoid", "bce", bias="unit", examples=2, l2=1
        ),
        "mixed": symbp.network([2, 2, 2, 2, 1], activations=["relu", "tanh", "sigmoid", "sigmoid"]),
    }
    documents = {}
    for name, net in nets.items():
        der = symbp.derive(net)
        for notation in ("wikipedia", "ng", "nielsen"):
            text = writeup.render(der, notation, svg_name=None).text
            documents[f"{name} {notation}"] = text
    assert _too_wide(documents) == []
