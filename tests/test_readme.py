"""The Python examples of the README and of every page in docs/ run as written, and their
links point at files that exist."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]


def _doctest(path: Path) -> doctest.TestResults:
    return doctest.testfile(
        str(path), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )


def test_readme_examples_run():
    result = _doctest(README)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("page", PAGES[1:], ids=lambda p: p.name)
def test_docs_examples_run(page: Path):
    assert _doctest(page).failed == 0


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_point_at_files(page: Path):
    text = page.read_text()
    targets = re.findall(r"\]\(([^)#\s]+)\)", text)
    missing = [t for t in targets if "://" not in t and not (page.parent / t).exists()]
    assert not missing, f"{page.name} links to missing files: {missing}"
