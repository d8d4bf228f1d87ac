"""The compile page offers every backend, and its download is the command line's file."""

from __future__ import annotations

import pytest

from symbp.cli import main

testclient = pytest.importorskip(
    "starlette.testclient", reason="Starlette's TestClient needs httpx2 (the webtest extra)"
)
from symbp.web.app import Limits, create_app  # noqa: E402

QUERY = {"layers": "2,3,2", "output": "softmax", "loss": "cross-entropy"}


@pytest.fixture(scope="module")
def client():
    with testclient.TestClient(create_app(Limits(workers=1))) as c:
        yield c


def test_the_compile_page_offers_every_backend(client) -> None:
    page = client.get("/compile").text
    for backend in ("numpy", "jax", "torch"):
        assert f"<option>{backend}</option>" in page


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_backends_download_is_the_command_lines_file(client, tmp_path, monkeypatch, backend):
    answer = client.get("/compile/download", params={**QUERY, "backend": backend})
    assert answer.status_code == 200, answer.text
    monkeypatch.chdir(tmp_path)
    flags = [f"--{k}={v}" for k, v in QUERY.items()]
    assert main(["compile", *flags, "--backend", backend, "-o", "trainer.py"]) == 0
    assert answer.content == (tmp_path / "trainer.py").read_bytes()
    assert f"import {backend}" in answer.text


def test_an_unknown_backend_is_a_400(client) -> None:
    answer = client.get("/compile/download", params={**QUERY, "backend": "tensorflow"})
    assert answer.status_code == 400
    assert "tensorflow" in answer.text
