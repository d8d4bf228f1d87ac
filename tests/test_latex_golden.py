# ruff: noqa: E501, W291 - the reference TeX is copied verbatim, one source line per string
"""Golden test: symbp prints every backprop result of the sources from its generic derivation.

The expected values are the sources' TeX, copied from shared/reference/seed_equations.md (labels
as there). Each produced equation must equal its reference after :func:`normalise`; where symbp
deliberately differs, the difference is a documented :data:`~symbp.latex.printer_sources.DEVIATIONS`
entry, applied to the reference text here and checked to be really there.
"""

from __future__ import annotations

from functools import cache

import pytest

from symbp.derive.generic import derive_generic
from symbp.latex.printer_normalise import normalise
from symbp.latex.printer_sources import DEVIATIONS, SOURCE_STYLES, deviations, equations

# (notation, hadamard style, label) -> the source's TeX, verbatim
REFERENCE = {
    (
        "wikipedia",
        "cdot",
        "1A.1",
    ): r"{\displaystyle C(y,f^{L}(W^{L}f^{L-1}(W^{L-1}\cdots f^{2}(W^{2}f^{1}(W^{1}x))\cdots )))}",
    (
        "wikipedia",
        "cdot",
        "1A.2",
    ): r"{\displaystyle {\frac {dC}{da^{L}}}\cdot {\frac {da^{L}}{dz^{L}}}\cdot {\frac {dz^{L}}{da^{L-1}}}\cdot {\frac {da^{L-1}}{dz^{L-1}}}\cdot {\frac {dz^{L-1}}{da^{L-2}}}\cdots {\frac {da^{1}}{dz^{1}}}\cdot {\frac {\partial z^{1}}{\partial x}}.}",
    (
        "wikipedia",
        "cdot",
        "1A.3",
    ): r"{\displaystyle {\frac {dC}{da^{L}}}\cdot (f^{L})'\cdot W^{L}\cdot (f^{L-1})'\cdot W^{L-1}\cdots (f^{1})'\cdot W^{1}.}",
    (
        "wikipedia",
        "cdot",
        "1A.4",
    ): r"{\displaystyle \nabla _{x}C=(W^{1})^{T}\cdot (f^{1})'\cdots \cdot (W^{L-1})^{T}\cdot (f^{L-1})'\cdot (W^{L})^{T}\cdot (f^{L})'\cdot \nabla _{a^{L}}C.}",
    ("wikipedia", "cdot", "1A.5"): r"{\displaystyle \delta ^{l}}",
    (
        "wikipedia",
        "cdot",
        "1A.6",
    ): r"{\displaystyle \delta ^{l}:=(f^{l})'\cdot (W^{l+1})^{T}\cdots \cdot (W^{L-1})^{T}\cdot (f^{L-1})'\cdot (W^{L})^{T}\cdot (f^{L})'\cdot \nabla _{a^{L}}C.}",
    ("wikipedia", "cdot", "1A.7"): r"{\displaystyle \nabla _{W^{l}}C=\delta ^{l}(a^{l-1})^{T}.}",
    (
        "wikipedia",
        "cdot",
        "1A.8",
    ): r"{\displaystyle \delta ^{l-1}:=(f^{l-1})'\cdot (W^{l})^{T}\cdot \delta ^{l}.}",
    (
        "wikipedia",
        "cdot",
        "1A.9",
    ): r"{\displaystyle {\begin{aligned}\delta ^{1}&=(f^{1})'\cdot (W^{2})^{T}\cdot (f^{2})'\cdots \cdot (W^{L-1})^{T}\cdot (f^{L-1})'\cdot (W^{L})^{T}\cdot (f^{L})'\cdot \nabla _{a^{L}}C\\\delta ^{2}&=(f^{2})'\cdots \cdot (W^{L-1})^{T}\cdot (f^{L-1})'\cdot (W^{L})^{T}\cdot (f^{L})'\cdot \nabla _{a^{L}}C\\&\vdots \\\delta ^{L-1}&=(f^{L-1})'\cdot (W^{L})^{T}\cdot (f^{L})'\cdot \nabla _{a^{L}}C\\\delta ^{L}&=(f^{L})'\cdot \nabla _{a^{L}}C,\end{aligned}}}",
    (
        "wikipedia",
        "circ",
        "1B.1",
    ): r"{\displaystyle C(y,f^{L}(W^{L}f^{L-1}(W^{L-1}\cdots f^{2}(W^{2}f^{1}(W^{1}x))\cdots )))}",
    (
        "wikipedia",
        "circ",
        "1B.2",
    ): r"{\displaystyle {\frac {dC}{da^{L}}}\cdot {\frac {da^{L}}{dz^{L}}}\cdot {\frac {dz^{L}}{da^{L-1}}}\cdot {\frac {da^{L-1}}{dz^{L-1}}}\cdot {\frac {dz^{L-1}}{da^{L-2}}}\cdot \ldots \cdot {\frac {da^{1}}{dz^{1}}}\cdot {\frac {\partial z^{1}}{\partial x}},}",
    (
        "wikipedia",
        "circ",
        "1B.3",
    ): r"{\displaystyle {\frac {dC}{da^{L}}}\circ (f^{L})'\cdot W^{L}\circ (f^{L-1})'\cdot W^{L-1}\circ \cdots \circ (f^{1})'\cdot W^{1}.}",
    (
        "wikipedia",
        "circ",
        "1B.4",
    ): r"{\displaystyle \nabla _{x}C=(W^{1})^{T}\cdot (f^{1})'\circ \ldots \circ (W^{L-1})^{T}\cdot (f^{L-1})'\circ (W^{L})^{T}\cdot (f^{L})'\circ \nabla _{a^{L}}C.}",
    ("wikipedia", "circ", "1B.5"): r"{\displaystyle \delta ^{l}}",
    (
        "wikipedia",
        "circ",
        "1B.6",
    ): r"{\displaystyle \delta ^{l}:=(f^{l})'\circ (W^{l+1})^{T}\cdot (f^{l+1})'\circ \cdots \circ (W^{L-1})^{T}\cdot (f^{L-1})'\circ (W^{L})^{T}\cdot (f^{L})'\circ \nabla _{a^{L}}C.}",
    ("wikipedia", "circ", "1B.7"): r"{\displaystyle \nabla _{W^{l}}C=\delta ^{l}(a^{l-1})^{T}.}",
    (
        "wikipedia",
        "circ",
        "1B.8",
    ): r"{\displaystyle \delta ^{l-1}:=(f^{l-1})'\circ (W^{l})^{T}\cdot \delta ^{l}.}",
    (
        "wikipedia",
        "circ",
        "1B.9",
    ): r"{\displaystyle {\begin{aligned}\delta ^{1}&=(f^{1})'\circ (W^{2})^{T}\cdot (f^{2})'\circ \cdots \circ (W^{L-1})^{T}\cdot (f^{L-1})'\circ (W^{L})^{T}\cdot (f^{L})'\circ \nabla _{a^{L}}C\\\delta ^{2}&=(f^{2})'\circ \cdots \circ (W^{L-1})^{T}\cdot (f^{L-1})'\circ (W^{L})^{T}\cdot (f^{L})'\circ \nabla _{a^{L}}C\\&\vdots \\\delta ^{L-1}&=(f^{L-1})'\circ (W^{L})^{T}\cdot (f^{L})'\circ \nabla _{a^{L}}C\\\delta ^{L}&=(f^{L})'\circ \nabla _{a^{L}}C,\end{aligned}}}",
    (
        "ng",
        None,
        "2A.10",
    ): r"\delta_i^{(l)}:=\frac{\partial J}{\partial z_i^{(l)}},\qquad \frac{\partial J}{\partial\Theta_{ij}^{(l)}}=\delta_i^{(l+1)}\cdot a_j^{(l)}",
    (
        "ng",
        None,
        "2A.11",
    ): r"\delta^{(l)}=\begin{pmatrix}\delta_1^{(l)}\\ \vdots\\ \delta_{s_l}^{(l)}\end{pmatrix}_{s_l\times 1}",
    ("ng", None, "2A.12"): r"""\begin{aligned}
\delta^{(l)}=\frac{\partial J}{\partial z^{(l)}}
&=\frac{\partial z^{(l+1)}}{\partial z^{(l)}}\cdot\frac{\partial J}{\partial z^{(l+1)}}
=\frac{\partial\left(\Theta^{(l)}\begin{pmatrix}1\\ g(z^{(l)})\end{pmatrix}\right)}{\partial z^{(l)}}\cdot\delta^{(l+1)}\\
&=\begin{pmatrix}
\frac{\partial\,\Theta_1^{(l)}\begin{pmatrix}1\\ g(z^{(l)})\end{pmatrix}}{\partial z_1^{(l)}} & \cdots & \frac{\partial\,\Theta_{s_{l+1}}^{(l)}\begin{pmatrix}1\\ g(z^{(l)})\end{pmatrix}}{\partial z_1^{(l)}}\\
\vdots & & \\
\frac{\partial\,\Theta_1^{(l)}\begin{pmatrix}1\\ g(z^{(l)})\end{pmatrix}}{\partial z_{s_l}^{(l)}} & \cdots & \frac{\partial\,\Theta_{s_{l+1}}^{(l)}\begin{pmatrix}1\\ g(z^{(l)})\end{pmatrix}}{\partial z_{s_l}^{(l)}}
\end{pmatrix}\cdot\delta^{(l+1)}\\
&=\frac{\partial\,\Theta^{(l)}\cdot g(z^{(l)})}{\partial z^{(l)}}\cdot\delta^{(l+1)}
=\frac{\partial(g(z^{(l)}))}{\partial z^{(l)}}\cdot\frac{\partial(\Theta^{(l)}\cdot g(z^{(l)}))}{\partial g(z^{(l)})}\cdot\delta^{(l+1)}\\
&=\begin{pmatrix}g'(z_1^{(l)}) & & \\ & \ddots & \\ & & g'(z_{s_l}^{(l)})\end{pmatrix}\cdot\Theta^{(l)T}\cdot\delta^{(l+1)}
\end{aligned}""",
    (
        "ng",
        None,
        "2A.13",
    ): r"J=\sum_{k=1}^{K}\left[-y_k\cdot\log(h_\Theta(x)_k)-(1-y_k)\cdot\log(1-h_\Theta(x)_k)\right]",
    ("ng", None, "2A.14"): r"J=-y^{T}\cdot\log(a^{(L)})-(\vec{1}-y)^{T}\cdot\log(\vec{1}-a^{(L)})",
    ("ng", None, "2A.15"): r"""\begin{aligned}
\delta^{(L)}=\frac{\partial J}{\partial z^{(L)}}
&=\frac{\partial(a^{(L)})}{\partial z^{(L)}}\cdot\frac{\partial J}{\partial(a^{(L)})}
=\begin{pmatrix}g'(z_1^{(L)}) & & \\ & \ddots & \\ & & g'(z_K^{(L)})\end{pmatrix}\cdot\frac{\partial\left[-y^{T}\cdot\log(a^{(L)})-(1-y)^{T}\cdot\log(1-a^{(L)})\right]}{\partial(a^{(L)})}\\
&=\begin{pmatrix}a_1(1-a_1) & & \\ & \ddots & \\ & & a_K(1-a_K)\end{pmatrix}\cdot\left[-\begin{pmatrix}\frac{1}{a_1} & & \\ & \ddots & \\ & & \frac{1}{a_K}\end{pmatrix}\cdot y+\begin{pmatrix}\frac{1}{1-a_1} & & \\ & \ddots & \\ & & \frac{1}{1-a_K}\end{pmatrix}\cdot(1-y)\right]\\
&=\begin{pmatrix}a_1-1 & & \\ & \ddots & \\ & & a_K-1\end{pmatrix}\cdot y+\begin{pmatrix}a_1 & & \\ & \ddots & \\ & & a_K\end{pmatrix}\cdot(1-y)\\
&=a^{(L)}-y
\end{aligned}""",
    ("ng", None, "2A.16"): r"\delta^{(L)}=a^{(L)}-y",
    ("ng", None, "2B.1"): r"z^{(j+1)} = \Theta^{(j)}a^{(j)}",
    ("ng", None, "2B.4"): r"\delta^{(L)} = a^{(L)} - y^{(t)}",
    ("ng", None, "2B.5a"): r"\delta^{(l)} = ((\Theta^{(l)})^T \delta^{(l+1)})\ .*\ g'(z^{(l)})",
    (
        "ng",
        None,
        "2B.5b",
    ): r"\delta^{(l)} = ((\Theta^{(l)})^T \delta^{(l+1)})\ .*\ a^{(l)}\ .*\ (1 - a^{(l)})",
    ("ng", None, "2B.6"): r"g'(z^{(l)}) = a^{(l)}\ .*\ (1 - a^{(l)})",
    (
        "ng",
        None,
        "2B.7",
    ): r"\delta^{(4)} = a^{(4)} - y,\quad \delta^{(3)} = (\Theta^{(3)})^T\delta^{(4)}\ .*\ g'(z^{(3)}),\quad \delta^{(2)} = (\Theta^{(2)})^T\delta^{(3)}\ .*\ g'(z^{(2)})",
    ("ng", None, "2B.8a"): r"\Delta^{(l)}_{i,j} := \Delta^{(l)}_{i,j} + a_j^{(l)} \delta_i^{(l+1)}",
    ("ng", None, "2B.8b"): r"\Delta^{(l)} := \Delta^{(l)} + \delta^{(l+1)}(a^{(l)})^T",
    (
        "ng",
        None,
        "2B.9a",
    ): r"D^{(l)}_{i,j} := \dfrac{1}{m}\left(\Delta^{(l)}_{i,j} + \lambda\Theta^{(l)}_{i,j}\right)",
    ("ng", None, "2B.9b"): r"D^{(l)}_{i,j} := \dfrac{1}{m}\Delta^{(l)}_{i,j}",
    ("ng", None, "2B.9c"): r"\frac \partial {\partial \Theta_{ij}^{(l)}} J(\Theta) = D_{ij}^{(l)}",
    ("nielsen", None, "29"): r"\delta^l_j \equiv \frac{\partial C}{\partial z^l_j}.",
    ("nielsen", None, "BP1"): r"\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j).",
    ("nielsen", None, "BP1a"): r"\delta^L = \nabla_a C \odot \sigma'(z^L).",
    ("nielsen", None, "30"): r"\delta^L = (a^L-y) \odot \sigma'(z^L).",
    ("nielsen", None, "BP2"): r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l),",
    ("nielsen", None, "BP3"): r"""\frac{\partial C}{\partial b^l_j} =
  \delta^l_j.""",
    ("nielsen", None, "31"): r"\frac{\partial C}{\partial b} = \delta,",
    ("nielsen", None, "BP4"): r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j.",
    ("nielsen", None, "32"): r"""\frac{\partial
    C}{\partial w} = a_{\rm in} \delta_{\rm out},""",
    ("nielsen", None, "33"): r"\delta^L = \Sigma'(z^L) \nabla_a C,",
    ("nielsen", None, "34"): r"\delta^l = \Sigma'(z^l) (w^{l+1})^T \delta^{l+1}.",
    (
        "nielsen",
        None,
        "35",
    ): r"""\delta^l = \Sigma'(z^l) (w^{l+1})^T \ldots \Sigma'(z^{L-1}) (w^L)^T 
    \Sigma'(z^L) \nabla_a C""",
    ("nielsen", None, "45"): r"\delta^l_j = \sum_k w^{l+1}_{kj}  \delta^{l+1}_k \sigma'(z^l_j).",
    (
        "ufldl",
        None,
        "U1",
    ): r"\delta_i^{(n_l)}=\frac{\partial}{\partial z_i^{n_l}}J(W,b;x,y)=\frac{\partial}{\partial z_i^{n_l}}\frac{1}{2}\left\|y-h_{W,b}(x)\right\|^2=-(y_i-f(z_i^{(n_l)}))\cdot f'(z_i^{(n_l)})=-(y_i-a_i^{(n_l)})\cdot f'(z_i^{(n_l)})",
    (
        "ufldl",
        None,
        "U2",
    ): r"\delta_i^{(l)}=\left(\sum_{j=1}^{s_{l+1}}W_{ji}^{(l)}\delta_j^{(l+1)}\right)f'(z_i^{(l)})",
    (
        "ufldl",
        None,
        "U3",
    ): r"\frac{\partial}{\partial W_{ij}^{(l)}}J(W,b;x,y)=a_j^{(l)}\delta_i^{(l+1)},\qquad \frac{\partial}{\partial b_i^{(l)}}J(W,b;x,y)=\delta_i^{(l+1)}.",
    ("ufldl", None, "U4"): r"w'=w-\eta\frac{\partial C}{\partial w}",
}

