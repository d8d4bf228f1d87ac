"""Every proved array operation of symbp.derive.arrayops and arrayops_lstm, translated into
PyTorch and JAX (symbp.compile.array_dialect), gives the NumPy original's values on random
inputs.

The list of functions is read from the modules themselves, so an operation added there without a
recipe below (how to draw its inputs) fails ``test_every_operation_has_a_recipe``.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from symbp.compile.array_dialect import function_source, statement
from symbp.compile.dialects import DIALECTS
from symbp.compile.layered_parts import memo_and_prelude
from symbp.compile.matrix import CompileError
from symbp.derive import arrayops, arrayops_attention, arrayops_conv, arrayops_lstm

MODULES = (arrayops.__name__, arrayops_attention.__name__, arrayops_conv.__name__)  # registered
FUNCTIONS = [
    value
    for value in (*vars(arrayops).values(), *vars(arrayops_lstm).values())
    if inspect.isfunction(value) and value.__module__ in (*MODULES, arrayops_lstm.__name__)
]
LOOKUP = {f.__name__: f for f in FUNCTIONS}
MEMO_ONLY = ("_recall", "_keep", "_reach")  # pure Python bookkeeping, run by the operations
NUMPY_ONLY = ("_scratch", "_product")  # kept arrays: each framework's prelude has its own


def _image(rng, *shape):
    return rng.normal(size=shape)


MASK = "mask"  # stands for first_max_mask of the namespace the call runs in
RECIPES = {
    "_padded": lambda r: ((_image(r, 2, 3, 4, 5), 2), {}),
    "_batch_last": lambda r: ((None, "x", (2, 3, 4, 5), _image(r, 1)), {}),
    "_stacked": lambda r: ((_image(r, 2, 3, 4, 5),), {}),
    "_unstacked": lambda r: ((_image(r, 3, 40), (4, 5), 2), {}),
    "_columns": lambda r: ((_image(r, 2, 2, 7, 6), 3, 2, 1), {}),
    "_blocks": lambda r: ((_image(r, 2, 3, 7, 6), 2), {}),
    "_unblock": lambda r: ((_image(r, 4, 2, 3, 3, 3), _image(r, 2, 3, 7, 6), 2), {}),
    "first_max_mask": lambda r: ((_image(r, 4, 2, 3, 3, 2),), {}),
    "_window_mask": lambda r: ((_image(r, 2, 3, 6, 5), 2, MASK), {}),
    "affine": lambda r: ((_image(r, 5, 4), _image(r, 3, 4), _image(r, 3)), {}),
    "matmul": lambda r: ((_image(r, 5, 3), _image(r, 3, 4)), {}),
    "outer_sum": lambda r: ((_image(r, 5, 6, 3), _image(r, 5, 6, 4)), {}),
    "row_sum": lambda r: ((_image(r, 5, 6, 3),), {}),
    "channel_sum": lambda r: ((_image(r, 5, 3, 4, 4),), {}),
    "identity": lambda r: ((_image(r, 5, 3),), {}),
    "recurrent_affine": lambda r: (
        (_image(r, 2, 4, 3), _image(r, 2, 4, 5), _image(r, 5, 3), _image(r, 5, 5), _image(r, 5)),
        {},
    ),
    "shifted_matmul": lambda r: ((_image(r, 2, 4, 5), _image(r, 5, 5)), {}),
    "shifted_outer_sum": lambda r: ((_image(r, 2, 4, 5), _image(r, 2, 4, 5)), {}),
    "correlate": lambda r: (
        (_image(r, 2, 2, 7, 6), _image(r, 3, 2, 3, 3), _image(r, 3)),
        {"k": 3, "stride": 2, "padding": 1},
    ),
    "full_convolution": lambda r: (
        (_image(r, 2, 3, 4, 3), _image(r, 3, 2, 3, 3), _image(r, 2, 2, 7, 6)),
        {"k": 3, "stride": 2, "padding": 1},
    ),
    "correlate_input_delta": lambda r: (
        (_image(r, 2, 2, 7, 6), _image(r, 2, 3, 4, 3)),
        {"k": 3, "stride": 2, "padding": 1},
    ),
    "max_pool": lambda r: ((_image(r, 2, 3, 7, 6), 2), {}),
    "scatter_to_argmax": lambda r: ((_image(r, 2, 3, 7, 6), _image(r, 2, 3, 3, 3), 2), {}),
    "avg_pool": lambda r: ((_image(r, 2, 3, 7), 2), {}),
    "spread_mean": lambda r: ((_image(r, 2, 3, 7, 6), _image(r, 2, 3, 3, 3), 2), {}),
    "time_mean": lambda r: ((_image(r, 2, 5, 3),), {}),
    "spread_over_time": lambda r: ((_image(r, 2, 5, 3), _image(r, 2, 3)), {}),
    "skip_add": lambda r: ((_image(r, 2, 5, 3), _image(r, 2, 5, 3)), {}),
    "feature_mean": lambda r: ((_image(r, 2, 5, 3),), {}),
    "feature_variance": lambda r: ((_image(r, 2, 5, 3), _image(r, 2, 5, 1)), {}),
    "normalise": lambda r: ((_image(r, 2, 5, 3), _image(r, 2, 5, 1), 1 + r.random((2, 5, 1))), {}),
    "scale_shift": lambda r: ((_image(r, 2, 5, 3), _image(r, 3), _image(r, 3)), {}),
    "weighted_row_sum": lambda r: ((_image(r, 2, 5, 3), _image(r, 2, 5, 3)), {}),
    "batch_mean": lambda r: ((_image(r, 6, 3),), {}),
    "batch_variance": lambda r: ((_image(r, 6, 3), _image(r, 1, 3)), {}),
    "batch_normalised_input_grad": lambda r: (
        (_image(r, 6, 3), _image(r, 3), _image(r, 6, 3), 1 + r.random((1, 3))),
        {},
    ),
    "_inverse_root": lambda r: ((_image(r, 2, 5, 3),), {}),
    "_score_grad": lambda r: ((_image(r, 2, 5, 3), r.random((2, 5, 5)), _image(r, 2, 5, 3)), {}),
    "project": lambda r: ((_image(r, 2, 5, 3), _image(r, 4, 3)), {}),
    "attention_scores": lambda r: ((_image(r, 2, 5, 3), _image(r, 2, 5, 3)), {}),
    "row_softmax": lambda r: ((3 * _image(r, 2, 5, 5),), {}),
    "attention_mix": lambda r: ((r.random((2, 5, 5)), _image(r, 2, 5, 3)), {}),
    "attention_input_grad": lambda r: (
        (_image(r, 2, 5, 3), r.random((2, 5, 5)), *(_image(r, 2, 5, 3) for _ in "QKV"))
        + tuple(_image(r, 3, 4) for _ in "qkv"),
        {},
    ),
    "attention_query_weight_grad": lambda r: (
        (_image(r, 2, 5, 3), _image(r, 2, 5, 4), r.random((2, 5, 5)))
        + tuple(_image(r, 2, 5, 3) for _ in "QKV"),
        {},
    ),
    "attention_key_weight_grad": lambda r: (
        (_image(r, 2, 5, 3), _image(r, 2, 5, 4), r.random((2, 5, 5)))
        + tuple(_image(r, 2, 5, 3) for _ in "QV"),
        {},
    ),
    "attention_value_weight_grad": lambda r: (
        (_image(r, 2, 5, 3), _image(r, 2, 5, 4), r.random((2, 5, 5))),
        {},
    ),
    "_previous": lambda r: ((_image(r, 2, 4, 3),), {}),
    "cell_update": lambda r: (tuple(_image(r, 2, 4, 3) for _ in "FCIG"), {}),
    "through_output_gate": lambda r: ((_image(r, 2, 4, 3), r.random((2, 4, 3))), {}),
    "output_gate_grad": lambda r: ((_image(r, 2, 4, 3), np.tanh(_image(r, 2, 4, 3))), {}),
    "through_cell_tanh": lambda r: ((_image(r, 2, 4, 3), np.tanh(_image(r, 2, 4, 3))), {}),
    "carousel": lambda r: ((_image(r, 2, 4, 3), r.random((2, 4, 3))), {}),
    "input_gate_grad": lambda r: ((_image(r, 2, 4, 3), np.tanh(_image(r, 2, 4, 3))), {}),
    "forget_gate_grad": lambda r: ((_image(r, 2, 4, 3), _image(r, 2, 4, 3)), {}),
    "cell_input_grad": lambda r: ((_image(r, 2, 4, 3), r.random((2, 4, 3))), {}),
    "gate_preactivation_grad": lambda r: (
        tuple(_image(r, 2, 4, 3) for _ in "IFGO") + tuple(r.random((2, 4, 3)) for _ in "IFGO"),
        {},
    ),
    "normalised_input_grad": lambda r: (
        (_image(r, 2, 5, 3), _image(r, 3), _image(r, 2, 5, 3), 1 + r.random((2, 5, 1))),
        {},
    ),
}


def _framework(name: str):
    if name == "torch":
        torch = pytest.importorskip("torch", reason="torch is not installed: torch dialect skipped")
        return {"torch": torch}, lambda a: torch.tensor(a), lambda t: t.numpy()
    jax = pytest.importorskip("jax", reason="jax is not installed: jax dialect skipped")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return {"jax": jax, "jnp": jnp}, lambda a: jnp.asarray(a), np.asarray


def _namespace(name: str) -> tuple[dict, object, object]:
    """Every arrayops function translated into ``name``'s framework, in one module namespace."""
    namespace, to, back = _framework(name)
    exec(memo_and_prelude(DIALECTS[name]), namespace)  # symbp's own translated source
    for function in FUNCTIONS:
        if function.__name__ not in NUMPY_ONLY:
            exec(function_source(function, DIALECTS[name]), namespace)
    return namespace, to, back


