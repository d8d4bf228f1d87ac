"""The ASGI application of ``symbp serve``: the pages, the JSON API and the static files.

Every check, derive and compile runs in the :class:`~symbp.web.pool.WorkerPool` under a time
limit; a body over :data:`MAX_BODY` bytes gets 413; every error is one line of JSON (the API)
or of HTML (the pages) with a 4xx status, never a traceback.

>>> from starlette.testclient import TestClient
>>> with TestClient(create_app(Limits(workers=1))) as client:
...     answer = client.post("/api/derive", json={"flags": "--force"})
>>> answer.status_code, answer.json()["error"][:40]
(400, "unknown flag '--force'; known: --layers,")
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from symbp.errors import SymbpError
from symbp.web import forms, jobs, pages
from symbp.web.pool import DEFAULT_MEMORY_MIB, QUEUE_PER_WORKER, JobFailed, WorkerPool

MAX_BODY = 256 * 1024
STATIC = Path(__file__).parent / "static"
STATUS = {"error": 400, "time": 422, "memory": 422, "died": 422, "internal": 500, "busy": 503}
RETRY_AFTER = 5  # seconds, the Retry-After of a 503 when the queue is full
DOWNLOADS = {
    "markdown": "backprop.md",
    "latex": "backprop.tex",
    "svg": "backprop.md",
    "text": "backprop.txt",  # what symbp derive --format text prints (a --net network's report)
}


@dataclass(frozen=True)
class Limits:
    """How many workers, and how long and how much memory one request may take."""

    workers: int | None = None  # None: one per CPU (at least two)
    check_seconds: float = 30.0
    derive_seconds: float = 90.0
    memory_mib: int = DEFAULT_MEMORY_MIB
    queue_per_worker: int = QUEUE_PER_WORKER  # waiting jobs per worker before 503


class Refused(Exception):
    """A request the server answers with ``status`` and one line (and ``headers``)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def _headers(error: Exception) -> dict[str, str]:
    return getattr(error, "headers", None) or {}


async def _body(request: Request) -> bytes:
    length = request.headers.get("content-length", "")
    too_large = f"the request body is over the limit of {MAX_BODY // 1024} KiB"
    if length.isdigit() and int(length) > MAX_BODY:
        raise Refused(413, too_large)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, too_large)
        chunks.append(chunk)
    return b"".join(chunks)


async def _json(request: Request) -> dict:
    try:
        data = json.loads(await _body(request))
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise Refused(400, "the body must be a JSON object")
    return data


async def _form(request: Request) -> dict[str, str]:
    try:
        text = (await _body(request)).decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the form must be UTF-8") from None
    return dict(parse_qsl(text, keep_blank_values=True))


def _argv(data: dict, command: forms.Command) -> list[str]:
    flags = data.get("flags") or ""
    if not isinstance(flags, str):
        raise Refused(400, 'flags must be a string such as "--layers 2,3,2 --notation ng"')
    fields = {k: v for k, v in data.items() if k not in ("flags", "tex")}
    return forms.fields_argv(fields, command) + forms.flags_argv(flags, command)


def _message(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else "the command failed").removeprefix("symbp: error: ")


