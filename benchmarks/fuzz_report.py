"""How does symbp stand up to hostile input? Counts for issue 9's closing note.

Runs every case of the hostile corpus (tests/hostile_corpus.py) and hypothesis-generated inputs
(junk in every numeric flag, output paths, ``% symbp:`` headers, data files, LaTeX made of
pieces of derivations, and steps a checker must not call valid) through ``symbp.cli.main`` in
forked children with a time and a memory cap (tests/hostile.py), and reports: inputs tried, ok
runs, clean errors, tracebacks, timeouts, bad exits (an error of many lines, exit 0 with an
error, "please report"), overwrites and false verdicts (VALID on a false step). All but the
first three must be zero.

Run: ``python benchmarks/fuzz_report.py [--examples N] [--seconds S] [--json]``; it prints a
Markdown table and every problem it found.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.hostile import CLEAN, OK, run_capped  # noqa: E402
from tests.hostile_corpus import corpus  # noqa: E402

STEP_BODY = r"$$ \delta^L_j = \frac{\partial C}{\partial z^L_j} $$"
JUNK = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="0123456789.,-+eE/²³١٢ \t", max_size=14),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "1/0", "0", "-1", "9" * 40, "1e-400"]),
)


class Tally:
    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self.counts: Counter[str] = Counter()
        self.problems: list[str] = []

    def run(self, family: str, argv: list[str], stdin: bytes = b"", false_step: str = ""):
        """Run one input; ``false_step``: the false step the input holds (never VALID)."""
        outcome = run_capped(argv, self.seconds, 1500, stdin)
        self.counts["tried"] += 1
        self.counts[outcome.kind] += 1
        if outcome.kind not in (CLEAN, OK):
            self.problems.append(f"[{family}] {outcome.describe()}")
        if false_step and outcome.kind == OK and " VALID " in outcome.stdout:
            self.counts["false verdict"] += 1
            self.problems.append(f"[{family}] false verdict: VALID for {false_step}")
        return outcome


def _corpus(tally: Tally, folder: Path) -> None:
    for case in corpus(folder / "corpus"):
        false_step = case.name if case.expect == "not valid" else ""
        outcome = tally.run("corpus", case.argv, case.stdin, false_step)
        if case.expect == "clean" and outcome.kind == OK:
            tally.counts["bad exit"] += 1
            tally.problems.append(f"[corpus] {case.name}: ran, wanted a clean error")
        for path, content in case.untouched.items():
            if Path(path).read_bytes() != content:
                tally.counts["overwritten"] += 1
                tally.problems.append(f"[corpus] {case.name}: overwrote {path}")


def _generated(tally: Tally, folder: Path, examples: int) -> None:
    quiet = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    counter = iter(range(10**9))

    @quiet
    @given(flag=st.sampled_from(["--layers", "--l2", "--examples", "--hidden", "--loss"]), v=JUNK)
    def network_flags(flag: str, v: str) -> None:
        tally.run("network flags", ["compile", flag, v])

    @quiet
    @given(flag=st.sampled_from(["--seed", "--lr", "--epochs", "--momentum", "--batch"]), v=JUNK)
    def train_flags(flag: str, v: str) -> None:
        argv = ["train", "--layers", "2,2,1", "--data", "xor", "--epochs", "1", "--lr", "1"]
        tally.run("train flags", [*argv, flag, v])

    @quiet
    @given(name=st.text(min_size=1, max_size=16).filter(lambda s: not set(s) & {"\0", "/"}))
    def paths(name: str) -> None:
        out = folder / f"paths{next(counter)}"
        out.mkdir()
        (out / "mine.py").write_text("# mine")
        tally.run("output paths", ["compile", "--layers", "2,1", "-o", str(out / name)])
        if (out / "mine.py").read_text() != "# mine":
            tally.counts["overwritten"] += 1

    @quiet
    @given(header=st.text(max_size=60))
    def headers(header: str) -> None:
        doc = folder / f"header{next(counter)}.tex"
        doc.write_text(f"% symbp: {header}\n{STEP_BODY}\n", errors="replace")
        tally.run("headers", ["check", str(doc)])

    @quiet
    @given(rows=st.lists(st.lists(JUNK, min_size=1, max_size=4), min_size=1, max_size=5))
    def data_files(rows: list[list[str]]) -> None:
        path = folder / f"data{next(counter)}.csv"
        path.write_text("\n".join(",".join(c.replace(",", "") for c in r) for r in rows))
        tally.run("data files", ["train", "--data", str(path), "--epochs", "1", "--lr", "1"])

    @quiet
    @given(
        gap=st.sampled_from(["10^{-9}", "10^{-12}", "0.001", "1", "e^{-30}"]),
        big=st.integers(min_value=400, max_value=5000),
    )
    def false_steps(gap: str, big: int) -> None:
        for step in (rf"\delta^L_j = \delta^L_j + {gap}", rf"\delta^L_j = e^{{{big}}}"):
            doc = folder / f"step{next(counter)}.tex"
            doc.write_text(f"$$ {step} $$\n")
            tally.run("false steps", ["check", str(doc)], false_step=step)

    latex_pieces = st.sampled_from(
        [r"\frac{", "}{", "}", "{", "^", "_", r"\sum_{j=1}^{3}", r"\partial ", "C", "w^l_{jk}",
         r"\delta^l_j", "a^{l-1}_k", r"\sigma'(", ")", "(", "=", "+", "-", r"\cdot", "2", "j",
         r"\left(", r"\right)", r"\begin{aligned}", "&", r"\\", "e^{", "!", r"\prod_{n=1}^{9}"]
    )  # fmt: skip

    @quiet
    @given(pieces=st.lists(latex_pieces, min_size=1, max_size=25))
    def latex(pieces: list[str]) -> None:
        doc = folder / f"latex{next(counter)}.tex"
        doc.write_text(f"$$ {' '.join(pieces)} $$\n")
        outcome = tally.run("latex", ["check", str(doc)])
        if "please report" in outcome.stdout:
            tally.counts["bad exit"] += 1
            tally.problems.append(f"[latex] checker error (please report) on {' '.join(pieces)}")

    families = (network_flags, train_flags, paths, headers, data_files, false_steps, latex)
    for family in families:
        family()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40, help="hypothesis examples a family")
    parser.add_argument("--seconds", type=int, default=30, help="time cap of one input")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401

    import symbp.check.report  # noqa: F401  (warm imports: each fork then costs milliseconds)
    import symbp.cli  # noqa: F401
    import symbp.train  # noqa: F401

    tally = Tally(args.seconds)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        _corpus(tally, Path(folder))
        _generated(tally, Path(folder), args.examples)
    rows = ["tried", OK, CLEAN, "traceback", "timeout", "bad exit", "overwritten", "false verdict"]
    if args.json:
        print(json.dumps({row: tally.counts[row] for row in rows}, indent=1))
    else:
        print(f"hostile inputs through `symbp` ({time.monotonic() - started:.0f} s)\n")
        print("| inputs tried | ok runs | clean errors | tracebacks | timeouts | bad exits "
              "| overwrites | false verdicts |")  # fmt: skip
        print("|---:" * len(rows) + "|")
        print("| " + " | ".join(str(tally.counts[row]) for row in rows) + " |")
    for problem in tally.problems:
        print(problem[:400], file=sys.stderr)
    bad = sum(tally.counts[row] for row in rows[3:])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
