"""Latency of ``symbp serve`` under load: 40 concurrent ``POST /api/check`` requests against a
real uvicorn server on 127.0.0.1, as the p50 and p95 of the time each request took (queueing
for a free worker included).

Run: ``python benchmarks/bench_web.py [--workers N] [--requests 40]`` (needs the web extra).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_web_server import NORMAL, WRONG, Served  # noqa: E402

THREE_STEPS = r"""% symbp: --layers 2,3,2 --notation nielsen
$$\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)$$
$$\frac{\partial C}{\partial b^l_j} = \delta^l_j$$
$$\frac{\partial C}{\partial w^l_{jk}} = a^{l}_k \delta^l_j$$
"""


def measure(server: Served, document: str, count: int) -> list[float]:
    with ThreadPoolExecutor(max_workers=count) as threads:
        answers = list(
            threads.map(lambda _: server.post("/api/check", {"tex": document}), range(count))
        )
    failed = [a for a in answers if a[0] != 200]
    if failed:
        raise SystemExit(f"{len(failed)} of {count} requests failed: {failed[0][1]}")
    return sorted(a[2] for a in answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default=None, help="worker processes (default: the server's)")
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    flags = ("--workers", args.workers) if args.workers else ()
    started = time.monotonic()
    server = Served(*flags)
    print(f"server up in {time.monotonic() - started:.1f} s")
    try:
        for name, document in (
            ("one valid step", NORMAL),
            ("one invalid step", WRONG),
            ("three steps", THREE_STEPS),
        ):
            times = measure(server, document, args.requests)
            p50 = statistics.median(times)
            p95 = times[max(0, round(0.95 * len(times)) - 1)]
            print(
                f"{args.requests} concurrent checks, {name}: p50 {p50:.2f} s, p95 {p95:.2f} s, "
                f"max {times[-1]:.2f} s"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
