"""``symbp serve``'s JSON API and pages through Starlette's TestClient: the API answers what the
command line prints, downloads are the command line's bytes, every error is one line with a
4xx status."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="symbp serve needs the web extra: pip install -e '.[web]'")
testclient = pytest.importorskip(
    "starlette.testclient", reason="Starlette's TestClient needs httpx2 (the webtest extra)"
)

from symbp.cli import main  # noqa: E402
from symbp.web.app import MAX_BODY, Limits, create_app  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# Three steps of Nielsen's notation; the third has the layer of the activation off by one.
THREE_STEPS = r"""% symbp: --layers 2,3,2 --notation nielsen
$$\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)$$
$$\frac{\partial C}{\partial b^l_j} = \delta^l_j$$
$$\frac{\partial C}{\partial w^l_{jk}} = a^{l}_k \delta^l_j$$
"""
# For byte equality, steps whose symbolic proof is quick: the checker gives its symbolic proof
# 0.5 s of wall clock (check/proof.py) and says "agreed at 3 random points" past it, so on a
# loaded machine a harder step's method line can differ between two runs.
QUICK_STEPS = r"""% symbp: --layers 2,3,2 --notation nielsen
$$\delta^l_j = \frac{\partial C}{\partial z^l_j}$$
$$\frac{\partial C}{\partial b^l_j} = \delta^l_j$$
$$\frac{\partial C}{\partial w^l_{jk}} = a^{l}_k \delta^l_j$$
"""
NG_QUERY = {"layers": "2,3,2", "notation": "ng", "loss": "bce", "output": "sigmoid"}


@pytest.fixture(scope="module")
def client():
    with testclient.TestClient(create_app(Limits(workers=2))) as c:
        yield c


def _cli(argv, capsys):
    status = main(argv)
    return status, capsys.readouterr().out


@pytest.fixture
def stdin(monkeypatch):
    def feed(text):
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))

    return feed


def test_check_answers_exactly_what_the_command_line_prints(client, tmp_path):
    path = tmp_path / "mine.tex"
    path.write_text(QUICK_STEPS)
    command = [sys.executable, "-m", "symbp", "check", str(path), "--json"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    printed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert printed.returncode == 1 and printed.stderr == ""
    answer = client.post("/api/check", json={"tex": QUICK_STEPS})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.text == printed.stdout
    verdicts = [s["verdict"] for s in answer.json()["steps"]]
    assert verdicts == ["valid", "valid", "invalid"]


def test_check_flags_string_reads_as_on_the_command_line(client, capsys, stdin):
    # an invalid step: its verdict and method do not depend on the proof's time budget
    tex = r"$$\frac{\partial C}{\partial \Theta^{(1)}_{21}} = a^{(1)}_2 \delta^{(2)}_1$$"
    flags = "--layers 2,2 --notation ng --loss=bce"
    answer = client.post("/api/check", json={"tex": tex, "flags": flags})
    stdin(tex)
    status, out = _cli(["check", "-", "--json", *flags.split()], capsys)
    assert answer.status_code == 200 and answer.text == out
    assert answer.json()["steps"][0]["verdict"] == "invalid"


def test_check_with_fields_reads_the_same_as_flags(client, capsys, stdin):
    tex = r"$$\frac{\partial C}{\partial b^l_j} = -\delta^l_j$$"
    answer = client.post("/api/check", json={"tex": tex, "layers": "3,2", "notation": "nielsen"})
    stdin(tex)
    status, out = _cli(["check", "-", "--json", "--layers", "3,2", "--notation", "nielsen"], capsys)
    assert status == 1 and answer.text == out
    assert answer.json()["steps"][0]["hint"] == "sign error"


def test_derive_answers_exactly_what_the_command_line_prints(client, capsys):
    answer = client.post("/api/derive", json={"flags": "--layers 2,2 --hidden tanh"})
    status, out = _cli(
        ["derive", "--layers", "2,2", "--hidden", "tanh", "--format", "json"], capsys
    )
    assert status == 0 and answer.status_code == 200 and answer.text == out
    assert set(json.loads(answer.text)) >= {"network", "definitions", "gradients", "proof"}


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("/api/check", b"{not json", 400, "JSON object"),
        ("/api/check", b"[1, 2]", 400, "JSON object"),
        ("/api/check", b'{"flags": "--layers 2,2"}', 400, '"tex"'),
        ("/api/check", b'{"tex": "$$a=b$$", "flags": "-o out.txt"}', 400, "unknown flag '-o'"),
        ("/api/check", b'{"tex": "$$a=b$$", "flags": "--layers"}', 400, "needs a value"),
        ("/api/check", b'{"tex": "$$a=b$$", "flags": "--loss \\"x"}', 400, "cannot read"),
        ("/api/check", b'{"tex": "no equations here"}', 400, "no display equation"),
        ("/api/check", b'{"tex": "$$a=b$$", "layers": "2,x"}', 400, "cannot read layer sizes"),
        ("/api/derive", b'{"hidden": "swish"}', 400, "known:"),
        ("/api/derive", b'{"layers": "9,9,9"}', 400, "at most 100"),
        ("/api/derive", b'{"layers": "1,1,1,1,1,1,1"}', 400, "limit of 5"),
        ("/api/derive", b'{"examples": "500"}', 400, "limit of 10"),
        ("/api/derive", b'{"flags": 3}', 400, "flags must be a string"),
        ("/api/derive", b'{"layer": "2,2"}', 400, "unknown field 'layer'; known: layers"),
        ("/api/derive", b'{"flags": "--generic"}', 400, "unknown flag '--generic'"),
        ("/api/derive", b'{"proof": "maybe"}', 400, "invalid choice: 'maybe'"),
        ("/api/derive", b'{"flags": "--output-file x.md"}', 400, "unknown flag '--output-file'"),
        ("/api/nothing", b"{}", 404, "Not Found"),
    ],
)
def test_errors_are_one_json_line_with_a_4xx_status(client, path, body, status, words):
    answer = client.post(path, content=body)
    assert answer.status_code == status
    message = answer.json()["error"]
    assert words in message and "\n" not in message and "Traceback" not in answer.text


def test_network_over_the_limit_in_the_header_is_refused_naming_the_limit(client):
    tex = "% symbp: --layers 20,20\n$$ a^L_j = \\sigma(z^L_j) $$"
    answer = client.post("/api/check", json={"tex": tex})
    assert answer.status_code == 400
    assert (
        answer.json()["error"] == "a 20-20 network has 420 parameters; the server takes at most 100"
    )


def test_wrong_method_is_json_too(client):
    answer = client.get("/api/check")
    assert answer.status_code == 405 and "error" in answer.json()


@pytest.mark.parametrize("declared", [True, False])
def test_a_body_over_256_kib_gets_413(client, declared):
    body = json.dumps({"tex": "$$a=b$$" + " " * MAX_BODY}).encode()

    def chunks():  # no Content-Length: the limit holds while the body streams in
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    answer = client.post("/api/check", content=body if declared else chunks())
    assert answer.status_code == 413
    assert answer.json()["error"] == "the request body is over the limit of 256 KiB"


def test_a_body_just_under_the_limit_is_read(client):
    tex = "$$ a^L_j = \\sigma(z^L_j) $$\n" + "%" * (MAX_BODY - 200)
    answer = client.post("/api/check", json={"tex": tex})
    assert answer.status_code == 200 and answer.json()["steps"][0]["verdict"] == "valid"


def test_pages_name_every_choice_of_the_command_line(client):
    from symbp.activations import ACTIVATIONS
    from symbp.losses import LOSSES
    from symbp.notation import NOTATIONS

    assert 'href="/check"' in client.get("/").text
    page = client.get("/derive").text
    for choice in (*ACTIVATIONS.choices(), *LOSSES.choices(), *NOTATIONS):
        assert f"<option>{choice}</option>" in page or f"<option selected>{choice}</option>" in page
    assert 'src="/static/mathjax/tex-svg-full.js"' in page and "http" not in page.split("<body>")[0]
    mathjax = client.get("/static/mathjax/tex-svg-full.js")
    assert mathjax.status_code == 200 and len(mathjax.content) > 1_000_000
    assert "Apache License" in client.get("/static/mathjax/LICENSE").text


def test_derive_page_keeps_the_form_in_the_query_and_renders_the_writeup(client):
    page = client.get("/derive", params=NG_QUERY)
    assert page.status_code == 200
    text = page.text
    assert "<h1>Backpropagation for a 2-3-2 network in Andrew Ng&#x27;s notation</h1>" in text
    assert "<option selected>ng</option>" in text and 'value="2,3,2"' in text
    assert '<figure class="picture"><svg' in text and "\\[\\begin{aligned}" in text
    assert 'id="download-markdown" href="/derive/download?layers=2%2C3%2C2&amp;notation=ng' in text


def test_derive_page_shows_a_bad_network_as_one_line(client):
    page = client.get("/derive", params={"layers": "2,0"})
    assert page.status_code == 400
    assert 'class="error"' in page.text and "layer sizes must be integers" in page.text


@pytest.mark.parametrize(
    ("fmt", "name", "file"),
    [
        ("markdown", "backprop.md", "backprop.md"),
        ("latex", "backprop.tex", "backprop.tex"),
        ("svg", "backprop.md", "backprop.svg"),
    ],
)
def test_downloads_are_the_command_lines_bytes(client, tmp_path, monkeypatch, fmt, name, file):
    answer = client.get("/derive/download", params={**NG_QUERY, "format": fmt})
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == f'attachment; filename="{file}"'
    monkeypatch.chdir(tmp_path)
    flags = [f"--{k}={v}" for k, v in NG_QUERY.items()]
    cli_format = "markdown" if fmt == "svg" else fmt
    assert main(["derive", *flags, "--format", cli_format, "-o", name]) == 0
    assert answer.content == (tmp_path / file).read_bytes()


def test_compile_download_is_the_command_lines_trainer(client, tmp_path, monkeypatch):
    assert 'action="/compile/download"' in client.get("/compile").text
    query = {"layers": "3,4,2", "hidden": "tanh", "output": "softmax", "loss": "cross-entropy"}
    answer = client.get("/compile/download", params=query)
    assert answer.status_code == 200
    monkeypatch.chdir(tmp_path)
    flags = [f"--{k}={v}" for k, v in query.items()]
    assert main(["compile", *flags, "-o", "trainer.py"]) == 0
    assert answer.content == (tmp_path / "trainer.py").read_bytes()


def test_check_page_marks_each_step_and_shows_the_counterexample(client):
    page = client.post("/check", data={"tex": THREE_STEPS, "layers": "", "notation": ""})
    assert page.status_code == 200
    text = page.text
    marks = [part.split('"', 1)[0] for part in text.split('data-verdict="')[1:]]
    assert marks == ["valid", "valid", "invalid"]
    invalid = text.split('data-verdict="invalid"', 1)[1]
    assert "Counterexample: at \\(j = 1, k = 1, l = 2\\)" in invalid
    assert "Hint: off-by-one layer index: \\(a^{l}_{k}\\) should be \\(a^{l-1}_{k}\\)" in invalid
    assert '<button type="submit">Check</button>' in text
    assert "\\(\\delta^L_j\\)" not in text and "\\[\\delta^L_j = " in text


def test_check_page_shows_an_error_as_one_line(client):
    page = client.post("/check", data={"tex": "$$a=b$$", "hidden": "nope"})
    assert page.status_code == 400 and "unknown activation" in page.text


def test_check_reads_a_layered_networks_steps(client, capsys, stdin):
    """A --net network on the API: a staged batch-norm step, judged as the command line does."""
    tex = r"$$\frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial \hat{x}_i} / \sigma$$"
    fields = {"input": "3", "net": "batchnorm dense(2,softmax)", "loss": "cce"}
    answer = client.post("/api/check", json={"tex": tex, **fields})
    stdin(tex)
    argv = ["check", "-", "--json", "--input", "3", "--net", fields["net"], "--loss", "cce"]
    status, out = _cli(argv, capsys)
    assert status == 1 and answer.status_code == 200 and answer.text == out
    (step,) = answer.json()["steps"]
    assert step["verdict"] == "invalid" and "depend on x" in step["hint"]


def test_check_reads_an_attention_step(client, capsys, stdin):
    """A --net network with attention on the API: dS = P o dP (the softmax Jacobian taken as
    diagonal), judged and hinted as the command line does."""
    tex = r"$$\frac{\partial C}{\partial S_{ij}} = P_{ij} \frac{\partial C}{\partial P_{ij}}$$"
    fields = {"input": "3x2", "net": "attention(2) meanpool dense(2,softmax)", "loss": "cce"}
    answer = client.post("/api/check", json={"tex": tex, **fields})
    stdin(tex)
    argv = ["check", "-", "--json", "--input", "3x2", "--net", fields["net"], "--loss", "cce"]
    status, out = _cli(argv, capsys)
    assert status == 1 and answer.status_code == 200 and answer.text == out
    (step,) = answer.json()["steps"]
    assert step["verdict"] == "invalid" and "softmax Jacobian is not diagonal" in step["hint"]
