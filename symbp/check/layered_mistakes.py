"""The usual mistakes in a layer's backward pass, each made by changing symbp's own derived
result: a kernel flipped or not, delta read at u + p, the full convolution's offset off by one,
max-pooling's gradient sent to the whole window, a missing term of backpropagation through time,
a missing activation derivative, a sign, an untransposed weight matrix. The layered checker
(:mod:`symbp.check.layered`) names the first one that equals a refuted step."""

from __future__ import annotations

import sympy

from symbp.derive import layer_index as li
from symbp.layers import index as ix


def mistakes(truth: sympy.Expr, entry: sympy.Indexed):
    """(hint, wrong result) for the usual mistakes, each a change of the derived result for
    ``entry`` (the quantity differentiated by)."""
    entries = truth.atoms(sympy.Indexed)
    conv = [e for e in entries if e.base == ix.W and len(e.indices) > 2]
    if entry.base == ix.W and len(entry.indices) > 2:  # a kernel's own gradient
        offsets = {i: li.K - 1 - i for i in entry.indices[2:] if isinstance(i, sympy.Symbol)}
        yield ("the kernel is flipped where it should not be: the forward pass is a "
               "correlation, so the kernel's gradient correlates the input with delta "
               "(offsets i + p, no flip)", truth.xreplace(offsets))  # fmt: skip
    if conv:
        kernel = {i for e in conv for i in e.indices[2:] if isinstance(i, sympy.Symbol)}
        against = {e: ix.delta[(e.indices[0], *(i.xreplace({k: -k for k in kernel})
                                                 + 2 * i.coeff(li.PAD) * li.PAD
                                                 for i in e.indices[1:]))]
                   for e in entries if e.base == ix.delta}  # fmt: skip
        yield ("delta is read with the kernel offset added (u + p), which correlates delta "
               "with the kernel: the input gradient convolves it (delta at u - p, the kernel "
               "flipped)", truth.xreplace(against))  # fmt: skip
        flip = {e: ix.W[(*e.indices[:2], *(li.K - 1 - i for i in e.indices[2:]))] for e in conv}
        yield ("the kernel is flipped where it should not be, or not flipped where it should "
               "be: the forward pass is a correlation, its weight gradient correlates the input "
               "with delta (no flip), its input gradient is the full convolution of delta with "
               "the flipped kernel", truth.xreplace(flip))  # fmt: skip
        deltas = [e for e in entries if e.base == ix.delta and len(e.indices) > 1]
        for shift in (1, -1):
            moved = {e: ix.delta[(e.indices[0], *(i + shift for i in e.indices[1:]))]
                     for e in deltas}  # fmt: skip
            yield ("the full convolution's offset is off by one: delta is padded by k - 1 - P "
                   "on each side", truth.xreplace(moved))  # fmt: skip
    masks = [e for e in entries if e.base == ix.M]
    if masks:

        def window(e):
            offsets = e.indices[1 + (len(e.indices) - 1) // 2 :]
            inside = sympy.And(*[sympy.And(o >= 0, o <= li.K - 1) for o in offsets])
            return sympy.Piecewise((1, inside), (0, True))

        yield ("the gradient is sent to every input of the window: max-pooling routes it to the "
               "window's maximum only (the first maximum at ties)",
               truth.xreplace({e: window(e) for e in masks}))  # fmt: skip
    terms = sympy.Add.make_args(truth)
    above = [t for t in terms if t.atoms(sympy.Indexed) and all(
        e.base == ix.dA for e in t.atoms(sympy.Indexed))]  # fmt: skip
    if above and len(above) < len(terms):
        yield (
            "the gradient through the next time step (W_h^T delta_{t+1}) is missing: "
            "h_t also feeds z_{t+1}",
            sympy.Add(*above),
        )
        yield (
            "the gradient from the layers above (dC/da_t) is missing",
            sympy.Add(*[t for t in terms if t not in above]),
        )
    grads = {ix.dA, ix.dH}
    for t in terms:
        factors = sympy.Mul.make_args(t)
        kept = [f for f in factors if f.atoms(sympy.Indexed) and
                all(e.base in grads for e in f.atoms(sympy.Indexed)) or f.is_number]  # fmt: skip
        if len(terms) == 1 and kept and len(kept) < len(factors) and not conv:
            yield (
                "the activation's derivative is missing: delta = dC/da times f'(z)",
                sympy.Mul(*kept),
            )
    yield "sign error", -truth
    if any(e.base in (ix.W, ix.Wx, ix.Wh) and len(e.indices) == 2 for e in entries):
        swap = {e: e.base[tuple(reversed(e.indices))] for e in entries
                if e.base in (ix.W, ix.Wx, ix.Wh) and len(e.indices) == 2}  # fmt: skip
        yield (
            "the weight matrix is not transposed: the gradient goes back through W^T",
            truth.xreplace(swap),
        )
