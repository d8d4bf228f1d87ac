"""Writing files for the user: nothing they already have is overwritten unless they ask.

>>> refuse_overwrite(["/nonexistent/symbp-example.tex"], force=False)
"""

from __future__ import annotations

import os
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
