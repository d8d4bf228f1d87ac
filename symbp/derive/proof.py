"""The proof report: every backprop gradient equals the direct derivative of the loss.

For each parameter (and each input x_k) one of two methods, named in the report:

- ``symbolic``, a proof, by one of two arguments (the line's detail says which):

  - *composed loss* (:mod:`symbp.derive.proof_symbolic`): ``sympy.diff`` of the fully composed
    loss minus the backprop form, every named intermediate substituted back, simplifies to 0.
  - *induction over the layers* (:mod:`symbp.derive.proof_induction`): every delta is proved
    equal to dC/dz, the output layer's by ``sympy.diff`` of the loss and each hidden layer's by
    one chain-rule identity per unit given the layer above; each gradient is then one local
    derivative of the pre-activations containing the parameter. One small identity per unit
    and per parameter, so it scales to networks whose composed loss SymPy cannot differentiate.

  The assumptions the derivation used (sum_j y_j = 1) are substituted first and listed; the
  mean over m examples and the L2 term follow by linearity, the L2 term's derivative checked
  separately.
- ``numeric`` (:mod:`symbp.derive.proof_numeric`): at several random points, in 60-digit
  arithmetic, the backprop form agrees with a central difference of the composed objective.
  This is evidence, not a proof, and the report says so.

``method``: ``"composed"`` tries the composed loss on every quantity (each within
``time_limit`` seconds), ``"induction"`` the induction, ``"symbolic"`` the induction and then
the composed loss on what it did not prove, ``"numeric"`` only the numeric comparison.
``"auto"`` (the default) tries the composed loss and then the induction up to
:data:`SYMBOLIC_PARAMETER_LIMIT` parameters, and the induction alone past it. Whatever the
symbolic arguments leave unproved (a wrong gradient, or one the identities cannot show) is
compared numerically, and the report says so line by line.

>>> from symbp.model import network
>>> from symbp.derive.concrete import derive
>>> report = prove(derive(network([1, 1], "sigmoid", "sigmoid", "bce")))
>>> print(report.summary())
3 of 3 quantities proved symbolically, 0 agreed numerically, 0 failed
>>> print(prove(derive(network([1, 1], "sigmoid", "sigmoid", "bce")), "induction").summary())
3 of 3 quantities proved symbolically (3 by induction over the layers), 0 agreed numerically, \
0 failed
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import mpmath

from symbp.derive.concrete import Derivation
from symbp.derive.proof_induction import prove_by_induction
from symbp.derive.proof_numeric import agree_numerically
from symbp.derive.proof_symbolic import prove_composed
from symbp.errors import SymbpError

METHODS = ("auto", "composed", "induction", "numeric", "symbolic")
SYMBOLIC_PARAMETER_LIMIT = 100
"""``auto`` tries the composed-loss method on networks with at most this many parameters."""
AUTO_SAMPLE_ABOVE = 1000
AUTO_SAMPLE = 300
"""When more than AUTO_SAMPLE_ABOVE quantities are left to the numeric method (no symbolic proof
applied), ``auto`` compares a seeded sample of AUTO_SAMPLE of them, so that a large network's
report takes seconds, not hours, and says so."""
INDUCTION = "induction"


@dataclass(frozen=True)
class ProofLine:
    quantity: str
    method: str
    holds: bool
    detail: str
    max_relative_error: float | None = None
    argument: str = ""
    """For a symbolic line, which proof: ``"composed loss"`` or ``"induction"``."""


@dataclass
class ProofReport:
    network_description: str
    lines: list[ProofLine] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    total: int = 0
    """How many quantities the network has; more than ``len(lines)`` when only a sample ran."""
    numeric_sampled_from: int = 0
    """How many quantities no symbolic proof covered, when ``auto`` compared only a sample."""

    def count(self, method: str, holds: bool = True) -> int:
        return sum(1 for line in self.lines if line.method == method and line.holds == holds)

    @property
    def ok(self) -> bool:
        return all(line.holds for line in self.lines)

    def summary(self) -> str:
        failed = sum(1 for line in self.lines if not line.holds)
        by_induction = sum(1 for line in self.lines if line.argument == INDUCTION and line.holds)
        shown = self.total if self.numeric_sampled_from else len(self.lines)
        text = f"{self.count('symbolic')} of {shown} quantities proved symbolically"
        if by_induction:
            text += f" ({by_induction} by induction over the layers)"
        text += f", {self.count('numeric')} agreed numerically, {failed} failed"
        if self.numeric_sampled_from:
            text += (
                f" (the numeric comparison ran on a seeded random sample of "
                f"{self.count('numeric') + failed} of the {self.numeric_sampled_from:,} "
                "quantities no symbolic proof covered, the others unchecked; --proof numeric "
                "checks them all)"
            )
        elif self.total > len(self.lines):
            text += (
                f" (a seeded random sample of {len(self.lines)} of the network's {self.total:,} "
                "quantities; --proof numeric checks them all)"
            )
        return text

    def __str__(self) -> str:
        out = [f"proof report for {self.network_description}", self.summary()]
        out += [f"assuming {a}" for a in self.assumptions]
        for line in self.lines:
            verdict = "ok  " if line.holds else "FAIL"
            out.append(f"  {verdict} {line.quantity:>12}  {line.method:8}  {line.detail}")
        return "\n".join(out)


def _numeric_lines(der: Derivation, quantities, points: int, seed: int) -> dict[str, ProofLine]:
    lines = {}
    for name, (ok, worst) in agree_numerically(der, quantities, points, seed).items():
        detail = (
            f"agreed at {points} random points with a 60-digit central difference of the "
            f"composed objective (worst relative gap {mpmath.nstr(worst, 3)}); not a proof"
        )
        lines[name] = ProofLine(name, "numeric", ok, detail, float(worst))
    return lines


ORDER = {
    "composed": ("composed",),
    "induction": ("induction",),
    "symbolic": ("induction", "composed"),
    "small": ("composed", "induction"),
    "numeric": (),
}
"""The symbolic arguments each method tries, in order, on what the previous one left."""


def _symbolic_lines(der: Derivation, arguments, quantities, time_limit: float) -> dict:
    """The quantities the given symbolic arguments prove, as report lines."""
    lines: dict[str, ProofLine] = {}
    for argument in arguments:
        rest = [q for q in quantities if q[0] not in lines]
        if not rest:
            break
        if argument == "composed":
            for name, how in prove_composed(der, rest, time_limit).items():
                lines[name] = ProofLine(name, "symbolic", True, how, argument="composed loss")
        else:
            induction = prove_by_induction(der, rest)
            how = induction.detail(der)
            for name in induction.quantities:
                lines[name] = ProofLine(name, "symbolic", True, how, argument=INDUCTION)
    return lines


def prove(
    der: Derivation,
    method: str = "auto",
    points: int = 3,
    seed: int = 0,
    time_limit: float = 5.0,
    sample: int | None = None,
) -> ProofReport:
    """Prove (or, failing that, compare numerically) every parameter's and input's backprop
    gradient against the derivative of the loss; ``method`` as in the module docstring.

    ``sample`` checks a seeded random subset of that many quantities; ``method="auto"`` does so
    by itself (:data:`AUTO_SAMPLE`) for the numeric comparison when more than
    :data:`AUTO_SAMPLE_ABOVE` quantities are left to it, and says so.
    """
    if method not in METHODS:
        raise SymbpError(f"unknown proof method {method!r}; known: {', '.join(METHODS)}")
    fwd = der.forward
    quantities = [(p.name, p, der.gradients[p]) for p in fwd.parameters]
    quantities += [(x.name, x, der.grad_x[k]) for k, x in enumerate(fwd.x, start=1)]
    total = len(quantities)
    if sample is not None and sample < total:
        picked = set(random.Random(seed).sample(range(total), sample))
        quantities = [q for i, q in enumerate(quantities) if i in picked]
    chosen = method
    if method == "auto":
        small = der.network.parameter_count <= SYMBOLIC_PARAMETER_LIMIT
        chosen = "small" if small else "induction"
    symbolic = _symbolic_lines(der, ORDER[chosen], quantities, time_limit)
    rest = [q for q in quantities if q[0] not in symbolic]
    report = ProofReport(der.network.describe(), assumptions=[a.name for a in der.assumptions])
    report.total = total
    if sample is None and method == "auto" and len(rest) > AUTO_SAMPLE_ABOVE:
        report.numeric_sampled_from = len(rest)
        picked = set(random.Random(seed).sample(range(len(rest)), AUTO_SAMPLE))
        rest = [q for i, q in enumerate(rest) if i in picked]
    numeric = _numeric_lines(der, rest, points, seed) if rest else {}
    report.lines = [
        symbolic.get(name) or numeric[name]
        for name, _, _ in quantities
        if name in symbolic or name in numeric
    ]
    return report
