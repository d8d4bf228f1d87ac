"""Run one ``symbp`` command line as a hostile user would, with a time and a memory cap, and
classify what came back. Shared by the fuzz tests and benchmarks/fuzz_report.py.

Each case runs ``symbp.cli.main(argv)`` in a forked child (the parent's imports are reused, so
a case costs milliseconds, not an interpreter start): the child's address space is capped with
``RLIMIT_AS`` and its time with ``SIGALRM``; the parent kills it past the time cap as well.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import resource
import select
import signal
import sys
import time
import traceback
from dataclasses import dataclass

CLEAN, OK, TRACEBACK, TIMEOUT, BAD_EXIT = "clean error", "ok", "traceback", "timeout", "bad exit"
COMMANDS = ("check", "compile", "derive", "serve", "train")
NOBODY = 65534  # the uid and gid a root child drops to for permission cases


@dataclass
class Outcome:
    argv: list[str]
    rc: int | None
    stdout: str
    stderr: str
    kind: str  # one of CLEAN, OK, TRACEBACK, TIMEOUT, BAD_EXIT
    seconds: float

    def describe(self) -> str:
        return f"{self.kind}: symbp {' '.join(self.argv)!r} -> rc {self.rc}: {self.stderr[-600:]}"


def _virtual_bytes() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def drop_privileges(modules: tuple[str, ...]) -> None:
    """Become the unprivileged user ``nobody`` (as root, permissions are not checked, so a
    read-only folder is writable), importing ``modules`` first: the interpreter's own files
    may be unreadable to that user."""
    for name in ("symbp.cli", *(f"symbp.cli.{c}" for c in COMMANDS), *modules):
        importlib.import_module(name)
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)


def _child(
    argv: list[str],
    write_fd: int,
    seconds: int,
    megabytes: int,
    stdin: bytes,
    unprivileged: tuple[str, ...] | None = None,
) -> None:
    if unprivileged is not None:
        drop_privileges(unprivileged)
    cap = _virtual_bytes() + megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = out, err
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # past the cap the child simply dies
    signal.alarm(seconds)
    from symbp.cli import main

    try:
        rc = main(argv)
    except SystemExit as exit_:  # --help at the top level
        rc = exit_.code if isinstance(exit_.code, int) else 0
    except BaseException:  # noqa: BLE001 - what the fuzzing looks for
        err.write(traceback.format_exc())
        rc = 99
    signal.alarm(0)
    payload = json.dumps({"rc": rc, "stdout": out.getvalue()[-4000:], "stderr": err.getvalue()})
    with os.fdopen(write_fd, "w") as pipe:
        pipe.write(payload)
    os._exit(0)


def run_capped(
    argv: list[str],
    seconds: int = 20,
    megabytes: int = 1500,
    stdin: bytes = b"",
    unprivileged: tuple[str, ...] | None = None,
) -> Outcome:
    """Run ``symbp argv`` in a capped child and classify the result (see the module doc);
    ``unprivileged``: the modules to import before the child drops to user ``nobody``."""
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        try:
            _child(argv, write_fd, seconds, megabytes, stdin, unprivileged)
        finally:
            os._exit(3)
    os.close(write_fd)
    chunks, deadline = [], started + seconds + 5
    with os.fdopen(read_fd, "rb") as pipe:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([pipe], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(pipe.fileno(), 65536)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    elapsed = time.monotonic() - started
    if not chunks:
        signalled = os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGALRM, 9)
        kind = TIMEOUT if signalled or elapsed >= seconds else TRACEBACK
        why = "killed at the time cap" if kind == TIMEOUT else f"child died: status {status}"
        return Outcome(argv, None, "", why, kind, elapsed)
    data = json.loads(b"".join(chunks).decode())
    return Outcome(argv, data["rc"], data["stdout"], data["stderr"], classify(data), elapsed)


def classify(data: dict) -> str:
    """ok (exit 0 or 1, the command ran; or a check's report with exit 2, nothing readable),
    clean error (exit 2, one line ``symbp: error: ...``),
    traceback, or bad exit (anything else: an error of many lines, exit 0 with an error)."""
    rc, stderr = data["rc"], data["stderr"]
    if "Traceback (most recent call last)" in stderr or rc == 99:
        return TRACEBACK
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("symbp: error:")]
    warnings_ok = all(
        line.startswith(("symbp: warning:", "symbp: error:", "wrote ")) for line in lines
    )
    if rc == 2 and len(errors) == 1 and warnings_ok:
        return CLEAN
    if rc in (0, 1) and not errors:
        return OK
    if rc == 2 and not lines and data["stdout"].strip():  # symbp check: no step could be read
        return OK
    return BAD_EXIT
