"""The lines a layered trainer prints for a conv layer's elementwise steps, written into
arrays kept between passes (:mod:`symbp.compile.layered` prints the rest).

A conv layer's z, and the gradient its dx operation above hands it, are arrays the proved
operations keep between passes (:mod:`symbp.derive.arrayops_conv`); its activation is written
into a kept array too (:func:`~symbp.compile.layered_ops.written_into`), and its dz = DA * f'(z)
overwrites DA in place, a step f' = H(z) as one fused product
(:func:`~symbp.compile.layered_ops.step_product`).

>>> from symbp.compile.layered import _Printer, compile_derivation
>>> from symbp.model import layered_network
>>> spec = "conv2d(2,3,relu) conv2d(2,2,relu) flatten dense(2,softmax)"
>>> pr = _Printer(compile_derivation(layered_network("1x6x6", spec, "cce")))
>>> dz_lines(pr, 1)[1:]
['DZ1 = _times_step(DA1, Z1)']
>>> own_delta(pr, 2)  # DA2 is flatten's view of the dense layer's gradient
False
"""

from __future__ import annotations

import inspect

from symbp.compile.layered_ops import operation, step_product, written_into


def activation_line(p: int, code: str) -> str:
    """``A<p> = f(Z<p>)``, written into a kept array where ``code`` is one ufunc call."""
    return f"A{p} = {written_into(code, f'A{p}', f'Z{p}')}"


def own_delta(pr, p: int) -> bool:  # noqa: ANN001 - the layered printer
    """Whether DA<p> of conv layer p is an array this pass made for it alone (the dx operation
    above keeps its result and writes every entry of it at every pass), which dz may
    overwrite."""
    above = pr.steps.get((p + 1, "dx"))
    if not pr.net.layers[p - 1].kind.startswith("conv") or above is None:
        return False
    if len(above.ops) != 1 or above.ops[0] == "reshape":  # flatten's view of DA above
        return False
    return "key" in inspect.signature(operation(above.ops[0])).parameters


def dz_lines(pr, p: int) -> list[str]:  # noqa: ANN001 - the layered printer
    """dC/dz = dC/da * f'(z) of conv layer p, in place in DA<p> (see :func:`own_delta`)."""
    template = pr.step(p, "dz").template
    comment = f"# dC/dz = dC/da * f'(z): {template} (in place)"
    fused = step_product(template, f"DA{p}", f"Z{p}")
    if fused:
        return [comment, f"DZ{p} = {fused}"]
    return [comment, f"DA{p} *= {pr.factor(p, boolean=True)}", f"DZ{p} = DA{p}"]
