"""A name -> entry table with a helpful error for unknown names.

Activations and losses live in registries so that the CLI choices, the tests and the docs all
come from one place: adding an entry is the only step needed to support a new one.

>>> r = Registry("colour")
>>> _ = r.register("red", 1)
>>> r.get("red")
1
>>> r.get("rde")
Traceback (most recent call last):
...
symbp.errors.SpecError: unknown colour 'rde'; known: red
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from symbp.errors import SpecError

T = TypeVar("T")


class Registry(Generic[T]):
    """Ordered mapping from public names (and aliases) to entries."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, entry: T, aliases: tuple[str, ...] = ()) -> T:
        for key in (name, *aliases):
            if key in self._entries or key in self._aliases:
                raise SpecError(f"{self.kind} {key!r} is already registered")
        self._entries[name] = entry
        for alias in aliases:
            self._aliases[alias] = name
        return entry

    def canonical(self, name: str) -> str:
        """The registered name for ``name`` or one of its aliases."""
        key = self._aliases.get(name, name)
        if key not in self._entries:
            raise SpecError(f"unknown {self.kind} {name!r}; known: {', '.join(self.choices())}")
        return key

    def get(self, name: str) -> T:
        return self._entries[self.canonical(name)]

    def names(self) -> tuple[str, ...]:
        """Registered names in registration order (aliases excluded)."""
        return tuple(self._entries)

    def choices(self) -> tuple[str, ...]:
        """Every accepted spelling, sorted: names and aliases."""
        return tuple(sorted([*self._entries, *self._aliases]))

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._aliases