REQUIRED = (
    [f"1A.{i}" for i in range(1, 10)]
    + [f"1B.{i}" for i in range(1, 10)]
    + [f"2A.{i}" for i in range(10, 17)]
    + ["2B.1", "2B.4", "2B.5a", "2B.5b", "2B.6", "2B.7"]
    + ["2B.8a", "2B.8b", "2B.9a", "2B.9b", "2B.9c"]
    + ["29", "BP1", "BP1a", "30", "BP2", "BP3", "31", "BP4", "32", "33", "34", "35", "45"]
    + ["U1", "U2", "U3", "U4"]
)
"""Every backprop result of seed_equations.md the printer must produce (issue 3)."""

SETTINGS = {
    "wikipedia": {},
    "nielsen": {"loss": "mse"},
    "ng": {"output": "sigmoid", "loss": "bce", "bias": "unit", "examples": True, "l2": True},
    "ufldl": {"loss": "mse"},
}


@cache
def produced(notation: str, hadamard: str | None) -> dict[str, str]:
    der = derive_generic(**SETTINGS[notation])
    return {e.label: e.latex for e in equations(der, notation, hadamard)}


def _expected(notation: str, hadamard: str | None, label: str) -> str:
    reference = REFERENCE[(notation, hadamard, label)]
    for deviation in deviations(notation, hadamard):
        if deviation.label == label:
            assert deviation.reference in reference, deviation.note
            reference = reference.replace(deviation.reference, deviation.symbp)
    return reference


@pytest.mark.parametrize("key", list(REFERENCE), ids=lambda k: f"{k[0]}-{k[2]}")
def test_produced_equation_matches_the_source(key):
    notation, hadamard, label = key
    assert normalise(produced(notation, hadamard)[label]) == normalise(
        _expected(notation, hadamard, label)
    )


@pytest.mark.parametrize("deviation", DEVIATIONS, ids=lambda d: f"{d.notation}-{d.label}")
def test_every_deviation_is_a_real_difference(deviation):
    notation, _, hadamard = deviation.notation.partition("-")
    key = (notation, hadamard or None, deviation.label)
    assert normalise(REFERENCE[key]) != normalise(produced(*key[:2])[deviation.label])
    assert deviation.note


def test_every_produced_equation_has_a_reference():
    for notation, hadamard in SOURCE_STYLES:
        for label in produced(notation, hadamard):
            assert (notation, hadamard, label) in REFERENCE


def test_every_required_equation_has_a_reference_and_is_produced():
    assert sorted(label for _, _, label in REFERENCE) == sorted(REQUIRED)
    for notation, hadamard, label in REFERENCE:
        assert label in produced(notation, hadamard)
