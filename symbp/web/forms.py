"""A request's network fields or ``flags`` string -> the argument list of a ``symbp`` command.

Only the flags that describe a network and its notation pass; anything else (``-o``,
``--force``, a second file) is refused by name, so a request can never make the command line
read or write a file. The values go to the command line's own parser, which checks them.

>>> fields_argv({"layers": "2,3,2", "notation": "ng", "generic": "on"}, DERIVE)
['--layers=2,3,2', '--notation=ng', '--generic']
>>> flags_argv("--layers 3,2 --loss=bce", CHECK)
['--layers=3,2', '--loss=bce']
>>> flags_argv("--input 1x4x4 --net 'conv2d(2,3,relu) flatten dense(2,softmax)'", DERIVE)
['--input=1x4x4', '--net=conv2d(2,3,relu) flatten dense(2,softmax)']
>>> flags_argv("-o /etc/passwd", COMPILE)  # doctest: +ELLIPSIS
Traceback (most recent call last):
symbp.errors.SymbpError: unknown flag '-o'; known: --layers, --hidden, --output, --loss, ...
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from symbp.activations import ACTIVATIONS
from symbp.compile.backends import BACKENDS
from symbp.errors import SymbpError
from symbp.latex.writeup import HADAMARD
from symbp.losses import LOSSES
from symbp.notation import NOTATIONS

MAX_VALUE = 200  # characters in one field


@dataclass(frozen=True)
class Command:
    """The flags with a value and the switches one command accepts from a request."""

    values: tuple[str, ...]
    switches: tuple[str, ...] = ()

    @property
    def known(self) -> str:
        return ", ".join(f"--{name}" for name in self.values + self.switches)


DENSE = ("layers", "hidden", "output", "loss", "bias", "examples", "l2")
LAYERED = ("input", "net")  # --input SHAPE --net SPEC: a layered network (replaces --layers)
NETWORK = (*DENSE, *LAYERED)
CHECK = Command((*NETWORK, "notation"))
DERIVE = Command((*NETWORK, "notation", "hadamard"), ("generic",))
COMPILE = Command((*NETWORK, "notation", "dtype", "backend"))
# POST /api/derive: ``symbp derive --generic`` prints text whatever --format says, so the JSON
# API takes the sized derivation only, and how to prove it.
DERIVE_JSON = Command((*NETWORK, "proof"))


def layered(fields: Mapping[str, object]) -> bool:
    """Whether request fields describe a layered network (``input`` or ``net`` given).

    >>> layered({"input": "1x4x4", "net": "conv2d(2,3) flatten dense(2)"}), layered({"net": ""})
    (True, False)
    """
    return any(str(fields.get(name) or "").strip() for name in LAYERED)


CHOICES = {
    "hidden": ACTIVATIONS.choices(),
    "output": ACTIVATIONS.choices(),
    "loss": LOSSES.choices(),
    "bias": ("explicit", "unit"),
    "notation": tuple(NOTATIONS),
    "hadamard": HADAMARD,
    "proof": ("auto", "symbolic", "numeric", "none"),
    "backend": BACKENDS,
}


def _value(name: str, value: object) -> str:
    text = str(value).strip()
    if len(text) > MAX_VALUE or "\n" in text:
        raise SymbpError(f"--{name}: a value of at most {MAX_VALUE} characters on one line")
    return text


def fields_argv(fields: Mapping[str, object], command: Command) -> list[str]:
    """Form or JSON fields -> flags; empty fields keep the command line's default, an unknown
    field is refused (a misspelt one must not quietly leave the default in place).

    >>> fields_argv({"layer": "2,2"}, CHECK)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    symbp.errors.SymbpError: unknown field 'layer'; known: layers, hidden, output, loss, ...
    """
    argv = []
    for name, value in fields.items():
        if name not in command.values + command.switches:
            known = ", ".join(command.values + command.switches)
            raise SymbpError(f"unknown field {name!r}; known: {known}")
        if name in command.values:
            text = _value(name, value)
            if text:
                argv.append(f"--{name}={text}")
        elif name in command.switches:
            if value not in (None, False, "", "0", "off", "false"):
                argv.append(f"--{name}")
    return argv


def flags_argv(flags: str, command: Command) -> list[str]:
    """A ``flags`` string such as ``"--layers 2,3,2 --notation ng"`` -> checked flags."""
    try:
        tokens = shlex.split(_value("flags", flags), comments=False, posix=True)
    except ValueError as error:
        raise SymbpError(f"cannot read the flags: {error}") from None
    argv, i = [], 0
    while i < len(tokens):
        token = tokens[i]
        name, has_value, value = token.removeprefix("--").partition("=")
        if not token.startswith("--") or name not in command.values + command.switches:
            raise SymbpError(f"unknown flag {token!r}; known: {command.known}")
        if name in command.switches:
            argv.append(f"--{name}")
        elif has_value:
            argv.append(f"--{name}={value}")
        elif i + 1 < len(tokens):
            i += 1
            argv.append(f"--{name}={tokens[i]}")
        else:
            raise SymbpError(f"flag --{name} needs a value")
        i += 1
    return argv
