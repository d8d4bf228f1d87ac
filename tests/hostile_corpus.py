"""The hostile-input corpus of issue 9: command lines, documents and data files that once gave
a traceback, a hang, runaway memory, an overwrite or a silently wrong answer.

:func:`corpus` writes the files it needs into a folder and returns the cases; each case says
what must come back: ``clean`` (one error line, exit 2), ``ok`` (the command runs), or a
verdict a check must not give (``not valid``). Shared by tests/test_hostile_cli.py and
benchmarks/fuzz_report.py.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

STEP = r"\frac{\partial C}{\partial w^l_{jk}}"


@dataclass
class Case:
    name: str
    argv: list[str]
    expect: str  # "clean", "ok", or "not valid" (a check that must not say VALID)
    stdin: bytes = b""
    untouched: dict[str, bytes] = field(default_factory=dict)  # files that must keep their bytes


def _npz(path: Path, **arrays: np.ndarray) -> str:
    np.savez(path, **arrays)
    return str(path)


def _huge_header_npz(path: Path, rows: int) -> str:
    """An .npz whose X declares ``rows`` x 2 float64 but holds almost nothing."""
    header = {"descr": "<f8", "fortran_order": False, "shape": (rows, 2)}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("X.npy", buffer.getvalue() + b"\0" * 64)
        label = io.BytesIO()
        np.save(label, np.zeros(rows // 10**6, dtype=np.int64))
        archive.writestr("y.npy", label.getvalue())
    return str(path)


def _text(folder: Path, name: str, content: str | bytes) -> str:
    path = folder / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def _network_cases() -> list[Case]:
    derive = ["derive", "--proof", "none"]
    bad_values = {
        "--layers": ["²,³", "2," + "9" * 5000, "2,99999999999999999999", "100000,100000",
                     "0,2", "", "2", "2,,3", "-2,3", "2.5,3", "1e3,2", "٢,٣", "2,3,2" * 400],
        "--l2": ["1/0", "1e5000", "1e100000000", "nan", "inf", "-1", "0x10", "1e-99999", "1/",
                 "(1)", "__import__('os')", "1e7", "--", "١"],
        "--examples": ["-1", "0", "١٢", "1e3", "1000000000000", "1.5", "nan", "2**10"],
        "--hidden": ["leaky_relu(.)", "leaky_relu(1e99999999999999999999)", "leaky_relu(1e999)",
                     "leaky_relu(1e300)", "leaky_relu(__import__('os'))", "sigmoid(1)", "sigmod",
                     "leaky_relu(nan)", "leaky_relu(inf)", "leaky_relu(--1)", "x" * 10000],
        "--loss": ["nope", "", "mse()", "\0"],
        "--bias": ["nope", ""],
    }  # fmt: skip
    cases = []
    for flag, values in bad_values.items():
        for value in values:
            cases.append(Case(f"derive {flag} {value[:30]!r}", [*derive, flag, value], "clean"))
    cases += [
        Case(
            "numeric proof, 10^12 examples",
            ["derive", "--proof", "numeric", "--examples", "1000000000000"],
            "clean",
        ),  # fmt: skip
        Case(
            "numeric proof, 10^5 examples",
            ["derive", "--proof", "numeric", "--examples", "100000"],
            "clean",
        ),  # fmt: skip
        Case("784-1024-10 derive", ["derive", "--layers", "784,1024,10"], "clean"),
        Case("compile 10^5 x 10^5", ["compile", "--layers", "100000,100000"], "clean"),
        Case("--l2 1/3 is a number", [*derive, "--layers", "2,1", "--l2", "1/3"], "ok"),
        Case("--layers=2,1", [*derive, "--layers=2,1"], "ok"),
        Case(
            "leaky_relu(-0.5)", [*derive, "--layers", "2,1", "--hidden", "leaky_relu(-0.5)"], "ok"
        ),  # fmt: skip
        Case("no command", [], "clean"),
        Case("unknown flag", ["derive", "--nope"], "clean"),
    ]
    return cases


def _train_cases(folder: Path) -> list[Case]:
    train = ["train", "--layers", "2,2,1", "--data", "xor", "--epochs", "1", "--lr", "1"]
    bad = {
        "--seed": ["-1", "1e3", "99999999999999999999", "nan", "0x1"],
        "--lr": ["nan", "inf", "0", "-1", "1e999", "1/2", ""],
        "--epochs": ["0", "1.5", "²", "-5", "100000000000"],
        "--batch": ["0", "-1", "nan"],
        "--momentum": ["1", "nan", "-0.1", "2"],
        "--test-fraction": ["0.999", "1", "-0.1", "nan", "inf"],
        "--dtype": ["float16"],
        "--backend": ["tensorflow", "", "numpy;jax"],
    }
    cases = []
    for flag, values in bad.items():
        for value in values:
            data = ["--data", "moons"] if flag == "--test-fraction" else []
            cases.append(Case(f"train {flag} {value!r}", [*train, flag, value, *data], "clean"))
    mine = folder / "mine.png"
    mine.write_bytes(b"my picture")
    kept = folder / "kept.npz"
    kept.write_bytes(b"my parameters")
    folder_out = folder / "a_folder.png"
    folder_out.mkdir(exist_ok=True)
    (folder / "a_folder.npz").mkdir(exist_ok=True)
    cases += [
        Case(
            "--plot X writes X.png",
            [*train, "--plot", str(folder / "mine")],
            "clean",
            untouched={str(mine): b"my picture"},
        ),  # fmt: skip
        Case(
            "--save X writes X.npz",
            [*train, "--save", str(folder / "kept")],
            "clean",
            untouched={str(kept): b"my parameters"},
        ),  # fmt: skip
        Case("--plot a folder", [*train, "--plot", str(folder_out)], "clean"),
        Case("--save a folder", [*train, "--save", str(folder / "a_folder"), "--force"], "clean"),
        Case("--plot in no folder", [*train, "--plot", "/nonexistent/x.png"], "clean"),
        Case("float32 gradcheck", [*train, "--dtype", "float32", "--gradcheck"], "ok"),
    ]
    return cases


def _output_cases(folder: Path) -> list[Case]:
    existing = folder / "existing.py"
    existing.write_bytes(b"# mine")
    fig = folder / "fig.svg"
    cases = [
        Case("compile -o a folder", ["compile", "-o", str(folder)], "clean"),
        Case("compile -o /dev/full", ["compile", "-o", "/dev/full", "--force"], "clean"),
        Case("compile -o /dev/null", ["compile", "-o", "/dev/null"], "clean"),
        Case("compile -o no folder", ["compile", "-o", "/nonexistent/t.py"], "clean"),
        Case(
            "compile -o existing",
            ["compile", "-o", str(existing)],
            "clean",
            untouched={str(existing): b"# mine"},
        ),  # fmt: skip
        Case("markdown -o fig.svg", ["derive", "--format", "markdown", "-o", str(fig)], "clean"),
        Case(
            "markdown -o a folder", ["derive", "--format", "markdown", "-o", str(folder)], "clean"
        ),
        Case(
            "latex -o /dev/full",
            ["derive", "--format", "latex", "-o", "/dev/full", "--force"],
            "clean",
        ),  # fmt: skip
    ]
    return cases


def _check_cases(folder: Path) -> list[Case]:
    body = "$$ \\delta^L_j = \\frac{\\partial C}{\\partial z^L_j} $$\n"
    headers = {
        "header --help": "% symbp: --help",
        "header -h": "% symbp: -h",
        "header 10^5 x 10^5": "% symbp: --layers 100000,100000",
        "header 20-digit size": "% symbp: --layers 2,99999999999999999999",
        "header unknown flag": "% symbp: --nope 1",
        "header bad quote": '% symbp: --layers "2,3',
        "header 10^12 examples": "% symbp: --examples 1000000000000",
        "header l2 1e100000000": "% symbp: --l2 1e100000000",
        "header 5000 characters": "% symbp: --hidden " + "x" * 5000,
        "header leaky_relu(.)": "% symbp: --hidden leaky_relu(.)",
    }
    cases = [
        Case(name, ["check", _text(folder, f"h{i}.tex", f"{line}\n{body}")], "clean")
        for i, (name, line) in enumerate(headers.items())
    ]
    cases += [
        Case(
            "header --layers=2,3,2",
            ["check", _text(folder, "eq.tex", f"% symbp: --layers=2,3,2\n{body}")],
            "ok",
        ),  # fmt: skip
        Case("check /dev/zero", ["check", "/dev/zero"], "clean"),
        Case("check a folder", ["check", str(folder)], "clean"),
        Case("check no file", ["check", str(folder / "nonexistent.tex")], "clean"),
        Case("check binary", ["check", _text(folder, "bin.tex", b"\xff\xfe\x00" * 100)], "clean"),
        Case("check empty", ["check", _text(folder, "empty.tex", "")], "clean"),
        Case("check no equation", ["check", _text(folder, "none.tex", "just text")], "clean"),
        Case("check stdin past the limit", ["check", "-"], "clean", stdin=b"$" * 2_000_100),
        Case(
            "e^{800} is not valid",
            ["check", _text(folder, "inf.tex", f"$$ {STEP} = e^{{800}} $$")],
            "not valid",
        ),  # fmt: skip
        Case(
            "sum over a plain letter",
            ["check", _text(folder, "sum.tex", r"$$ \sum_{j=1}^{3} j = 3 $$")],
            "not valid",
        ),  # fmt: skip
        Case(
            "constant gap 1e-9",
            ["check", _text(folder, "gap.tex", r"$$ \delta^l_j = \delta^l_j + 10^{-9} $$")],
            "not valid",
        ),  # fmt: skip
        Case(
            "1 = 1.000000001",
            ["check", _text(folder, "one.tex", "$$ 1 = 1.000000001 $$")],
            "not valid",
        ),  # fmt: skip
        Case(
            "huge factorial",
            ["check", _text(folder, "fact.tex", "$$ 100000000000! = 1 $$")],
            "not valid",
        ),  # fmt: skip
    ]
    return cases


def _data_cases(folder: Path) -> list[Case]:
    def train(data: str, layers: str = "2,2,1") -> list[str]:
        return ["train", "--layers", layers, "--data", data, "--epochs", "1", "--lr", "1"]

    good = np.random.default_rng(0).normal(size=(20, 2))
    valid = folder / "valid.npz"
    _npz(valid, X=good, y=np.arange(20) % 2)
    truncated = _text(folder, "truncated.npz", valid.read_bytes()[: valid.stat().st_size // 2])
    files = {
        "label 1e30": ("big.csv", "1,2,0\n3,4,1e30\n"),
        "label -1": ("neg.csv", "1,2,0\n3,4,-1\n"),
        "label 0.5": ("half.csv", "1,2,0\n3,4,0.5\n"),
        "labels 0 and 1e9": ("e9.csv", "1,2,0\n3,4,1000000000\n"),
        "complex feature": ("complex.csv", "1+2j,2,0\n3,4,1\n"),
        "unicode digits": ("digits.csv", "١,2,0\n3,4,1\n"),
        "NaN feature": ("nan.csv", "nan,2,0\n3,4,1\n"),
        "1e308 overflows standardisation": ("huge.csv", "1e308,2,0\n-1e308,4,1\n1e308,1,0\n"),
        "ragged": ("ragged.csv", "1,2,0\n3,1\n"),
        "empty csv": ("empty.csv", ""),
        "one column": ("one.csv", "1\n2\n"),
        "header only": ("header.csv", "a,b,label\n"),
        "binary csv": ("binary.csv", b"\xff\xfe\x00\x01" * 50),
        "huge field": ("field.csv", "1," + "2" * 200_000 + ",0\n"),
        "corrupt npz": ("corrupt.npz", b"PK\x03\x04" + b"\x00garbage" * 50),
        "random bytes npz": ("random.npz", bytes(range(256)) * 4),
    }
    cases = [Case(name, train(_text(folder, f, c)), "clean") for name, (f, c) in files.items()]
    cases += [
        Case("truncated npz", train(truncated), "clean"),
        Case(
            "complex npz", train(_npz(folder / "cx.npz", X=good + 1j, y=np.arange(20) % 2)), "clean"
        ),  # fmt: skip
        Case(
            "object npz",
            train(_npz(folder / "obj.npz", X=np.array([[1, "a"]], dtype=object), y=np.array([0]))),
            "clean",
        ),  # fmt: skip
        Case(
            "npz declaring 200M rows",
            train(_huge_header_npz(folder / "huge.npz", 200_000_000)),
            "clean",
        ),  # fmt: skip
        Case("npy renamed npz", train(_text(folder, "plain.npz", _npy_bytes(good))), "clean"),
        Case("npz without y", train(_npz(folder / "noy.npz", X=good)), "clean"),
        Case(
            "npz 3-d X",
            train(_npz(folder / "3d.npz", X=np.zeros((2, 2, 2)), y=np.zeros(2))),
            "clean",
        ),  # fmt: skip
        Case(
            "BOM on the first row",
            train(_text(folder, "bom.csv", "\ufeff1,2,0\n3,4,1\n5,6,0\n")),
            "ok",
        ),  # fmt: skip
        Case("valid npz", train(str(valid)), "ok"),
        Case("data /dev/zero", train("/dev/zero"), "clean"),
    ]
    return cases


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def corpus(folder: Path) -> list[Case]:
    """Every case of the corpus, with its files written under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        *_network_cases(),
        *_train_cases(folder),
        *_output_cases(folder),
        *_check_cases(folder),
        *_data_cases(folder),
    ]
