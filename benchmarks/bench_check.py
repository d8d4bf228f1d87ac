"""How long ``symbp check`` takes for a 20-step derivation on a 2-3-2 network (issue 4: < 3 s).

Run: ``python benchmarks/bench_check.py``. Prints the time to check the document (the network's
derivation included, as on a cold start) and the time per step; imports are not counted.
"""

from __future__ import annotations

import time

DERIVATION = r"""
$$z_{j}^{l} = \sum_{k} w_{jk}^{l} a_{k}^{l-1} + b_{j}^{l}$$
$$a^{l} = f^{l}(z^{l}) = f^{l}(W^{l} a^{l-1} + b^{l})$$
$$C = \frac{1}{2} \|a^{L} - y\|^{2} = \frac{1}{2} \sum_j (a^{L}_j - y_j)^2$$
$$\nabla_{a^{L}} C = a^{L} - y$$
$$\delta^{L}_{j} = \frac{\partial C}{\partial z^L_j}
  = \frac{\partial C}{\partial a^L_j} (f^{L})'(z^L_j)
  = (a^{L}_{j} - y_{j}) a^{L}_{j} (1 - a^{L}_{j})$$
$$\delta ^{L}=(f^{L})'\circ \nabla _{a^{L}}C$$
$$\delta ^{l-1}=(f^{l-1})'\circ (W^{l})^{T}\cdot \delta ^{l}$$
$$\frac{\partial C}{\partial a^{l-1}_k} = \sum_j w^{l}_{jk} \delta^{l}_{j}$$
$$\delta^{l-1}_k = \sum_j \delta^l_j w^l_{jk} (f^{l-1})'(z^{l-1}_k)$$
$$\frac{\partial C}{\partial w_{jk}^{l}} = \delta_{j}^{l} a_{k}^{l-1}$$
$$\frac{\partial C}{\partial b_{j}^{l}} = \delta_{j}^{l}$$
$$\nabla _{W^{l}}C=\delta ^{l}(a^{l-1})^{T}$$
$$\nabla_{b^{l}} C = \delta^{l}$$
$$\nabla _{x}C=(W^{1})^{T}\cdot (f^{1})'\circ (W^{2})^{T}\cdot (f^{2})'\circ \nabla _{a^{2}}C$$
$$\frac{\partial C}{\partial x_k} = \sum_j w^{1}_{jk} \delta^{1}_j$$
$$(f^{L})' = \operatorname{diag}(a^{L} \circ (1 - a^{L}))$$
"""


def main(repeats: int = 3) -> None:
    from symbp.check import truth
    from symbp.check.report import check_text
    from symbp.check.split import extract_steps
    from symbp.model import network

    steps = len(extract_steps(DERIVATION))
    walls, cpus = [], []
    for _ in range(repeats):
        truth._truth.cache_clear()  # every run derives the network again, as a fresh process does
        wall, cpu = time.perf_counter(), time.process_time()
        report = check_text(DERIVATION, network([2, 3, 2]), "wikipedia")
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    verdicts = [s.verdict for s in report.steps]
    counts = {v: verdicts.count(v) for v in ("valid", "invalid", "unreadable")}
    print(f"{steps} steps on a 2-3-2 network, {repeats} runs (network derivation included):")
    print(f"  wall best {min(walls):.2f} s, median {sorted(walls)[repeats // 2]:.2f} s")
    print(f"  CPU  best {min(cpus):.2f} s ({min(cpus) / steps * 1000:.0f} ms/step)")
    print(f"verdicts: {counts}")


if __name__ == "__main__":
    main()
