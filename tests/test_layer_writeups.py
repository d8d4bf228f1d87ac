"""Writeups of ``--net`` networks: every layer's backward pass in index form, derived by SymPy
from its forward equation, every printed step proved on concrete instances; the documents in
Markdown, LaTeX (compiled with pdflatex where it is installed) and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import sympy

from symbp.derive import layer_index as li
from symbp.derive.layer_index_proof import StepNotProved, prove_step
from symbp.latex.writeup_layers import render_layers
from symbp.layers.spec import parse_net
from symbp.model import layered_network
from tests.latex_tools import needs_pdflatex, overfull, pdflatex

LAYERS = [
    ("conv2d(2,3,relu)", (1, 5, 5)),
    ("conv2d(3,2,tanh,padding=1)", (2, 4, 4)),
    ("conv2d(2,3,sigmoid,stride=2,padding=1)", (1, 7, 7)),
    ("conv1d(2,3,identity,stride=2)", (2, 9)),
    ("dense(3,softplus)", (4,)),
    ("maxpool2d(2)", (2, 4, 4)),
    ("avgpool1d(3)", (2, 6)),
]


@pytest.mark.parametrize("spec,shape", LAYERS, ids=[s for s, _ in LAYERS])
def test_every_step_is_derived_and_proved(spec: str, shape: tuple[int, ...]) -> None:
    form = li.layer_form(parse_net(spec)[0], shape, 1)
    quantities = {s.quantity for s in form.steps}
    assert "input" in quantities
    if not spec.endswith("pool2d(2)") and "pool" not in spec:
        assert {"W", "b", "delta"} <= quantities
    for step in form.steps:
        assert step.verified_by.startswith("every entry of"), step
    # each block is one chain: every step starts where the one before it ended
    for quantity in quantities:
        steps = form.steps_for(quantity)
        assert steps[0].lhs.has(li.C)
        for before, after in zip(steps, steps[1:], strict=False):
            assert after.lhs == before.rhs


def test_a_convolutions_input_gradient_is_the_flipped_kernel() -> None:
    form = li.layer_form(parse_net("conv2d(2,3,relu)")[0], (1, 5, 5), 1)
    last = form.steps_for("input")[-1]
    assert last.rule == "change the summation index to the kernel's"
    p, q = li.SPATIAL[2]
    u, v = li.SPATIAL[3]
    # delta at u - p: the kernel offset enters the error's position with a minus sign
    entries = {e for e in last.rhs.atoms(sympy.Indexed) if e.base == li.delta}
    assert entries == {li.delta[li.o, u - p, v - q]}


def test_a_false_step_is_caught() -> None:
    form = li.layer_form(parse_net("conv1d(2,2,relu)")[0], (1, 4), 1)
    step = form.steps_for("W")[-1]
    i = li.SPATIAL[0][0]
    flipped = step.rhs.xreplace(
        {li.x[li.c2, i + li.SPATIAL[2][0]]: li.x[li.c2, i - li.SPATIAL[2][0]]}
    )
    assert flipped != step.rhs
    with pytest.raises(StepNotProved, match="fails at"):
        prove_step(form, replace(step, rhs=flipped), [(2, 4)])


NET = ("1x4x4", "conv2d(2,3,relu,padding=1) maxpool2d(2) flatten dense(2,softmax)", "cce")


@pytest.mark.parametrize("notation", ["wikipedia", "nielsen", "ng"])
def test_markdown_names_every_layer_in_the_notation(notation: str) -> None:
    text = render_layers(layered_network(*NET), notation, "markdown")
    for n in range(1, 5):
        assert f"### Layer {n}:" in text
    assert text.count("```math") == text.count("\\end{aligned}")
    assert "\\Theta" in text if notation == "ng" else "\\Theta" not in text
    assert "Over a batch this is `correlate_input_delta(X, DZ, k, stride, padding)`" in text


@needs_pdflatex
def test_latex_compiles(tmp_path: Path) -> None:
    log = pdflatex(tmp_path, render_layers(layered_network(*NET), "wikipedia", "latex"), "net.tex")
    assert overfull(log) == []  # the page fits: nothing sticks into the margin


def test_the_command_writes_json_and_refuses_o_for_it(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "symbp", "derive", "--input", NET[0], "--net", NET[1],
            "--loss", "cce", "--format", "json"]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert [layer["spec"] for layer in data["layers"]][1:] == [
        "maxpool2d(2)",
        "flatten",
        "dense(2,softmax)",
    ]
    assert data["layers"][2]["index_form"] is None
    assert all(s["verified_by"] for s in data["layers"][0]["steps"])
    refused = subprocess.run(
        [*argv, "-o", str(tmp_path / "x.json")], capture_output=True, text=True
    )
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "redirect" in refused.stderr
    assert not (tmp_path / "x.json").exists()


def test_markdown_to_a_file_writes_the_shapes_picture_beside_it(tmp_path: Path) -> None:
    out = tmp_path / "cnn.md"
    argv = [sys.executable, "-m", "symbp", "derive", "--input", NET[0], "--net", NET[1],
            "--loss", "cce", "--format", "markdown", "-o", str(out)]  # fmt: skip
    subprocess.run(argv, capture_output=True, text=True, check=True)
    svg = (tmp_path / "cnn.svg").read_text()
    assert "![the network](cnn.svg)" in out.read_text()
    assert svg.count("<rect") == 1 + 4  # the input and the four layers
    assert "2x4x4" in svg and "2x2x2" in svg and "maxpool2d(2)" in svg
    # an existing picture is never overwritten unasked, and nothing is written then
    out.unlink()
    again = subprocess.run(argv, capture_output=True, text=True)
    assert again.returncode == 2 and "cnn.svg" in again.stderr and not out.exists()
