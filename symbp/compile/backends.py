"""One entry point per backend: the trainer module's source, and the module loaded.

``numpy`` is :mod:`symbp.compile.module`; ``torch`` and ``jax`` print the same derived
per-layer form in their framework's ops (:mod:`.torch_module`, :mod:`.jax_module`; a layered
network's proved array form: :mod:`.layered_torch`, :mod:`.layered_jax`). Every
module is checked (it imports its own framework only) and runs with the sandbox builtins.

>>> from symbp.model import network
>>> source = backend_source(network([2, 2, 1], "sigmoid", "sigmoid", "bce"), "jax")
>>> "import jax.numpy as jnp" in source and "@jax.custom_vjp" in source
True
>>> backend_source(network([2, 2, 1], "sigmoid", "sigmoid", "bce"), "tf")
Traceback (most recent call last):
...
symbp.errors.SpecError: unknown backend 'tf'; known: numpy, jax, torch
"""

from __future__ import annotations

import importlib.util
import types

from symbp import notation
from symbp.compile.jax_module import jax_source
from symbp.compile.layered import compile_derivation
from symbp.compile.layered_jax import layered_jax_source
from symbp.compile.layered_torch import layered_torch_source
from symbp.compile.matrix import matrix_form
from symbp.compile.module import DTYPES, trainer_source
from symbp.compile.safety import check_one_line, check_source, sandbox_builtins
from symbp.compile.torch_module import torch_source
from symbp.derive.layered import LayeredDerivation
from symbp.errors import SpecError
from symbp.model import LayeredNetwork, Network

BACKENDS = ("numpy", "jax", "torch")
INSTALL = {"jax": "pip install 'jax[cpu]'", "torch": "pip install torch"}


def check_backend(backend: str) -> str:
    """``backend`` if it is one of :data:`BACKENDS`, else a SpecError naming them."""
    if backend not in BACKENDS:
        raise SpecError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
    return backend


def require_framework(backend: str) -> None:
    """A SpecError (one line, with the install command) if the backend's framework is absent."""
    if backend != "numpy" and importlib.util.find_spec(backend) is None:
        raise SpecError(
            f"the {backend} backend needs {backend}, which is not installed ({INSTALL[backend]})"
        )


def backend_source(
    net: Network | LayeredNetwork | LayeredDerivation,
    backend: str = "numpy",
    dtype: str = "float64",
    style: str = notation.DEFAULT,
) -> str:
    """The trainer module of ``net`` for ``backend`` as Python source."""
    check_backend(backend)
    if backend == "numpy":
        return trainer_source(net, dtype, style)
    if dtype not in DTYPES:
        raise SpecError(f"unknown dtype {dtype!r}; known: {', '.join(DTYPES)}")
    notation.check_notation(style)
    if isinstance(net, LayeredNetwork):
        net = compile_derivation(net)
    if isinstance(net, LayeredDerivation):  # printed from the proved array form
        return (layered_torch_source if backend == "torch" else layered_jax_source)(net, dtype)
    for act in net.activations:  # user text that reaches comments (a custom activation's)
        check_one_line(act.latex, "an activation's LaTeX")
    check_one_line(net.loss.latex, "the loss's LaTeX")
    form = matrix_form(net)
    return (torch_source if backend == "torch" else jax_source)(form, dtype, style)


def load_backend(
    net: Network | LayeredNetwork | LayeredDerivation,
    backend: str = "numpy",
    dtype: str = "float64",
    style: str = notation.DEFAULT,
) -> types.ModuleType:
    """Compile ``net`` for ``backend`` and import the result as a module object (nothing is
    written to disk); the source is checked first and runs with the sandbox builtins."""
    check_backend(backend)
    require_framework(backend)
    return load_source(backend_source(net, backend, dtype, style), backend)


def load_source(source: str, backend: str) -> types.ModuleType:
    """A trainer module from its source (``symbp compile``'s file, say), checked first: it may
    import ``backend``'s framework only, and runs with the sandbox builtins."""
    check_backend(backend)
    require_framework(backend)
    check_source(source, backend)
    module = types.ModuleType(f"symbp_{backend}_trainer")
    module.__dict__["__source__"] = source
    module.__dict__["__builtins__"] = sandbox_builtins(backend)
    exec(compile(source, f"<symbp {backend} trainer>", "exec"), module.__dict__)  # checked above
    return module
