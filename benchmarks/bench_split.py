"""How long the display-math splitter takes on 368 KB documents, unclosed blocks included
(issue 9: it was quadratic, 26 s on an unclosed ``$$``; it must be linear, well under 1 s).

Run: ``python benchmarks/bench_split.py``. Prints the seconds per document and the steps found.
"""

from __future__ import annotations

import time

SIZE = 368_000


def documents() -> dict[str, str]:
    """Hostile and ordinary documents of about SIZE characters each."""
    run = "a = b "
    return {
        "unclosed $$": "$$ " + run * (SIZE // len(run)),
        "unclosed \\[": "\\[ " + run * (SIZE // len(run)),
        "unclosed equation": "\\begin{equation} " + run * (SIZE // len(run)),
        "many unclosed \\[": "\\[ x " * (SIZE // 5),
        "many unclosed equation": "\\begin{equation} x " * (SIZE // 19),
        "many unclosed ```math": "```math\nx\n" * (SIZE // 10),
        "$$ and \\[ alternating": "$$\\[" * (SIZE // 4),
        "many closed steps": "$$a=b$$\n" * (SIZE // 8),
    }


def main() -> None:
    from symbp.check.split import extract_steps

    for name, doc in documents().items():
        started = time.perf_counter()
        steps = len(extract_steps(doc))
        seconds = time.perf_counter() - started
        print(f"{name:26s} {len(doc) // 1000:4d} KB {seconds:6.2f} s  {steps} steps")


if __name__ == "__main__":
    main()
