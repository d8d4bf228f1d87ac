"""Errors a user can cause. The CLI prints ``str(error)`` as one line and exits non-zero."""


class SymbpError(ValueError):
    """Base class for every mistake in user input that symbp reports in one line."""


class SpecError(SymbpError):
    """A network specification that cannot be built (size, activation, loss, option)."""
