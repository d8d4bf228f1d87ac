"""Which LaTeX reader understands the corpus? (the measurement behind the README's choice)

For every side of every correct step in ``tests/check_corpus``: does symbp's notation reader
read it, and does latex2sympy2_extended 1.11 (``lowercase_symbols=False``) alone? A backend
answer "misreads" when a layer superscript became a power (``w^{l}`` -> ``w**l``) or ``\\log``
became base 10; the rest of its answers are counted as parsed, not as correct.

Run: ``python benchmarks/backend_coverage.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

import sympy

from symbp.check.grammar import parse_side
from symbp.check.split import extract_steps
from symbp.check.tokens import Unreadable

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "check_corpus"
NETWORK_BASES = {"w", "W", "a", "z", "b", "delta", "Theta", "x", "y", "f", "g", "sigma"}


def _misread(expr: sympy.Basic) -> bool:
    for p in expr.atoms(sympy.Pow):
        base = p.base
        if isinstance(base, sympy.Symbol) and base.name.split("_")[0] in NETWORK_BASES:
            return True
    return any(len(lg.args) == 2 for lg in expr.atoms(sympy.log))


def main() -> None:
    from latex2sympy2_extended import latex2sympy
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig

    config = ConversionConfig(lowercase_symbols=False)
    sides = [
        s
        for p in sorted(CORPUS.glob("*_valid.md"))
        for st in extract_steps(p.read_text())
        for s in (st.left.text, st.right.text)
    ]
    ours = backend_ok = backend_misread = 0
    ours_time = backend_time = 0.0
    for text in sides:
        started = time.perf_counter()
        try:
            parse_side(text)
            ours += 1
        except Unreadable:
            pass
        ours_time += time.perf_counter() - started
        started = time.perf_counter()
        try:
            expr = latex2sympy(text, normalization_config=None, conversion_config=config)
            backend_ok += 1
            backend_misread += bool(isinstance(expr, sympy.Basic) and _misread(expr))
        except Exception:  # noqa: BLE001, S112 - counting failures is the point
            pass
        backend_time += time.perf_counter() - started
    n = len(sides)
    print(f"{n} sides of correct steps")
    print(f"symbp notation reader: {ours}/{n} read ({ours_time / n * 1000:.1f} ms/side)")
    print(
        f"latex2sympy2_extended: {backend_ok}/{n} parsed without error, {backend_misread} of "
        f"them with a layer index as a power or log base 10 ({backend_time / n * 1000:.1f} ms/side)"
    )


if __name__ == "__main__":
    main()
