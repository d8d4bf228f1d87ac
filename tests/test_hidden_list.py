"""``--hidden relu,tanh``: one activation per hidden layer, on every command and in a header."""

from __future__ import annotations

import json

import pytest

from symbp.cli import main
from symbp.flags import header_values, network_from_values, split_activations
from symbp.web import forms

NET = ["--layers", "2,3,3,2", "--hidden", "relu,tanh", "--output", "softmax", "--loss", "cce"]
SPIRALS = ["--layers", "2,6,6,3", "--hidden", "relu,tanh", "--output", "softmax", "--loss", "cce"]


def test_split_keeps_commas_inside_parentheses() -> None:
    assert split_activations("leaky_relu(0.5),tanh") == ["leaky_relu(0.5)", "tanh"]
    assert split_activations(" relu , softplus ") == ["relu", "softplus"]
    net = network_from_values({"layers": "2,3,3,2", "hidden": "leaky_relu(0.5), tanh"})
    assert [act.name for act in net.activations] == ["leaky_relu", "tanh", "tanh"]
    assert float(net.activation(1)([-2])[0]) == -1.0  # alpha 0.5 reached the first layer


def test_one_name_still_means_every_hidden_layer() -> None:
    net = network_from_values({"layers": "2,3,3,2", "hidden": "relu"})
    assert [act.name for act in net.activations] == ["relu", "relu", "relu"]
    listed = network_from_values({"layers": "2,3,3,2", "hidden": "relu,tanh"})
    assert [act.name for act in listed.activations] == ["relu", "tanh", "tanh"]  # output: last


def test_derive_text_takes_each_layers_derivative(capsys) -> None:
    assert main(["derive", *NET]) == 0
    out = capsys.readouterr().out
    assert "network: 2-3-3-2 (relu, tanh, softmax; categorical_cross_entropy" in out
    deltas = {line.split(" = ")[0].strip(): line for line in out.splitlines() if "delta" in line}
    assert "Heaviside(z1_1, 0)" in deltas["delta1_1"] and "a1_1**2" not in deltas["delta1_1"]
    assert "(1 - a2_1**2)" in deltas["delta2_1"] and "Heaviside" not in deltas["delta2_1"]
    assert "0 failed" in out and "FAIL" not in out


def test_derive_markdown_names_each_layers_activation(capsys) -> None:
    assert main(["derive", *NET, "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert r"| 1 | 3 | $`\operatorname{ReLU}`$ (relu) |" in out
    assert r"| 2 | 3 | $`\tanh`$ (tanh) |" in out
    assert r"$`f^{1} = \operatorname{ReLU}`$, $`f^{2} = \tanh`$" in out
    assert r"(f^{2})' &= 1 - a^{2} \circ a^{2}" in out
    assert "relu'(0) = 0" in out
    assert "--hidden relu,tanh" in out  # the command that regenerates it


def test_derive_json_proof_passes(capsys) -> None:
    assert main(["derive", *NET, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["proof"]) == 9 + 12 + 8 + 2  # every weight and bias, and the inputs
    assert all(line["holds"] and line["method"] == "symbolic" for line in data["proof"])


def test_compile_and_train_with_gradcheck(tmp_path, capsys) -> None:
    out = tmp_path / "trainer.py"
    assert main(["compile", *SPIRALS, "-o", str(out)]) == 0
    capsys.readouterr()
    source = out.read_text()
    assert "np.maximum(Z1, 0.0" in source and "np.tanh(Z2" in source
    flags = ["--data", "spirals", "--epochs", "5", "--lr", "0.1", "--gradcheck", "--json"]
    assert main(["train", *SPIRALS, *flags]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["network"].startswith("2-6-6-3 (relu, tanh, softmax")
    assert report["gradcheck_max_relative_error"] < 1e-6


HEADER = "% symbp: --layers 2,3,3,2 --hidden relu,tanh --output softmax --loss cce\n"
TANH_RECURSION = (
    r"\delta^{{{l}}} = (1 - a^{{{l}}} \circ a^{{{l}}}) \circ (W^{{{u}}})^{{T}} \cdot \delta^{{{u}}}"
)


def test_check_reads_the_list_in_a_header(tmp_path, capsys) -> None:
    assert header_values(HEADER)["hidden"] == "relu,tanh"
    doc = tmp_path / "d.md"
    doc.write_text(HEADER + f"$${TANH_RECURSION.format(l=2, u=3)}$$\n")
    assert main(["check", str(doc)]) == 0  # layer 2 is tanh
    assert "(relu, tanh, softmax;" in capsys.readouterr().out
    doc.write_text(HEADER + f"$${TANH_RECURSION.format(l=1, u=2)}$$\n")
    assert main(["check", str(doc)]) == 1  # layer 1 is relu, not tanh
    assert "INVALID" in capsys.readouterr().out


def test_web_flags_pass_the_list_to_the_command_line(capsys) -> None:
    argv = forms.flags_argv("--layers 2,3,3,2 --hidden 'relu, leaky_relu(0.5)'", forms.DERIVE)
    assert argv == ["--layers=2,3,3,2", "--hidden=relu, leaky_relu(0.5)"]
    assert main(["derive", *argv, "--proof", "none"]) == 0
    assert "(relu, leaky_relu, leaky_relu;" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["derive", "--layers", "2,3,2", "--hidden", "relu,tanh"],
            "--hidden has 2 activations but --layers 2,3,2 has 1 hidden layer",
        ),
        (
            ["compile", "--layers", "2,3,3,3,2", "--hidden", "relu,tanh"],
            "--hidden has 2 activations but --layers 2,3,3,3,2 has 3 hidden layers",
        ),
        (
            ["derive", "--layers", "2,1", "--hidden", "relu,tanh"],
            "--hidden has 2 activations but --layers 2,1 has 0 hidden layers",
        ),
        (["derive", *NET[:2], "--hidden", "relu,sigmod"], "unknown activation 'sigmod'"),
        (["derive", *NET[:2], "--hidden", "relu,"], "cannot read activation ''"),
        (["derive", *NET[:2], "--hidden", "relu,leaky_relu(0.5"], "cannot read activation"),
        (["derive", *NET[:2], "--hidden", "relu,tanh", "--output", "relu,tanh"], "--output is one"),
        (["derive", *NET[:2], "--hidden", "relu,tanh", "--generic"], "--generic derives one"),
    ],
)
def test_errors_are_one_line_exit_2(argv, message, capsys) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert message in captured.err and "Traceback" not in captured.err


def test_a_header_with_the_wrong_count_is_one_line(tmp_path, capsys) -> None:
    doc = tmp_path / "d.md"
    doc.write_text("% symbp: --layers 2,3,2 --hidden relu,tanh\n$$\\delta^L = a^L - y$$\n")
    assert main(["check", str(doc)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--layers 2,3,2 has 1 hidden layer" in err
