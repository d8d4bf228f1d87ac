"""Candidate array operations for an LSTM layer (:mod:`symbp.layers.lstm`): the cell update of
its forward pass and the gate-wise products of its backward pass (the gates i, f, g, o named IG,
FG, GG, OG). As every array form, each is only a candidate: :mod:`symbp.derive.recognise_lstm`
uses one for a quantity only after proving it equal, entry by entry, to what the chain rule
derived. Time is axis 1, the batch axis 0; the elementwise ones also run on one time step's
slice (what the compiled trainer does).

>>> import numpy as np
>>> DC, FG = np.ones((1, 3, 2)), np.full((1, 3, 2), 0.5)
>>> carousel(DC, FG)[0, :, 0].tolist()
[0.5, 0.5, 0.0]
"""

from __future__ import annotations

import numpy as np


def _previous(C):
    out = np.zeros_like(C)
    out[:, 1:] = C[:, :-1]
    return out


def cell_update(FG, C, IG, GG):
    """c_t = f_t * c_{t-1} + i_t * g_t with c_{-1} = 0 (the cell state)."""
    out = IG * GG
    out[:, 1:] += FG[:, 1:] * C[:, :-1]  # c_{-1} = 0: the first step is i * g alone
    return out


def through_output_gate(DA, OG):
    """dC/ds_t = dC/dh_t * o_t (h = o * s, s = tanh(c))."""
    return DA * OG


def output_gate_grad(DA, S):
    """dC/do_t = dC/dh_t * tanh(c_t)."""
    return DA * S


def through_cell_tanh(DS, S):
    """dC/ds_t * (1 - tanh(c_t)^2): the cell state's gradient from its own step."""
    return DS * (1 - S * S)


def carousel(DC, FG):
    """dC/dc_{t+1} * f_{t+1} (0 at the last step): the constant error carousel, the cell
    state's gradient carried back through the forget gate alone."""
    carried = DC[:, 1:] * FG[:, 1:]
    out = np.zeros(DC.shape, carried.dtype)
    out[:, :-1] = carried
    return out


def input_gate_grad(DC, GG):
    """dC/di_t = dC/dc_t * g_t."""
    return DC * GG


def forget_gate_grad(DC, C):
    """dC/df_t = dC/dc_t * c_{t-1} (c_{-1} = 0)."""
    through = DC[:, 1:] * C[:, :-1]
    out = np.zeros(DC.shape, through.dtype)
    out[:, 1:] = through
    return out


def cell_input_grad(DC, IG):
    """dC/dg_t = dC/dc_t * i_t."""
    return DC * IG


def gate_preactivation_grad(DI, DF, DG, DO, IG, FG, GG, OG):
    """dC/dz_t of the 4n stacked gates (i, f, g, o): each gate's gradient times its
    activation's slope written with its output (sigmoid: a(1 - a), tanh: 1 - a^2)."""
    parts = (DI * IG * (1 - IG), DF * FG * (1 - FG), DG * (1 - GG * GG), DO * OG * (1 - OG))
    return np.concatenate(parts, axis=-1)


FORWARD = (cell_update,)
"""Tried against the cell state's forward equations."""

BACKWARD = (
    through_output_gate, output_gate_grad, through_cell_tanh, carousel, input_gate_grad,
    forget_gate_grad, cell_input_grad, gate_preactivation_grad,
)  # fmt: skip
"""Tried (with :data:`symbp.derive.arrayops.BACKWARD`) against an LSTM's derived gradients."""

STEPWISE = (
    through_output_gate, output_gate_grad, through_cell_tanh, input_gate_grad, cell_input_grad,
    gate_preactivation_grad,
)  # fmt: skip
"""The elementwise ones: the compiled trainer calls them on one time step's slices."""
