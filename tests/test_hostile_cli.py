"""Hostile command lines: the corpus of issue 9 and hypothesis-made flags, each run through
``symbp.cli.main`` in a forked child with a time and a memory cap (tests/hostile.py).

Every case must end as ``ok`` (the command ran) or a ``clean error`` (one line, exit 2): never a
traceback, a timeout, runaway memory or a file of the user's overwritten. The checker's verdicts
on the corpus (``not valid`` cases) are counted by benchmarks/fuzz_report.py.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import CLEAN, OK, run_capped
from tests.hostile_corpus import corpus

pytestmark = pytest.mark.slow

SECONDS, MEGABYTES = 30, 1500
_FOLDER: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _warm_imports() -> None:
    """Import what the children use once, so that each fork costs milliseconds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401

    import symbp.check.report  # noqa: F401
    import symbp.cli  # noqa: F401
    import symbp.train  # noqa: F401


def _cases(tmp: Path) -> list:
    return [case for case in corpus(tmp) if case.expect in ("clean", "ok")]


def test_the_corpus_gives_clean_errors_and_overwrites_nothing(tmp_path: Path) -> None:
    problems = []
    cases = _cases(tmp_path)
    for case in cases:
        outcome = run_capped(case.argv, SECONDS, MEGABYTES, case.stdin)
        wanted = CLEAN if case.expect == "clean" else OK
        if outcome.kind != wanted:
            problems.append(f"{case.name}: wanted {wanted}; {outcome.describe()}")
        for path, content in case.untouched.items():
            if Path(path).read_bytes() != content:
                problems.append(f"{case.name}: overwrote {path}")
    assert len(cases) > 120
    assert not problems, "\n".join(problems)


_JUNK = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="0123456789.,-+eE/²³١٢ \t", max_size=14),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "1/0", "0", "-1", "9" * 40, "1e-400"]),
)
_NUMERIC_FLAGS = st.sampled_from(["--layers", "--l2", "--examples", "--hidden", "--output"])
_TRAIN_FLAGS = st.sampled_from(
    ["--seed", "--lr", "--epochs", "--batch", "--momentum", "--test-fraction"]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(flag=_NUMERIC_FLAGS, value=_JUNK)
def test_network_flags_take_any_text(flag: str, value: str) -> None:
    outcome = run_capped(["compile", flag, value], SECONDS, MEGABYTES)
    assert outcome.kind in (CLEAN, OK), outcome.describe()


@settings(max_examples=25, deadline=None)
@given(flag=_TRAIN_FLAGS, value=_JUNK)
def test_training_flags_take_any_text(flag: str, value: str) -> None:
    argv = ["train", "--layers", "2,2,1", "--data", "xor", "--epochs", "1", "--lr", "1"]
    outcome = run_capped([*argv, flag, value], SECONDS, MEGABYTES)
    assert outcome.kind in (CLEAN, OK), outcome.describe()


@settings(max_examples=10, deadline=None)
@given(
    name=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0/"),
        min_size=1,
        max_size=20,
    ).filter(lambda s: s not in (".", "..")),
    suffix=st.sampled_from(["", ".py", ".svg", "/", "/x.py"]),
)
def test_output_paths_take_any_name(tmp_path_factory, name: str, suffix: str) -> None:
    folder = tmp_path_factory.mktemp("out")
    (folder / "existing.py").write_text("# mine")
    path = str(folder / name) + suffix
    outcome = run_capped(["compile", "--layers", "2,1", "-o", path], SECONDS, MEGABYTES)
    assert outcome.kind in (CLEAN, OK), outcome.describe()
    assert (folder / "existing.py").read_text() == "# mine"


@settings(max_examples=15, deadline=None)
@given(header=st.text(max_size=60))
def test_a_document_header_takes_any_text(tmp_path_factory, header: str) -> None:
    document = tmp_path_factory.mktemp("doc") / "d.tex"
    body = "$$ \\delta^L_j = \\frac{\\partial C}{\\partial z^L_j} $$\n"
    document.write_text(f"% symbp: {header}\n{body}", encoding="utf-8", errors="replace")
    outcome = run_capped(["check", str(document)], SECONDS, MEGABYTES)
    assert outcome.kind in (CLEAN, OK), outcome.describe()


# every command that writes a file, with the modules it imports on the way (imported before
# the child drops to user nobody, whose permissions are then checked even when CI runs as root)
_WRITERS = {
    "compile": (["compile", "--layers", "2,2,1"], ("symbp.cli", "symbp.compile.module")),
    "derive latex": (
        ["derive", "--layers", "2,2,1", "--format", "latex"],
        ("symbp.cli", "symbp.latex.writeup_cli", "symbp.latex.picture"),
    ),
    "train --plot": (
        ["train", "--layers", "2,2,1", "--data", "xor", "--epochs", "1", "--lr", "1"],
        ("symbp.cli", "symbp.train", "matplotlib.pyplot"),
    ),
    "train --save": (
        ["train", "--layers", "2,2,1", "--data", "xor", "--epochs", "1", "--lr", "1"],
        ("symbp.cli", "symbp.train", "symbp.data", "symbp.compile.module"),
    ),
}


@pytest.mark.parametrize("name", sorted(_WRITERS))
def test_a_read_only_folder_is_one_clean_line(name: str) -> None:
    # not under pytest's tmp_path: its parents are private to root, so user nobody could not
    # even look into them, and the case would be "permission denied", not "read-only folder"
    top = Path(tempfile.mkdtemp(prefix="symbp-ro-"))
    top.chmod(0o755)
    folder = top / "read-only"
    folder.mkdir(mode=0o555)
    folder.chmod(0o555)
    try:
        _write_into(folder, name)
    finally:
        shutil.rmtree(top)


def _write_into(folder: Path, name: str) -> None:
    argv, modules = _WRITERS[name]
    flag = {"train --save": "--save", "train --plot": "--plot"}.get(name, "-o")
    target = [flag, str(folder / "out")]
    outcome = run_capped(argv + target, SECONDS, MEGABYTES, unprivileged=modules)
    assert outcome.kind == CLEAN, outcome.describe()
    assert f"the folder {folder} is not writable" in outcome.stderr, outcome.describe()
    assert list(folder.iterdir()) == []
