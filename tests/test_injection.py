"""No code from strings: every entry point that takes user text refuses to run it.

Each payload would create a marker file if it ran; the test asserts the refusal (a SpecError or
CompileError, one line) and that the marker never appears.
"""

from __future__ import annotations

import pytest
import sympy

from symbp.activations import Elementwise, custom_activation, get_activation
from symbp.compile import load_trainer, trainer_source
from symbp.compile.safety import check_source
from symbp.errors import SymbpError
from symbp.losses import Loss, custom_loss
from symbp.model import network


def _payloads(marker) -> list[str]:
    command = f"touch {marker}"
    return [
        f"__import__('os').system('{command}')",
        f"t + __import__('os').system('{command}')",
        f"exec(\"import os; os.system('{command}')\")",
        f"eval(\"__import__('os').system('{command}')\")",
        "().__class__.__base__.__subclasses__()",
        f"t if __import__('os').system('{command}') else t",
        "lambda: 1",
        "[t for t in ()]",
        "exp(t).__class__",
        "open('/etc/passwd')",
        "t" + "+t" * 2000,  # past the length limit
        "2**10**10",  # would stall SymPy
        "1" * 400,
    ]


@pytest.mark.parametrize("index", range(13))
def test_custom_activation_and_loss_never_run_text(tmp_path, index: int) -> None:
    marker = tmp_path / "ran"
    payload = _payloads(marker)[index]
    t, a, y = sympy.symbols("t a y")
    with pytest.raises(SymbpError):
        custom_activation(payload, t)
    with pytest.raises(SymbpError):
        custom_loss(payload.replace("t", "a"), a, y)
    assert not marker.exists()


def test_strings_that_are_expressions_are_read_without_evaluation() -> None:
    t, a, y = sympy.symbols("t a y")
    act = custom_activation("t / (1 + exp(-t))", t, name="swish")
    z = sympy.Symbol("z")
    assert sympy.simplify(act.f(z) - z / (1 + sympy.exp(-z))) == 0
    loss = custom_loss("(a - y)**4 / 4", a, y, name="quartic")
    assert loss([z], [y]) == (z - y) ** 4 / 4


@pytest.mark.parametrize("name", ['f"""', "a\nimport os", "x; y", "", "1abc", "é", "a" * 40])
def test_names_that_reach_generated_code_are_identifier_safe(name: str) -> None:
    t, a, y = sympy.symbols("t a y")
    with pytest.raises(SymbpError, match="letter then letters"):
        custom_activation(t**2, t, name=name)
    with pytest.raises(SymbpError, match="letter then letters"):
        custom_loss((a - y) ** 2, a, y, name=name)


def test_symbols_and_functions_of_a_sympy_expression_are_checked() -> None:
    t = sympy.Symbol("t")
    with pytest.raises(SymbpError, match="undefined function"):
        custom_activation(sympy.Function("os.system")(t), t)
    a, y = sympy.Symbol('a"""\nimport os'), sympy.Symbol("y")
    with pytest.raises(SymbpError):
        custom_loss((a - y) ** 2, a, y)


def test_a_hand_built_entry_cannot_smuggle_code_into_the_trainer(tmp_path) -> None:
    marker = tmp_path / "ran"
    evil_name = f'f"""\nimport os; os.system("touch {marker}")\n"""'
    sigmoid = get_activation("sigmoid")
    evil = Elementwise(
        name=evil_name,
        latex=r"\sigma",
        kink=None,
        output_range=sigmoid.output_range,
        function=sigmoid.function,
        from_output=sigmoid.from_output,
        numpy_forward=sigmoid.numpy_forward,
        numpy_derivative=sigmoid.numpy_derivative,
    )
    net = network([2, 2, 1], activations=[evil, evil], loss="mse")
    trainer = load_trainer(net)  # the name lands in the docstring, made plain
    assert not marker.exists() and '"""' not in trainer.__doc__
    bad_latex = Elementwise(
        name="f",
        latex=f"f\nimport os; os.system('touch {marker}')",
        kink=None,
        output_range=None,
        function=sigmoid.function,
        numpy_forward=sigmoid.numpy_forward,
        numpy_derivative=sigmoid.numpy_derivative,
    )
    with pytest.raises(SymbpError, match="line break"):
        trainer_source(network([2, 2, 1], activations=[bad_latex, bad_latex]))
    bad_loss = Loss("l", "C\nimport os", lambda a, y: (a - y) ** 2)
    with pytest.raises(SymbpError, match="line break"):
        load_trainer(network([2, 2, 1], loss=bad_loss))
    bad_code = Elementwise(
        name="g",
        latex="g",
        kink=None,
        output_range=None,
        function=sigmoid.function,
        numpy_forward=f"__import__('os').system('touch {marker}') + z",
        numpy_derivative=sigmoid.numpy_derivative,
    )
    with pytest.raises(SymbpError):
        load_trainer(network([2, 2, 1], activations=[bad_code, bad_code]))
    assert not marker.exists()


@pytest.mark.parametrize(
    "source",
    [
        "import os",
        "from os import system",
        "X = open('f')",
        "X = ().__class__",
        "X = __builtins__",
        "X = getattr(1, 'real')",
        "import numpy as np\nX = np.__dict__",
    ],
)
def test_the_loader_refuses_source_outside_its_whitelist(source: str) -> None:
    with pytest.raises(SymbpError):
        check_source(source)


@pytest.mark.parametrize(
    "spec", ["leaky_relu(__import__('os'))", "leaky_relu(.)", "leaky_relu(1e999)", "sigmoid()"]
)
def test_activation_specs_from_the_command_line_are_never_evaluated(spec: str) -> None:
    with pytest.raises(SymbpError):
        get_activation(spec)
