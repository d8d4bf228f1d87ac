"""Numbers a user types (flags, the ``% symbp:`` header, API arguments), read strictly.

Only ASCII digits count (``"²".isdigit()`` is True in Python, ``int("²")`` is not), lengths are
bounded before any conversion (a 5,000-digit size or ``1e100000000`` never reaches ``int`` or
SymPy), and every refusal is one :class:`~symbp.errors.SpecError` line that names the range.

>>> parse_sizes("2,3,2")
[2, 3, 2]
>>> parse_int("-1", "--seed", 0)
Traceback (most recent call last):
...
symbp.errors.SpecError: --seed must be a whole number from 0 to 4294967295, got '-1'
>>> parse_rational("1e-3", "--l2")
1/1000
"""

from __future__ import annotations

import math
import re

import sympy

from symbp import limits
from symbp.errors import SpecError

_INT = re.compile(r"^[+]?[0-9]{1,30}$|^-[0-9]{1,30}$")
_DECIMAL = re.compile(r"^[-+]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})([eE][-+]?[0-9]{1,4})?$")
_FRACTION = re.compile(r"^[-+]?[0-9]{1,30}/[0-9]{1,30}$")


def _shown(text: object) -> str:
    text = str(text)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def parse_int(text: object, what: str, lo: int = 0, hi: int = 2**32 - 1) -> int:
    """A whole number from lo to hi, written in ASCII digits (an int passes through checked)."""
    if isinstance(text, bool):
        text = str(text)
    value = text if isinstance(text, int) else None
    if value is None and isinstance(text, str) and _INT.match(text.strip()):
        value = int(text.strip())
    if value is None or not lo <= value <= hi:
        raise SpecError(f"{what} must be a whole number from {lo} to {hi}, got {_shown(text)}")
    return value


def parse_float(
    text: object, what: str, lo: float = -math.inf, hi: float = math.inf, *, open_hi: bool = False
) -> float:
    """A finite decimal number in [lo, hi] (or [lo, hi) with ``open_hi``); no nan, no inf.

    >>> parse_float("0.999", "--test-fraction", 0, 0.9)
    Traceback (most recent call last):
    ...
    symbp.errors.SpecError: --test-fraction must be a number from 0 to 0.9, got '0.999'
    """
    value = None
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    elif isinstance(text, str) and _DECIMAL.match(text.strip()):
        value = float(text.strip())
    inside = value is not None and math.isfinite(value) and lo <= value <= hi
    if inside and open_hi and value == hi:
        inside = False
    if not inside:
        top = f"below {hi:g}" if open_hi else f"to {hi:g}"
        raise SpecError(f"{what} must be a number from {lo:g} {top}, got {_shown(text)}")
    return value


def parse_rational(text: object, what: str, hi: int = 10**6) -> sympy.Rational:
    """An exact number from 0 to ``hi``: a decimal (``0.1``, ``1e-3``) or a fraction (``1/10``).

    >>> parse_rational("1/0", "--l2")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.SpecError: --l2 must be a number, got '1/0' (a decimal like 0.1 or a fraction ...
    """
    shown = str(text).strip()
    fail = SpecError(
        f"{what} must be a number, got {_shown(text)} (a decimal like 0.1 or a fraction like "
        f"1/10, from 0 to {hi})"
    )
    if isinstance(text, sympy.Rational):
        number = text
    elif isinstance(text, int) and not isinstance(text, bool) and abs(text) <= hi:
        number = sympy.Integer(text)
    elif isinstance(text, float) and math.isfinite(text):
        number = sympy.Rational(repr(text))
    elif _FRACTION.match(shown) and not re.search(r"/0+$", shown):
        number = sympy.Rational(shown)
    elif _DECIMAL.match(shown) and abs(int(re.split(r"[eE]", shown + "e0")[1] or 0)) <= 60:
        number = sympy.Rational(shown)
    else:
        raise fail
    if not 0 <= number <= hi:
        raise SpecError(f"{what} must be a finite number >= 0, got {_shown(text)} (at most {hi})")
    return number


def parse_sizes(text: object) -> list[int]:
    """``"2,3,2"`` (or ``2-3-2``) -> [2, 3, 2]: at most :data:`symbp.limits.MAX_LAYERS` + 1
    sizes, each from 1 to :data:`symbp.limits.MAX_UNITS` units.

    >>> parse_sizes("²,³")
    Traceback (most recent call last):
    ...
    symbp.errors.SpecError: cannot read layer sizes '²,³'; write positive integers like 2,3,2
    """
    unreadable = f"cannot read layer sizes {_shown(text)}; write positive integers like 2,3,2"
    if not isinstance(text, str) or len(text) > 10 * (limits.MAX_LAYERS + 1):
        raise SpecError(unreadable)
    parts = [p.strip() for p in text.replace("-", ",").split(",")]
    if not all(re.fullmatch(r"[0-9]{1,30}", p) for p in parts):
        raise SpecError(unreadable)
    return check_sizes([int(p) for p in parts])


def check_sizes(sizes: list[int]) -> list[int]:
    """Each size an int from 1 to :data:`symbp.limits.MAX_UNITS`; 2 to MAX_LAYERS + 1 sizes."""
    if len(sizes) < 2:
        raise SpecError(f"a network needs at least 2 layer sizes (input and output), got {sizes}")
    if len(sizes) > limits.MAX_LAYERS + 1:
        raise SpecError(
            f"a network may have at most {limits.MAX_LAYERS} weight layers (the limit "
            f"symbp.limits.MAX_LAYERS), got {len(sizes) - 1}"
        )
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            shown = list(sizes) if len(sizes) <= 10 else f"{list(sizes[:10])}..."
            raise SpecError(f"layer sizes must be integers >= 1, got {shown}")
        if n > limits.MAX_UNITS:
            raise SpecError(
                f"a layer may have at most {limits.MAX_UNITS} units (the limit "
                f"symbp.limits.MAX_UNITS), got {n}"
            )
    return sizes
