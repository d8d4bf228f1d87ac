"""Reading and writing files for the user: nothing they already have is overwritten unless they
ask, every file symbp will write is checked before any work under the exact name it will get,
no input is read unbounded, and every failure is one :class:`~symbp.errors.SymbpError` line.

>>> refuse_overwrite(["/nonexistent/symbp-example.tex"], force=False)
>>> check_outputs(["out.md", "./out.md"], force=False)
Traceback (most recent call last):
...
symbp.errors.SymbpError: out.md would be written twice; choose other names
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from symbp.errors import SymbpError


def refuse_overwrite(paths: Iterable[str | os.PathLike], force: bool) -> None:
    """Raise one clear SymbpError naming every existing path, unless ``force``."""
    if force:
        return
    existing = [str(p) for p in map(Path, paths) if p.exists()]
    if existing:
        raise SymbpError(f"will not overwrite {', '.join(existing)}; pass --force to overwrite")


def check_outputs(paths: Iterable[str | os.PathLike], force: bool) -> list[Path]:
    """Every path symbp is about to write, checked before the work that makes it: each named
    once, none a folder or a device, each folder there, and none existing unless ``force``."""
    targets = [Path(p) for p in paths]
    seen: dict[str, Path] = {}
    for path in targets:
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            also = "" if str(seen[key]) == str(path) else f" (as {seen[key]} and {path})"
            raise SymbpError(f"{path} would be written twice{also}; choose other names")
        seen[key] = path
        if path.is_dir():
            raise SymbpError(f"{path} is a folder; name a file to write")
        if path.exists() and not stat.S_ISREG(path.stat().st_mode):
            raise SymbpError(f"{path} is not a regular file (a device or a pipe); name a file")
        folder = path.parent
        if not folder.is_dir():
            raise SymbpError(f"cannot write {path}: no such folder {folder}")
        if not os.access(folder, os.W_OK):
            raise SymbpError(f"cannot write {path}: the folder {folder} is not writable")
    refuse_overwrite(targets, force)
    return targets


def _why(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    if error.errno == errno.EROFS:
        return "the file system is read-only"
    return error.strerror or str(error)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8); an OS failure is one SymbpError line."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise SymbpError(f"cannot write {path}: {_why(error)}") from None


def os_error(path: str | os.PathLike, error: OSError) -> SymbpError:
    """The one-line error for an OS failure while writing ``path`` (for writers like NumPy's)."""
    return SymbpError(f"cannot write {path}: {_why(error)}")


def read_bounded(name: str | os.PathLike, limit: int, what: str = "file", hint: str = "") -> bytes:
    """The bytes of ``name``, refusing (one line, the limit named) past ``limit`` bytes; a
    device like /dev/zero is read only as far as the limit (``None``: no limit, for --force).

    >>> read_bounded("/dev/zero", 10)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.SymbpError: /dev/zero is larger than the limit of 10 bytes for a file ...
    """
    path = Path(name)
    try:
        if path.is_dir():
            raise SymbpError(f"{path} is a folder, not a {what}")
        with path.open("rb") as handle:
            data = handle.read() if limit is None else handle.read(limit + 1)
    except FileNotFoundError:
        raise SymbpError(f"no such file: {path}") from None
    except OSError as error:
        raise SymbpError(f"cannot read {path}: {_why(error)}") from None
    if limit is not None and len(data) > limit:
        raise SymbpError(
            f"{path} is larger than the limit of {limit:,} bytes for a {what} (symbp.limits){hint}"
        )
    return data