class Server:
    """The routes, sharing one worker pool."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.pool = WorkerPool(limits.workers, limits.memory_mib, limits.queue_per_worker)

    async def _run(self, seconds: float, func, *args):
        try:
            return await self.pool.run(func, *args, seconds=seconds)
        except JobFailed as failure:
            headers = {"Retry-After": str(RETRY_AFTER)} if failure.kind == "busy" else None
            raise Refused(STATUS.get(failure.kind, 400), str(failure), headers) from None

    async def _cli(self, argv: list[str], seconds: float, stdin: str = "") -> str:
        """What ``symbp ARGV`` prints, or Refused with its one error line."""
        status, out, err = await self._run(seconds, jobs.cli, argv, stdin)
        if not out:
            raise Refused(400, _message(err))
        return out

    async def _tex(self, data: dict) -> str:
        tex = data.get("tex")
        if not isinstance(tex, str) or not tex.strip():
            raise Refused(400, 'give the LaTeX to check in "tex"')
        return tex

    async def api_check(self, request: Request) -> Response:
        data = await _json(request)
        tex = await self._tex(data)
        argv = ["check", "-", "--json", *_argv(data, forms.CHECK)]
        out = await self._cli(argv, self.limits.check_seconds, tex)
        return Response(out, media_type="application/json")

    async def api_derive(self, request: Request) -> Response:
        data = await _json(request)
        argv = ["derive", "--format", "json", *_argv(data, forms.DERIVE_JSON)]
        out = await self._cli(argv, self.limits.derive_seconds)
        return Response(out, media_type="application/json")

    async def health(self, request: Request) -> Response:
        """How many workers are up (a killed one is back once its replacement has started)."""
        return JSONResponse({"workers": len(self.pool.pids()), "size": self.pool.size})

    async def index(self, request: Request) -> Response:
        return HTMLResponse(pages.index())

    async def derive_page(self, request: Request) -> Response:
        query = dict(request.query_params)
        if not query:
            return HTMLResponse(pages.derive(query))
        try:
            argv = _argv(query, forms.DERIVE)
            result = await self._run(self.limits.derive_seconds, jobs.writeup_html, argv)
        except (Refused, SymbpError) as error:
            status = getattr(error, "status", 400)
            page = pages.derive(query, error=str(error))
            return HTMLResponse(page, status_code=status, headers=_headers(error))
        return HTMLResponse(pages.derive(query, result=result))

    async def derive_download(self, request: Request) -> Response:
        query = dict(request.query_params)
        fmt = query.pop("format", "markdown")
        if fmt not in DOWNLOADS:
            raise Refused(400, f"unknown format {fmt!r}; known: {', '.join(DOWNLOADS)}")
        if fmt == "text":
            argv = ["derive", *_argv(query, forms.DERIVE), "--format", "text"]
            out = await self._cli(argv, self.limits.derive_seconds)
            return _attachment(out.encode("utf-8"), DOWNLOADS[fmt], "text/plain; charset=utf-8")
        argv = [
            "derive",
            *_argv(query, forms.DERIVE),
            "--format",
            "markdown" if fmt == "svg" else fmt,
        ]
        name = DOWNLOADS[fmt]
        files = await self._files(argv, name, self.limits.derive_seconds)
        if fmt == "svg":
            name = str(Path(name).with_suffix(".svg"))
        if name not in files:
            raise Refused(400, f"this writeup has no {fmt} file")
        media = {"markdown": "text/markdown", "latex": "application/x-tex", "svg": "image/svg+xml"}
        return _attachment(files[name], name, media[fmt])

    async def _files(self, argv: list[str], name: str, seconds: float) -> dict[str, bytes]:
        status, files, err = await self._run(seconds, jobs.cli_files, argv, name)
        if status != 0 and not files:
            raise Refused(400, _message(err))
        return files

    async def check_page(self, request: Request) -> Response:
        if request.method == "GET":
            return HTMLResponse(pages.check({}))
        data = await _form(request)
        try:
            tex = await self._tex(data)
            argv = ["check", "-", "--json", *_argv(data, forms.CHECK)]
            out = await self._cli(argv, self.limits.check_seconds, tex)
        except (Refused, SymbpError) as error:
            status = getattr(error, "status", 400)
            page = pages.check(data, error=str(error))
            return HTMLResponse(page, status_code=status, headers=_headers(error))
        return HTMLResponse(pages.check(data, steps=json.loads(out)["steps"]))

    async def compile_page(self, request: Request) -> Response:
        return HTMLResponse(pages.compile_form(dict(request.query_params)))

    async def compile_download(self, request: Request) -> Response:
        argv = ["compile", *_argv(dict(request.query_params), forms.COMPILE)]
        files = await self._files(argv, "trainer.py", self.limits.derive_seconds)
        return _attachment(files["trainer.py"], "trainer.py", "text/x-python")

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette):
        await self.pool.start()
        try:
            yield
        finally:
            self.pool.close()


def _attachment(data: bytes, name: str, media: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type=media, headers=headers)


def _refused(request: Request, error: Exception) -> Response:
    status = getattr(error, "status", None) or getattr(error, "status_code", 400)
    message = (
        str(getattr(error, "detail", None) or error)
        if isinstance(error, HTTPException)
        else str(error)
    )
    headers = _headers(error)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return HTMLResponse(pages.error(status, message), status_code=status, headers=headers)


def create_app(limits: Limits | None = None) -> Starlette:
    """The application; its worker pool starts with the server and stops with it."""
    server = Server(limits or Limits())
    routes = [
        Route("/", server.index),
        Route("/derive", server.derive_page),
        Route("/derive/download", server.derive_download),
        Route("/check", server.check_page, methods=["GET", "POST"]),
        Route("/compile", server.compile_page),
        Route("/compile/download", server.compile_download),
        Route("/api/check", server.api_check, methods=["POST"]),
        Route("/api/derive", server.api_derive, methods=["POST"]),
        Route("/api/health", server.health),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers = {Refused: _refused, SymbpError: _refused, HTTPException: _refused}
    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=server.lifespan)
    app.state.server = server
    return app
