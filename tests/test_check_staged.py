"""``symbp check`` on staged derivations of batch norm's backward pass (issue 11): x_hat, the
variance, the mean, then x (and the compact form), judged against the chain rule over the
layer's own forward equations, with hints for the usual mistakes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from symbp.check.report import check_text
from symbp.model import layered_network

CORPUS = Path(__file__).parent / "check_corpus" / "layers_batchnorm.md"
BN = ("4", "dense(3,tanh) batchnorm dense(2,softmax)")
EXPECTED = {
    1: ("valid", None),
    2: ("invalid", "gamma is missing"),
    3: ("valid", None),
    4: ("invalid", "exponent of (sigma^2 + eps) is off by one"),
    5: ("valid", None),
    6: ("valid", None),
    7: ("invalid", "the mean and the variance depend on x"),
    8: ("valid", None),  # the compact form
    9: ("invalid", "the path through the mean is missing"),
    10: ("valid", None),
    11: ("valid", None),
    12: ("invalid", "sign error"),
}


def test_a_staged_batch_norm_derivation_gets_the_right_verdicts_and_hints():
    report = check_text(CORPUS.read_text(), layered_network(*BN, "cce"), "wikipedia")
    got = {v.line: v for v in report.steps}
    assert sorted(got) == sorted(EXPECTED)
    for line, (verdict, hint) in EXPECTED.items():
        v = got[line]
        assert v.verdict == verdict, (line, v.verdict, v.method, v.hint)
        if verdict == "valid":
            assert v.method.startswith("proved exactly modulo the layer's definitions")
        else:
            assert hint in (v.hint or ""), (line, v.hint)
            assert v.counterexample["left"] != v.counterexample["right"]


@pytest.mark.parametrize(
    "row, verdict",
    [
        # 0-based sums, sigma for sqrt(var + eps), another cost letter
        (r"\frac{\partial L}{\partial \beta} = \sum_{i=0}^{m-1} \frac{\partial L}{\partial y_i}",
         "valid"),
        (r"\frac{\partial C}{\partial \mu} = - \frac{1}{\sigma} \sum_{i} \frac{\partial C}"
         r"{\partial \hat{x}_i}", "valid"),
        # epsilon forgotten under the root: off by about 1e-6, still wrong
        (r"\frac{\partial C}{\partial x_i} = \frac{\gamma}{m \sqrt{\sigma^2}} \left(m \frac{"
         r"\partial C}{\partial y_i} - \sum_{j} \frac{\partial C}{\partial y_j} - \hat{x}_i "
         r"\sum_{j} \frac{\partial C}{\partial y_j} \hat{x}_j\right)", "invalid"),
        (r"\frac{\partial C}{\partial x_i} = H(x_i)", "unreadable"),
    ],
)  # fmt: skip
def test_spellings_and_near_misses(row, verdict):
    (v,) = check_text(f"$${row}$$", layered_network(*BN, "cce"), "wikipedia").steps
    assert v.verdict == verdict, (v.verdict, v.method, v.hint)


def test_layer_norm_is_read_over_its_features():
    net = layered_network("4", "dense(4,tanh) layernorm dense(2,softmax)", "cce")
    right = (r"$$\frac{\partial C}{\partial x_i} = \frac{1}{n \sigma} \left(n g_i - \sum_j g_j - "
             r"\hat{x}_i \sum_j g_j \hat{x}_j\right)$$")  # fmt: skip
    with_g = right.replace("g_i", r"\gamma_i \frac{\partial C}{\partial y_i}").replace(
        "g_j", r"\gamma_j \frac{\partial C}{\partial y_j}"
    )
    (v,) = check_text(with_g, net, "wikipedia").steps
    assert v.verdict == "valid", (v.method, v.hint)
    wrong = with_g.replace(r"- \sum_j \gamma_j \frac{\partial C}{\partial y_j} ", "")
    assert wrong != with_g
    (v,) = check_text(wrong, net, "wikipedia").steps
    assert v.verdict == "invalid"
    batch_form = with_g.replace(r"\gamma_j", "").replace(r"\gamma_i", "")
    batch_form = batch_form.replace(r"\frac{1}{n \sigma}", r"\frac{\gamma_i}{n \sigma}")
    (v,) = check_text(batch_form, net, "wikipedia").steps
    assert v.verdict == "invalid"  # batch norm's form, gamma outside the sums: not layer norm's


def test_the_cli_reads_it_and_exits_1_on_a_wrong_step(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "symbp", "check", str(CORPUS), "--input", BN[0], "--net", BN[1],
         "--loss", "cce"], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert "hint: the mean and the variance depend on x" in run.stdout
    assert "Traceback" not in run.stderr
