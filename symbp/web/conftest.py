"""Doctests of :mod:`symbp.web.app` need the ``web`` extra and an HTTP client for Starlette's
TestClient; without them that one module is not collected (the others need neither)."""

import importlib.util


def _have(*names: str) -> bool:
    return all(importlib.util.find_spec(name) is not None for name in names)


collect_ignore = []
if not (_have("starlette", "uvicorn") and (_have("httpx2") or _have("httpx"))):
    collect_ignore.append("app.py")
