"""Latency of ``symbp serve`` under load: 40 concurrent ``POST /api/check`` requests (and 40
``GET /derive`` of a layered network) against a real uvicorn server on 127.0.0.1, as the p50
and p95 of the time each request took (queueing for a free worker included); then the same
checks against a server whose queue holds 2 jobs a worker, counting the 503 answers.

Run: ``python benchmarks/bench_web.py [--workers N] [--requests 40]`` (needs the web extra).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_web_server import NORMAL, WRONG, Served  # noqa: E402

THREE_STEPS = r"""% symbp: --layers 2,3,2 --notation nielsen
$$\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)$$
$$\frac{\partial C}{\partial b^l_j} = \delta^l_j$$
$$\frac{\partial C}{\partial w^l_{jk}} = a^{l}_k \delta^l_j$$
"""


LAYERED = {
    "input": "1x4x4",
    "net": "conv2d(2,3,relu) maxpool2d(2) flatten dense(2,softmax)",
    "loss": "cross-entropy",
}


def get(url: str) -> tuple[int, float, str]:
    """(status, seconds, Retry-After) of one GET."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=300) as answer:
            answer.read()
            status, retry = answer.status, ""
    except urllib.error.HTTPError as error:
        status, retry = error.code, error.headers.get("Retry-After", "")
    return status, time.monotonic() - started, retry


def summary(name: str, times: list[float]) -> str:
    times = sorted(times)
    p50 = statistics.median(times)
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return f"{name}: p50 {p50:.2f} s, p95 {p95:.2f} s, max {times[-1]:.2f} s"


def overflow(flags: tuple, count: int) -> None:
    """40 three-step checks against a queue of 2 jobs a worker: how many get 503, how fast."""
    server = Served(*flags, "--queue", "2")
    try:
        with ThreadPoolExecutor(max_workers=count) as threads:
            answers = list(
                threads.map(lambda _: server.post("/api/check", {"tex": THREE_STEPS}), range(count))
            )
    finally:
        server.stop()
    refused = [a for a in answers if a[0] == 503]
    served = [a for a in answers if a[0] == 200]
    print(
        f"queue of 2 a worker, {count} concurrent three-step checks: {len(served)} answered, "
        f"{len(refused)} refused with 503 ({refused[0][1]['error'] if refused else '-'})"
    )
    if refused:
        print(summary("  the 503 answers", [a[2] for a in refused]))
    if served:
        print(summary("  the answered ones", [a[2] for a in served]))


PATHOLOGICAL = {
    "30,000 nested braces": "$$ a^L_j = " + "{" * 30000 + "x" + "}" * 30000 + " $$",
    "3,000 nested \\frac": "$$ a^L_j = " + "\\frac{1}{" * 3000 + "x" + "}" * 3000 + " $$",
}


def pathological(flags: tuple, limit: int = 8) -> None:
    """Each pathological input beside a normal check, on a server with a time limit of 8 s."""
    server = Served(*flags, "--time-limit", str(limit))
    try:
        for name, tex in PATHOLOGICAL.items():
            server.wait_for_workers()
            with ThreadPoolExecutor(max_workers=2) as threads:
                bad = threads.submit(server.post, "/api/check", {"tex": tex})
                time.sleep(0.5)
                status, _, seconds = server.post("/api/check", {"tex": NORMAL})
                bad_status, bad_answer, bad_seconds = bad.result()
            said = bad_answer.get("error") or bad_answer["steps"][0]["method"]
            print(
                f"{name} (limit {limit} s): {bad_status} in {bad_seconds:.2f} s ({said}); "
                f"the normal check beside it: {status} in {seconds:.2f} s"
            )
    finally:
        server.stop()


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
            print(summary(f"{args.requests} concurrent checks, {name}", times))
        url = f"{server.url}/derive?{urlencode(LAYERED)}"
        with ThreadPoolExecutor(max_workers=args.requests) as threads:
            pages = list(threads.map(lambda _: get(url), range(args.requests)))
        if any(status != 200 for status, _, _ in pages):
            raise SystemExit(f"a layered derive page failed: {pages}")
        print(summary(f"{args.requests} concurrent layered derive pages", [p[1] for p in pages]))
    finally:
        server.stop()
    overflow(flags, args.requests)
    pathological(flags)


if __name__ == "__main__":
    main()