def _as_numpy(value, back):  # noqa: ANN001, ANN202 - an array, a tuple or a shape
    if isinstance(value, tuple):
        return tuple(_as_numpy(v, back) for v in value)
    if isinstance(value, int | float):
        return value
    return np.asarray(back(value), dtype=np.float64)


def test_every_operation_has_a_recipe() -> None:
    missing = [
        f.__name__ for f in FUNCTIONS if f.__name__ not in (*RECIPES, *MEMO_ONLY, *NUMPY_ONLY)
    ]
    assert not missing, f"arrayops functions with no random-input recipe here: {missing}"


@pytest.mark.parametrize("framework", ["torch", "jax"])
@pytest.mark.parametrize("name", sorted(RECIPES))
def test_operation_equals_numpy_on_random_inputs(framework, name) -> None:
    namespace, to, back = _namespace(framework)
    for seed in range(2):
        args, kwargs = RECIPES[name](np.random.default_rng(seed))
        arrayops._MEMO.clear()
        namespace["_MEMO"].clear()
        want = LOOKUP[name](*(arrayops.first_max_mask if a is MASK else a for a in args), **kwargs)
        theirs = [
            namespace["first_max_mask"] if a is MASK else to(a) if isinstance(a, np.ndarray) else a
            for a in args
        ]
        got = namespace[name](*theirs, **kwargs)
        got, want = _as_numpy(got, back), _as_numpy(want, np.asarray)
        if isinstance(want, tuple):
            assert len(got) == len(want)
            for g, w in zip(got, want, strict=True):
                np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
        else:
            assert got.shape == want.shape, name
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("framework", ["torch", "jax"])
def test_a_numpy_function_outside_the_table_is_refused(framework) -> None:
    with pytest.raises(CompileError, match="no counterpart of np.linalg"):
        statement("Q = np.linalg.inv(W1)", DIALECTS[framework])
    with pytest.raises(CompileError, match="no counterpart of np.argsort"):
        statement("Q = np.argsort(W1)", DIALECTS[framework])


def test_jax_assignments_into_slices_become_at_updates() -> None:
    jax_dialect = DIALECTS["jax"]
    assert statement("full[:, 1:] += D", jax_dialect) == "full = full.at[:, 1:].add(D)"
    assert statement("grads['W1'] = D", jax_dialect) == "grads['W1'] = D"  # a dict's key
    with pytest.raises(CompileError, match="cannot print"):
        statement("full[:, 1:] *= D", jax_dialect)
