"""The pages of ``symbp serve`` in a real browser: Playwright drives the system's Chromium
(Debian package ``chromium``; Playwright's own browser download is not used). MathJax must
render every formula without an error, the check page must mark each step, and the download
buttons must give the command line's bytes."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlencode

import pytest

pytest.importorskip("uvicorn", reason="symbp serve needs the web extra: pip install -e '.[web]'")
pytest.importorskip("starlette", reason="symbp serve needs the web extra: pip install -e '.[web]'")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need playwright (the webtest extra)"
)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        "browser tests need the system Chromium: apt-get install chromium", allow_module_level=True
    )

from symbp.cli import main  # noqa: E402
from symbp.notation import NOTATIONS  # noqa: E402
from tests.test_web_api import NG_QUERY, THREE_STEPS  # noqa: E402
from tests.test_web_server import Served  # noqa: E402

ERRORS = "mjx-merror, [data-mml-node='merror'], [data-mjx-error]"


@pytest.fixture(scope="module")
def served():
    server = Served("--workers", "2")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(120_000)
    yield page
    context.close()


def _rendered(page) -> None:
    page.wait_for_selector("body[data-mathjax='done']", state="attached")


def _formulas(html: str) -> int:
    """Formulas the server wrote into the page for MathJax."""
    main_part = html.split("<main>", 1)[1]
    return main_part.count("\\(") + main_part.count("\\[")


@pytest.mark.slow
@pytest.mark.parametrize("generic", [False, True], ids=["sized", "generic"])
@pytest.mark.parametrize("notation", NOTATIONS)
def test_derive_page_renders_every_formula_without_an_error(served, page, notation, generic):
    query = f"layers=2,3,2&notation={notation}&loss=bce&output=sigmoid"
    if generic:
        query += "&generic=on"
    answer = page.goto(f"{served.url}/derive?{query}")
    assert answer.status == 200
    source = answer.text()
    _rendered(page)
    expected = _formulas(source)
    assert expected > 20
    assert page.locator("mjx-container").count() == expected
    assert page.locator(ERRORS).count() == 0
    assert page.locator("figure.picture > svg").count() == 1


def test_a_formula_mathjax_cannot_read_is_seen_as_an_error(served, page):
    """The error selector can fail: an unknown macro in a checked step shows as one."""
    page.goto(f"{served.url}/check")
    page.fill("textarea[name=tex]", "$$ a^L_j = \\nosuchmacro{z} $$")
    page.get_by_role("button", name="Check").click()
    _rendered(page)
    assert page.locator(".step").get_attribute("data-verdict") == "unreadable"
    assert page.locator(ERRORS).count() >= 1


def test_check_page_marks_three_steps_valid_valid_invalid_with_the_counterexample(served, page):
    page.goto(f"{served.url}/check")
    page.fill("textarea[name=tex]", THREE_STEPS)
    page.get_by_role("button", name="Check").click()
    _rendered(page)
    steps = page.locator(".step")
    assert [steps.nth(i).get_attribute("data-verdict") for i in range(steps.count())] == [
        "valid",
        "valid",
        "invalid",
    ]
    for i in range(3):
        assert steps.nth(i).locator(".display mjx-container").count() == 1
    invalid = steps.nth(2)
    assert invalid.locator(".counterexample").is_visible()
    assert invalid.inner_text().count("Counterexample: at") == 1
    # the indices and every value of the counterexample, and the hint's two symbols, as math
    assert invalid.locator(".counterexample mjx-container").count() == 1 + 21  # 21 values
    assert "off-by-one layer index" in invalid.locator(".hint").inner_text()
    assert invalid.locator(".hint mjx-container").count() == 2
    assert page.locator(ERRORS).count() == 0
    assert page.locator("textarea[name=tex]").input_value() == THREE_STEPS  # kept for editing


# Wrong steps whose hints carry TeX of every kind the checker writes: a primed activation with
# its layer in parentheses, "delta^L = a^L - y" beside a loss's snake_case name, and none.
HINTED = r"""% symbp: --layers 2,3,2 --notation nielsen --loss bce --output sigmoid
$$\delta^L_j = (a^L_j - y_j) \sigma'(z^L_j)$$
$$\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_j \delta^l_k$$
$$\frac{\partial C}{\partial b^l_j} = \delta^{l+1}_j$$
"""


def test_hints_render_their_math_without_an_error(served, page):
    page.goto(f"{served.url}/check")
    page.fill("textarea[name=tex]", HINTED)
    page.get_by_role("button", name="Check").click()
    _rendered(page)
    hints = page.locator(".hint")
    assert hints.count() == 3
    texts = [hints.nth(i).inner_text() for i in range(3)]
    assert "squared-error" in texts[0] and "binary_cross_entropy" in texts[0]
    assert texts[1] == "Hint: swapped indices j and k"
    assert [hints.nth(i).locator("mjx-container").count() for i in range(3)] == [3, 0, 2]
    assert "\\" not in "".join(texts) and "^{" not in "".join(texts)  # no raw TeX left
    assert page.locator(ERRORS).count() == 0


LAYERED = {
    "input": "1x4x4",
    "net": "conv2d(2,3,relu) maxpool2d(2) flatten dense(2,softmax)",
    "loss": "cross-entropy",
}


OTHER_LAYERED = [
    {"input": "3x2", "net": "rnn(2,tanh) last dense(2,softmax)", "loss": "cce"},
    {"input": "3", "net": "residual(dense(3,tanh)) dense(1,sigmoid)", "loss": "bce"},
    {"input": "1x6", "net": "conv1d(2,2,relu) avgpool1d(2) flatten dense(1,identity)"},
]


@pytest.mark.parametrize(
    "query", [LAYERED, *OTHER_LAYERED], ids=["conv2d", "rnn", "residual", "conv1d"]
)
def test_derive_page_of_a_layered_network_renders_without_an_error(served, page, query):
    answer = page.goto(f"{served.url}/derive?{urlencode(query)}")
    assert answer.status == 200
    source = answer.text()
    _rendered(page)
    expected = _formulas(source)
    assert expected > 10
    assert page.locator("mjx-container").count() == expected
    assert page.locator(ERRORS).count() == 0
    layers = len(query["net"].replace("(dense", "(").split())
    # the index-form writeup's setting, then the array form's heading and a section a layer
    assert page.locator("article.writeup h2").count() == layers + 2
    assert page.locator("input[name=net]").input_value() == query["net"]


def test_layered_downloads_give_the_same_bytes_as_the_command_line(
    served, page, tmp_path, monkeypatch, capsys
):
    page.goto(f"{served.url}/derive?{urlencode(LAYERED)}")
    text = _download(page, "#download-text")
    trainer = _download(page, "#download-trainer")
    writeup = _download(page, "#download-markdown")
    flags = [f"--{k}={v}" for k, v in LAYERED.items()]
    capsys.readouterr()
    assert main(["derive", *flags, "--format", "text"]) == 0
    assert text == capsys.readouterr().out.encode("utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["compile", *flags, "-o", "trainer.py"]) == 0
    assert trainer == (tmp_path / "trainer.py").read_bytes()
    assert main(["derive", *flags, "--format", "markdown", "-o", "backprop.md"]) == 0
    assert writeup == (tmp_path / "backprop.md").read_bytes()


def _download(page, button) -> bytes:
    with page.expect_download() as info:
        page.click(button)
    return Path(info.value.path()).read_bytes()


def test_downloads_give_the_same_bytes_as_the_command_line(served, page, tmp_path, monkeypatch):
    query = "&".join(f"{k}={v}" for k, v in NG_QUERY.items())
    page.goto(f"{served.url}/derive?{query}")
    got = {
        name: _download(page, f"#download-{fmt}")
        for fmt, name in (
            ("markdown", "backprop.md"),
            ("latex", "backprop.tex"),
            ("svg", "backprop.svg"),
        )
    }
    page.goto(f"{served.url}/compile?layers=2,3,2&hidden=relu&output=softmax&loss=cross-entropy")
    got["trainer.py"] = _download(page, "#download-trainer")
    monkeypatch.chdir(tmp_path)
    flags = [f"--{k}={v}" for k, v in NG_QUERY.items()]
    assert main(["derive", *flags, "--format", "markdown", "-o", "backprop.md"]) == 0
    assert main(["derive", *flags, "--format", "latex", "-o", "backprop.tex"]) == 0
    net = [
        "--layers",
        "2,3,2",
        "--hidden",
        "relu",
        "--output",
        "softmax",
        "--loss",
        "cross-entropy",
    ]
    assert main(["compile", *net, "-o", "trainer.py"]) == 0
    for name, data in got.items():
        assert data == (tmp_path / name).read_bytes(), name
