"""The server's own limits, each named in its refusal: the size of a layered network counted by
its own parameter shapes, and a full queue answered 503 with Retry-After (JSON for the API, one
line on the page)."""

from __future__ import annotations

import html
import math

import pytest

pytest.importorskip("starlette", reason="symbp serve needs the web extra: pip install -e '.[web]'")
testclient = pytest.importorskip(
    "starlette.testclient", reason="Starlette's TestClient needs httpx2 (the webtest extra)"
)

from symbp.model import layered_network  # noqa: E402
from symbp.web import jobs  # noqa: E402
from symbp.web.app import RETRY_AFTER, Limits, create_app  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with testclient.TestClient(create_app(Limits(workers=1))) as c:
        yield c


@pytest.mark.parametrize(
    ("shape", "spec"),
    [
        ("1x8x8", "conv2d(16,3,relu,padding=1) maxpool2d(2) flatten dense(10,softmax)"),
        ("3x8", "rnn(4,tanh) last dense(2,softmax)"),
        ("6", "residual(dense(6,tanh)) dense(2,softmax)"),
    ],
)
def test_a_layered_network_is_counted_by_its_own_parameter_shapes(shape, spec):
    net = layered_network(shape, spec, "cce")
    counted = sum(math.prod(s) for s in net.parameter_shapes.values())
    assert counted == net.parameter_count > 0
    jobs.refuse_large(["derive", f"--input={shape}", f"--net={spec}"])  # under the limit


def test_the_parameter_limit_of_a_layered_network_is_exact():
    # dense(100) on an input of n values: 100 (n + 1) parameters
    jobs.refuse_large(["derive", "--input=999", "--net=dense(100)"])  # 100,000
    with pytest.raises(jobs.SpecError, match=r"has 100,100 parameters \(W1 100x1000, b1 100\)"):
        jobs.refuse_large(["derive", "--input=1000", "--net=dense(100)"])


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"input": "1x8x8", "net": "conv2d(64,3) flatten dense(50)"}, "at most 100,000"),
        (
            {"input": "4", "net": " ".join(["dense(2)"] * 9)},
            "9 layers is over the server's limit of 8",
        ),
        ({"input": "1x200x200", "net": "maxpool2d(100) flatten dense(1)"}, "at most 20,000"),
        ({"input": "4", "net": "dense(2)", "examples": "50"}, "limit of 10"),
    ],
)
def test_a_layered_network_over_a_limit_is_refused_naming_it(client, fields, words):
    answer = client.post("/api/derive", json=fields)
    assert answer.status_code == 400 and words in answer.json()["error"]
    page = client.get("/derive", params=fields)
    assert page.status_code == 400
    assert words in html.unescape(page.text.split('role="alert">', 1)[1].split("</p>")[0])
    trainer = client.get("/compile/download", params=fields)
    assert trainer.status_code == 400 and words in html.unescape(trainer.text)


def test_a_full_queue_is_answered_503_with_retry_after(client):
    pool = client.app.state.server.pool
    saved = pool.max_waiting
    pool.max_waiting = 0
    worker = pool._idle.get_nowait()  # as if its one worker were busy
    try:
        api = client.post("/api/check", json={"tex": "$$ a^L_j = \\sigma(z^L_j) $$"})
        page = client.post("/check", data={"tex": "$$ a^L_j = \\sigma(z^L_j) $$"})
        derive = client.get("/derive", params={"layers": "2,2"})
    finally:
        pool._idle.put_nowait(worker)
        pool.max_waiting = saved
    for answer in (api, page, derive):
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == str(RETRY_AFTER)
    assert api.json()["error"].startswith("the server is busy: every worker is running a job")
    assert "try again in a few seconds" in page.text and "Traceback" not in page.text
    after = client.post("/api/check", json={"tex": "$$ a^L_j = \\sigma(z^L_j) $$"})
    assert after.status_code == 200
