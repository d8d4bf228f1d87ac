"""The torch trainer's conv and pool operations are PyTorch's own kernels
(symbp.compile.layered_torch_ops): each equals the proved NumPy operation of the same name on
drawn shapes, strides and paddings (1-d and 2-d, windows with trailing rows), and the torch
trainer built on them equals torch.autograd to 1e-10."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.compile.backends import load_backend
from symbp.compile.dialects import TORCH
from symbp.compile.layered import compile_derivation
from symbp.compile.layered_parts import memo_and_prelude
from symbp.compile.layered_torch_ops import NATIVE, tables
from symbp.derive import arrayops
from symbp.model import layered_network
from tests.layer_oracles import random_batch, random_params, torch_loss_and_gradients

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")


def _native() -> dict:
    """PyTorch's kernels as the torch trainer defines them (with first_max_mask translated)."""
    from symbp.compile.array_dialect import function_source

    namespace = {"torch": torch}
    exec(memo_and_prelude(TORCH), namespace)
    for helper in (arrayops._recall, arrayops._keep, arrayops.first_max_mask):
        exec(function_source(helper, TORCH), namespace)
    exec(tables(), namespace)
    for source in NATIVE.values():
        exec(source, namespace)
    return namespace


NATIVE_OPS = _native()


def _close(got, want) -> None:  # noqa: ANN001
    np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    d=st.integers(1, 2), m=st.integers(1, 3), c=st.integers(1, 3), o=st.integers(1, 3),
    size=st.integers(3, 8), k=st.integers(1, 3), stride=st.integers(1, 3),
    padding=st.integers(0, 2), seed=st.integers(0, 99),
)  # fmt: skip
def test_conv_kernels_equal_the_proved_operations(d, m, c, o, size, k, stride, padding, seed):
    if padding >= k or size + 2 * padding < k:
        return  # no such layer (a SpecError)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, c) + (size,) * d)
    W, b = rng.normal(size=(o, c) + (k,) * d), rng.normal(size=o)
    arrayops._MEMO.clear()
    Z = arrayops.correlate(X, W, b, k, stride, padding)
    D = rng.normal(size=Z.shape)
    tX, tW, tD = torch.tensor(X), torch.tensor(W), torch.tensor(D)
    _close(NATIVE_OPS["correlate"](tX, tW, torch.tensor(b), k, stride, padding), Z)
    want = arrayops.correlate_input_delta(X, D, k, stride, padding)
    _close(NATIVE_OPS["correlate_input_delta"](tX, tD, k, stride, padding), want)
    want = arrayops.full_convolution(D, W, X, k, stride, padding)
    _close(NATIVE_OPS["full_convolution"](tD, tW, tX, k, stride, padding), want)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    d=st.integers(1, 2), m=st.integers(1, 3), c=st.integers(1, 3), size=st.integers(2, 9),
    k=st.integers(2, 3), ties=st.booleans(), seed=st.integers(0, 99),
)  # fmt: skip
def test_pool_kernels_equal_the_proved_operations(d, m, c, size, k, ties, seed) -> None:
    if size < k:
        return
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, c) + (size,) * d)
    if ties:  # many equal maxima: the first one in row-major order wins on both sides
        X = np.round(X)
    arrayops._MEMO.clear()
    NATIVE_OPS["_MEMO"].clear()
    A = arrayops.max_pool(X, k)
    D = rng.normal(size=A.shape)
    tX = torch.tensor(X)
    _close(NATIVE_OPS["max_pool"](tX, k), A)
    want = arrayops.scatter_to_argmax(X, D, k)
    _close(NATIVE_OPS["scatter_to_argmax"](tX, torch.tensor(D), k), want)
    NATIVE_OPS["_MEMO"].clear()  # without the forward's indices: found again
    _close(NATIVE_OPS["scatter_to_argmax"](tX, torch.tensor(D), k), want)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    size=st.integers(4, 7), k=st.integers(1, 3), stride=st.integers(1, 2),
    padding=st.integers(0, 1), pool=st.sampled_from(["", "maxpool2d(2) "]),
    seed=st.integers(0, 99),
)  # fmt: skip
def test_torch_trainer_on_kernels_equals_autograd(size, k, stride, padding, pool, seed) -> None:
    spec = f"conv2d(2,{k},relu,stride={stride},padding={padding}) {pool}flatten dense(2,softmax)"
    try:
        net = layered_network(f"2x{size}x{size}", spec, "cce")
    except Exception:  # a drawn kernel or window that does not fit is a SpecError: skip it
        return
    trainer = load_backend(compile_derivation(net), "torch")
    params = random_params(net, seed)
    X, Y = random_batch(net, 3, seed)
    cost, want = torch_loss_and_gradients(net, params, X, Y)
    tensors = {key: torch.tensor(v) for key, v in params.items()}
    assert float(trainer.loss(tensors, X, Y)) == pytest.approx(cost, rel=1e-10, abs=1e-12)
    for key, grad in trainer.gradients(tensors, X, Y).items():
        np.testing.assert_allclose(grad.numpy(), want[key], rtol=1e-10, atol=1e-12, err_msg=key)
