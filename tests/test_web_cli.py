"""``symbp serve``'s own flags: without the web extra, or with a bad flag, one error line."""

from __future__ import annotations

import sys

import pytest

from symbp.cli import main


def test_serve_without_the_web_extra_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now fails
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "symbp: error: symbp serve needs the web extra (uvicorn is missing): "
        "pip install 'symbp[web]'\n"
    )


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--port", "70000"], "--port must be between 1 and 65535"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--time-limit", "0"], "--time-limit must be > 0"),
        (["--queue", "-1"], "--queue must be at least 0"),
        (["--port", "x"], "invalid int value: 'x'"),
    ],
)
def test_bad_serve_flags_are_one_line(capsys, flags, words):
    pytest.importorskip("uvicorn", reason="symbp serve needs the web extra")
    assert main(["serve", *flags]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
