"""The generic derivation's steps proved on every instantiation of a set of small networks.

A generic step holds for any depth L, any layer l and symbolic widths. It is checked by putting
in, for each network of :data:`NETWORKS`, every layer l and every value of its free indices
for which the step's quantities exist: the widths become numbers, the sums are written out,
the Kronecker deltas evaluate, and each entry becomes that network's symbol. Each of those
concrete steps is then proved by :class:`symbp.derive.verify.Verifier` (the sides' meanings,
through SymPy's derivatives of the forward equations, differ by 0).

>>> from symbp.derive.generic import derive_generic
>>> der = derive_generic()
>>> sorted({s.verified_by.split(" on ")[0] for s in der.steps})
['every instantiation']
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from functools import cache

import sympy

from symbp.derive import indexform as ix
from symbp.derive.matrix import COL, DEPTH, LAYER, ROW, SUM
from symbp.derive.verify import D, StepNotVerified, Verifier, as_d, assumption_fixes
from symbp.model import Forward, forward, network

NETWORKS = ((2, 3, 2),)
"""Widths of the networks every generic step is instantiated on (depth 2 and 3, output width
2 so that a softmax Jacobian has an off-diagonal entry)."""
_FREE = (ix.P, ix.Q, ROW, COL, SUM)
_R, _M, _LAMBDA = (
    sympy.Symbol("R"),
    sympy.Symbol("m", positive=True),
    sympy.Symbol("lambda", nonnegative=True),
)


class _Missing(Exception):
    """An instantiation names a quantity the network does not have (a unit past its width)."""


def _symbol(fwd: Forward, x: sympy.Indexed) -> sympy.Expr:
    name, idx = x.base.name, tuple(int(i) for i in x.indices)
    net = fwd.network
    table = {"z": fwd.z, "delta": fwd.delta, "b": fwd.biases}
    if name in table:
        return _get(table[name], idx)
    if name == "w":
        return _get(fwd.weights, idx)
    if name == "a":
        layer, unit = idx
        if unit == 0 and net.bias == "unit" and 0 <= layer < net.L:
            return sympy.Integer(1)
        if layer == 0 and 1 <= unit <= net.sizes[0]:
            return fwd.x[unit - 1]
        return _get(fwd.a, idx)
    if name == "y":
        if not 1 <= idx[0] <= net.sizes[-1]:
            raise _Missing(x)
        return fwd.y[idx[0] - 1]
    if name == "n":
        if not 0 <= idx[0] <= net.L:
            raise _Missing(x)
        return sympy.Integer(net.sizes[idx[0]])
    if name == "dC" and idx[0] == net.L:
        return D(sympy.Symbol("C"), _get(fwd.a, idx))
    if name == "J" and idx[0] == net.L:
        return D(_get(fwd.a, idx[:2]), _get(fwd.z, (idx[0], idx[2])))
    raise _Missing(x)


def _get(table: dict, key: tuple[int, ...]) -> sympy.Symbol:
    if key not in table:
        raise _Missing(key)
    return table[key]


class _Instance:
    """One network of NETWORKS with the generic derivation's activations, loss and bias."""

    def __init__(self, sizes: tuple[int, ...], spec, bias: str) -> None:
        hidden, output, loss = spec
        net = network(list(sizes), hidden, output, loss, bias=bias)
        self.fwd = forward(net)
        regularised = [w for key, w in self.fwd.weights.items() if key[2] != 0]
        extra = {_R: _LAMBDA / (2 * _M) * sympy.Add(*[w**2 for w in regularised])}
        self.verifier = Verifier(self.fwd, assumption_fixes(self.fwd), extra)
        self.acts = {layer: net.activation(layer) for layer in range(1, net.L + 1)}

    def concrete(self, expr: sympy.Expr, values: dict[sympy.Symbol, int]) -> sympy.Expr:
        expr = as_d(expr).xreplace({k: sympy.Integer(v) for k, v in values.items()})
        expr = expr.xreplace({x: self._n(x) for x in expr.atoms(sympy.Indexed) if x.base == ix.n})
        expr = expr.doit()
        expr = expr.xreplace({x: _symbol(self.fwd, x) for x in expr.atoms(sympy.Indexed)})
        expr = expr.replace(ix.f, self._a_of).replace(ix.fprime, self._fprime)
        if any(e.args[1].is_number for e in expr.atoms(D)):
            raise _Missing("a derivative by the bias unit a_0 = 1, which is no variable")
        return expr

    def _n(self, x: sympy.Indexed) -> sympy.Expr:
        return _symbol(self.fwd, x)

    def _a_of(self, layer, z) -> sympy.Symbol:
        for key, symbol in self.fwd.z.items():
            if symbol == z and key[0] == int(layer):
                return self.fwd.a[key]
        raise _Missing(z)

    def _fprime(self, layer, z):
        if int(layer) not in self.acts or z not in self.fwd.z.values():
            raise _Missing(z)
        return self.acts[int(layer)].fprime(z)


@cache
def _instances(spec, bias: str) -> tuple[_Instance, ...]:
    return tuple(_Instance(sizes, spec, bias) for sizes in NETWORKS)


_PROVED: dict[tuple, str] = {}


def verify_generic_step(step, spec, bias: str) -> str:
    """Prove one generic step on every instantiation; the method, or StepNotVerified."""
    key = (step.lhs, step.rhs, step.assumptions, step.where, spec, bias)
    if key not in _PROVED:
        _PROVED[key] = _verify(step, spec, bias)
    return _PROVED[key]


def _verify(step, spec, bias: str) -> str:
    symbols = as_d(step.lhs).free_symbols | as_d(step.rhs).free_symbols
    free = sorted((s for s in symbols if s in _FREE), key=lambda s: s.name)
    count, methods = 0, set()
    for inst in _instances(spec, bias):
        depth = inst.fwd.network.L
        widest = max(inst.fwd.network.sizes)
        for layer in range(1, depth + 1) if LAYER in symbols else (0,):
            for combo in itertools.product(range(widest + 1), repeat=len(free)):
                values = {LAYER: layer, DEPTH: depth, **dict(zip(free, combo, strict=True))}
                if any(values.get(index, lowest) < lowest for index, lowest in step.where):
                    continue
                try:
                    lhs, rhs = (inst.concrete(e, values) for e in (step.lhs, step.rhs))
                except _Missing:
                    continue
                methods.add(inst.verifier.method(lhs, rhs, step.assumptions))
                count += 1
    if not count:
        raise StepNotVerified(f"no network of {NETWORKS} instantiates the step {step}")
    how = "simplify" if "simplify" in methods else "cancel" if "cancel" in methods else "expand"
    return f"every instantiation on {count} concrete steps of networks {_sizes()} ({how})"


def _sizes() -> str:
    return ", ".join("-".join(map(str, s)) for s in NETWORKS)


def verify_generic(der) -> None:
    """Set ``verified_by`` on every step of a generic derivation, or raise StepNotVerified."""
    spec = der.spec
    der.steps[:] = [
        replace(s, verified_by=verify_generic_step(s, spec, der.bias)) for s in der.steps
    ]
