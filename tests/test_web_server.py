"""``symbp serve`` as a real uvicorn server on 127.0.0.1: it prints its address, answers 40
concurrent checks, and a pathological input gets an error within its limit while a normal
request sent alongside is answered in under 10 s. (Latency is measured by
``benchmarks/bench_web.py``, not asserted here.)"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="symbp serve needs the web extra: pip install -e '.[web]'")
pytest.importorskip("starlette", reason="symbp serve needs the web extra: pip install -e '.[web]'")

REPO = Path(__file__).resolve().parents[1]
TIME_LIMIT = 8  # seconds per check request on the test server
NORMAL = "$$ a^L_j = \\sigma(z^L_j) $$"
WRONG = "$$\\frac{\\partial C}{\\partial b^l_j} = -\\delta^l_j$$"


class Served:
    """A ``symbp serve`` process and the address it printed."""

    def __init__(self, *flags: str) -> None:
        with socket.socket() as s:  # a free port on the loopback
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "symbp", "serve", "--port", str(port), *flags]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        self.first_line = self.process.stdout.readline().strip()
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180  # the workers import SymPy before the first answer
        while True:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"symbp serve did not start: {self.first_line}") from None
                time.sleep(0.5)

    def post(self, path: str, data: dict, timeout: float = 300) -> tuple[int, dict, float]:
        """(status, JSON answer, seconds taken)."""
        body = json.dumps(data).encode()
        request = urllib.request.Request(self.url + path, body, method="POST")
        request.add_header("Content-Type", "application/json")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        return status, json.loads(text), time.monotonic() - started

    def wait_for_workers(self, timeout: float = 180) -> None:
        """Until every worker is up again (a killed one is replaced in the background)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(self.url + "/api/health", timeout=5) as answer:
                health = json.loads(answer.read())
            if health["workers"] == health["size"]:
                return
            time.sleep(0.5)
        raise RuntimeError(f"the workers did not come back: {health}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def served():
    server = Served("--workers", "2", "--time-limit", str(TIME_LIMIT))
    yield server
    server.stop()


def test_serve_prints_its_address_and_listens_on_the_loopback_only(served):
    assert served.first_line == f"symbp serve: {served.url}/ (Ctrl-C stops it)"
    host = socket.gethostbyname(socket.gethostname())
    if host.startswith("127."):
        pytest.skip("this machine has no address but the loopback")
    with (
        pytest.raises(OSError),
        socket.create_connection((host, int(served.url.rsplit(":")[-1])), 2),
    ):
        pass


def test_forty_concurrent_checks_are_all_answered(served):
    documents = [NORMAL if i % 2 else WRONG for i in range(40)]
    with ThreadPoolExecutor(max_workers=40) as threads:
        answers = list(threads.map(lambda d: served.post("/api/check", {"tex": d}), documents))
    verdicts = [a[1]["steps"][0]["verdict"] for a in answers]
    assert [a[0] for a in answers] == [200] * 40
    assert verdicts == ["invalid" if i % 2 == 0 else "valid" for i in range(40)]


@pytest.mark.slow
@pytest.mark.parametrize(
    "tex",
    [
        "$$ a^L_j = " + "{" * 30000 + "x" + "}" * 30000 + " $$",
        "$$ a^L_j = " + "\\frac{1}{" * 3000 + "x" + "}" * 3000 + " $$",
    ],
    ids=["30000 nested braces", "3000 nested fracs"],
)
def test_a_pathological_input_fails_within_its_limit_while_a_normal_one_is_answered(served, tex):
    served.wait_for_workers()  # the worker stopped by the previous case is replaced first
    with ThreadPoolExecutor(max_workers=2) as threads:
        bad = threads.submit(served.post, "/api/check", {"tex": tex})
        time.sleep(0.5)  # the pathological request holds a worker first
        status, answer, seconds = served.post("/api/check", {"tex": NORMAL})
        bad_status, bad_answer, bad_seconds = bad.result()
    assert status == 200 and answer["steps"][0]["verdict"] == "valid" and seconds < 10
    assert bad_seconds < TIME_LIMIT + 5
    if bad_status == 200:  # the checker's own per-step limit answered first
        assert [s["verdict"] for s in bad_answer["steps"]] == ["unreadable"]
    else:
        assert bad_status == 422
        assert (
            bad_answer["error"] == f"took longer than the limit of {TIME_LIMIT} s and was stopped"
        )
    status, answer, _ = served.post("/api/check", {"tex": WRONG})  # and the server goes on
    assert status == 200 and answer["steps"][0]["hint"] == "sign error"


def test_past_the_queue_limit_a_request_gets_503_with_retry_after_and_the_rest_are_served():
    server = Served("--workers", "1", "--queue", "1")
    document = "% symbp: --layers 2,3,2 --notation nielsen\n" + WRONG * 3

    def post(_):
        body = json.dumps({"tex": document}).encode()
        request = urllib.request.Request(server.url + "/api/check", body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=300) as answer:
                return answer.status, answer.headers.get("Retry-After"), json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Retry-After"), json.loads(error.read())

    try:
        with ThreadPoolExecutor(max_workers=8) as threads:
            answers = list(threads.map(post, range(8)))
        after = post(0)
    finally:
        server.stop()
    refused = [a for a in answers if a[0] == 503]
    assert refused and len(refused) <= 6  # one job runs and one waits: at most 6 of 8 refused
    assert all(a[0] in (200, 503) for a in answers)
    for _, retry, answer in refused:
        assert retry == "5" and answer["error"].startswith("the server is busy")
    assert after[0] == 200 and after[2]["steps"][0]["hint"] == "sign error"
