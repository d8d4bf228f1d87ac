"""Step lists for single quantities, rebuilt on demand from a :class:`Derivation`'s data.

Storing every step of every parameter would cost memory in proportion to ~200,000 weights for
nothing; the steps are cheap to rebuild from the ``uses`` index the derivation keeps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from symbp import notation
from symbp.derive.steps import Rule, Step, d
from symbp.derive.verify import verify_steps
from symbp.errors import SymbpError

if TYPE_CHECKING:
    from symbp.derive.concrete import Derivation

C = sympy.Symbol("C")
J = sympy.Symbol("J")


def _z_source(der: Derivation, unit: tuple[int, ...]) -> str:
    fwd = der.forward
    return f"{fwd.z[unit]} = {fwd.z_def[unit]}"


def _through_units(der: Derivation, var: sympy.Symbol, head: sympy.Symbol | None) -> list[Step]:
    """dC/dvar by the chain rule through every pre-activation that contains var."""
    fwd = der.forward
    uses = der.uses.get(var, [])
    lhs = d(C, var)
    steps = [] if head is None else [Step(head, lhs, Rule.DEFINITION)]
    chain = sympy.Add(*[d(C, fwd.z[u]) * d(fwd.z[u], var) for u, _ in uses])
    sources = "; ".join(_z_source(der, u) for u, _ in uses[:3]) + ("; ..." if len(uses) > 3 else "")
    steps.append(Step(lhs, chain, Rule.CHAIN_RULE, sources))
    local = sympy.Add(*[d(C, fwd.z[u]) * value for u, value in uses])
    steps.append(Step(lhs, local, Rule.LOCAL_DERIVATIVE, sources))
    steps.append(Step(lhs, sympy.Add(*[fwd.delta[u] * v for u, v in uses]), Rule.SUBSTITUTE))
    return steps


def _output_steps(der: Derivation, steps: list[Step]) -> list[Step]:
    """The output error's steps with the loss and the activation differentiated one at a time."""
    fwd = der.forward
    out: list[Step] = []
    for step in steps:
        if step.rule != Rule.LOCAL_DERIVATIVE:
            out.append(step)
            continue
        chain = out[-1].rhs
        loss = {d(C, a): sympy.diff(fwd.loss, a) for a in fwd.previous(der.network.L)}
        source = f"C = {der.network.loss.name}(a^L, y)"
        out.append(Step(step.lhs, chain.xreplace(loss), Rule.LOSS_DERIVATIVE, source))
        act = der.network.activation(der.network.L)
        out.append(Step(step.lhs, step.rhs, Rule.ACTIVATION_DERIVATIVE, f"a^L = {act.name}(z^L)"))
    return out


def _hidden_delta(der: Derivation, layer: int, j: int) -> list[Step]:
    from symbp.derive.concrete import _output_identity_holds

    fwd = der.forward
    z_j, a_j = fwd.z[(layer, j)], fwd.a[(layer, j)]
    act = der.network.activation(layer)
    steps = [Step(fwd.delta[(layer, j)], d(C, z_j), Rule.DEFINITION)]
    units = range(1, der.network.sizes[layer] + 1)
    depends = [i for i in units if z_j in fwd.a_def[(layer, i)].free_symbols]
    outs = fwd.previous(layer)
    chain = sympy.Add(*[d(C, outs[i - 1]) * d(outs[i - 1], z_j) for i in depends])
    steps.append(Step(d(C, z_j), chain, Rule.CHAIN_RULE, f"a^{layer} = {act.name}(z^{layer})"))
    if act.elementwise:
        steps.append(
            Step(d(C, z_j), d(C, a_j) * act.fprime(z_j), Rule.ACTIVATION_DERIVATIVE, act.kink or "")
        )
        in_outputs = act.fprime_in_output(a_j)
        if in_outputs is not None and _output_identity_holds(act) and act.name != "identity":
            steps.append(Step(d(C, z_j), d(C, a_j) * in_outputs, Rule.OUTPUT_FORM))
    else:
        jacobian = [act.jacobian_in_outputs(outs, i - 1, j - 1) for i in depends]
        local = sympy.Add(*[d(C, outs[i - 1]) * e for i, e in zip(depends, jacobian, strict=True)])
        steps.append(Step(d(C, z_j), local, Rule.ACTIVATION_DERIVATIVE, f"{act.name} Jacobian"))
    for i in depends:
        steps += _through_units(der, outs[i - 1], None)
    steps.append(Step(fwd.delta[(layer, j)], der.deltas[(layer, j)], Rule.SUBSTITUTE))
    return steps


def explain(der: Derivation, quantity: str | sympy.Symbol) -> list[Step]:
    """Steps deriving one delta (``delta2_1``), gradient (``w2_1_3``) or input gradient (``x1``),
    each proved in the network as it is made (``verified_by``; a false step raises).

    >>> from symbp.model import network
    >>> from symbp.derive.concrete import derive
    >>> steps = explain(derive(network([1, 1], "sigmoid", "sigmoid", "mse")), "w1_1_1")
    >>> [s.verified_by for s in steps][:2]
    ['concrete network (expand)', 'the line above, rewritten (expand)']
    """
    return verify_steps(der.forward, _explain(der, quantity))


def _explain(der: Derivation, quantity: str | sympy.Symbol) -> list[Step]:
    name = quantity.name if isinstance(quantity, sympy.Symbol) else quantity
    kind, idx = notation.parse_name(name)
    fwd = der.forward
    if kind == "delta" and idx in der.output_steps:
        return _output_steps(der, der.output_steps[idx])
    if kind == "delta" and idx in der.deltas:
        return _hidden_delta(der, *idx)
    symbol = sympy.Symbol(name, real=True)
    if kind in ("weight", "bias") and symbol in der.gradients:
        steps = _through_units(der, symbol, None)
        if der.network.examples > 1 or der.network.l2:
            m = sympy.Symbol("m", positive=True)
            t = sympy.Symbol("t", integer=True, positive=True)
            mean = sympy.Sum(sympy.Function("g")(t), (t, 1, m)) / m
            reg = der.network.l2 / m * symbol if der.forward.regularised(symbol) else 0
            source = (
                "J = (1/m) sum_t C^(t) + lambda/(2m) sum w^2; g(t) = the result above for example t"
            )
            steps.append(Step(d(J, symbol), mean + reg, Rule.MEAN, source))
        return steps
    if kind == "input" and symbol in fwd.x:
        return _through_units(der, symbol, None)
    raise SymbpError(f"{name!r} is not a delta, parameter or input of this network")
