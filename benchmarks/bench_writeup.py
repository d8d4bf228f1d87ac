"""How long a writeup takes: concrete networks up to 100 parameters, and the generic derivation
(any depth L; its cost does not depend on L) with its writeup.

Run from the repository root (not a test; the target is under 2 s per writeup):

    python benchmarks/bench_writeup.py
"""

from __future__ import annotations

import time

import symbp
from symbp.derive.generic import derive_generic
from symbp.latex import writeup

CONCRETE = [
    ([2, 2, 1], "sigmoid", "sigmoid", "bce"),
    ([4, 6, 3], "relu", "softmax", "cce"),
    ([5, 8, 4], "tanh", "sigmoid", "mse"),  # 84 parameters
    ([3, 4, 4, 4, 4, 3], "sigmoid", "sigmoid", "mse"),  # 5 layers, 83 parameters
    ([5, 8, 4, 2], "sigmoid", "softmax", "cce"),  # 94 parameters
    ([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], "tanh", "sigmoid", "bce"),  # 10 layers, 60 parameters
]
GENERIC = [
    dict(hidden="sigmoid", output="sigmoid", loss="mse"),
    dict(hidden="relu", output="softmax", loss="cce"),
    dict(hidden="sigmoid", output="sigmoid", loss="bce", bias="unit", examples=True, l2=True),
]


def _time(make) -> float:
    start = time.perf_counter()
    make()
    return time.perf_counter() - start


def main() -> None:
    print(f"{'network':36} {'params':>6} {'markdown s':>11} {'latex s':>8}")
    for sizes, hidden, output, loss in CONCRETE:
        net = symbp.network(sizes, hidden, output, loss)

        def one(fmt: str, net=net) -> None:
            writeup.render(symbp.derive(net), notation="nielsen", fmt=fmt)

        md, tex = _time(lambda: one("markdown")), _time(lambda: one("latex"))
        shown = f"{'-'.join(map(str, sizes))} {hidden}/{output}/{loss}"
        print(f"{shown:36} {net.parameter_count:>6} {md:>11.2f} {tex:>8.2f}")
    for options in GENERIC:

        def generic(fmt: str, options=options) -> None:
            writeup.render(derive_generic(**options), notation="ng", fmt=fmt)

        md, tex = _time(lambda: generic("markdown")), _time(lambda: generic("latex"))
        shown = "generic " + "/".join(str(v) for v in options.values())
        print(f"{shown[:36]:36} {'any':>6} {md:>11.2f} {tex:>8.2f}")


if __name__ == "__main__":
    main()
