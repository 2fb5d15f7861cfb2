"""Pitfalls of a layer's weights: their layout, their default initialisation, and arrays
shared with tensors (``torch.from_numpy``).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

import scratch
import torch_impl
from parity._util.threads import limit_threads
from parity.experiments.pitfalls.common import Numbers, max_abs, raises


def weight_layout(seed: int = 0) -> Numbers:
    """Weights stored ``(in, out)`` (``y = x @ W``, the NumPy-tutorial layout) vs torch's
    ``(out, in)`` (``y = x @ W.T``, what ``nn.Linear`` and ``scratch.Linear`` store).

    Returns ``nonsquare_load_raises`` (1.0: copying a ``(4, 3)`` array into a ``Linear(4, 3)``
    weight of shape ``(3, 4)`` fails loudly), ``square_untransposed_max_diff`` (a square
    layer takes the untransposed array *silently* and computes ``x @ W.T`` instead of
    ``x @ W``), ``transposed_max_diff`` (``W.T`` loads and matches: 0) and
    ``scratch_vs_torch_max_diff`` (``scratch.Linear`` and ``nn.Linear`` from one state dict).
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 4))  # (N, in)
    out: Numbers = {}
    with limit_threads(1):
        W_io, b = rng.standard_normal((4, 3)), rng.standard_normal(3)  # tutorial layout
        layer = nn.Linear(4, 3, dtype=torch.float64)

        def load(w: np.ndarray, lin: nn.Linear = layer) -> None:
            lin.load_state_dict({"weight": torch.tensor(w), "bias": torch.tensor(b)})

        out["nonsquare_load_raises"] = raises(lambda: load(W_io), RuntimeError)
        load(W_io.T)
        with torch.no_grad():
            out["transposed_max_diff"] = max_abs(layer(torch.tensor(x)), x @ W_io + b)
        square = nn.Linear(4, 4, dtype=torch.float64)
        W_sq, b = rng.standard_normal((4, 4)), rng.standard_normal(4)
        load(W_sq, square)  # no error: the shapes agree, the meaning does not
        with torch.no_grad():
            out["square_untransposed_max_diff"] = max_abs(square(torch.tensor(x)), x @ W_sq + b)
        s_layer = scratch.Linear(4, 3, rng=rng)
        torch_impl.load_numpy_state_dict(layer, {k: v.data for k, v in s_layer.named_parameters()})
        with torch.no_grad():
            out["scratch_vs_torch_max_diff"] = max_abs(s_layer(x), layer(torch.tensor(x)))
    return out


def default_init(seed: int = 0) -> Numbers:
    """torch's default ``nn.Linear`` init vs the "small random weights, zero biases" of many
    NumPy tutorials.

    ``nn.Linear(64, 32)`` draws weight *and* bias from ``U(-1/sqrt(64), 1/sqrt(64))``:
    ``bias_nonzero_fraction`` (1.0), ``weight_max_over_bound`` and ``bias_max_over_bound``
    (<= 1), ``weight_std_over_uniform_std`` (~1: the std of ``U(-a, a)`` is ``a/sqrt(3)``).
    A port that zeroes the biases but copies the weights starts elsewhere:
    ``zero_bias_output_max_diff`` on ``digits`` inputs. ``scratch_weight_std_over_uniform_std``:
    ``scratch.Linear`` draws from the same distribution (its own generator), and
    ``shared_state_output_max_diff`` is what parity does instead, one state dict loaded into
    both networks (0).
    """
    rng = np.random.default_rng(seed)
    out: Numbers = {}
    bound = 1 / math.sqrt(64)
    with limit_threads(1), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layer = nn.Linear(64, 32, dtype=torch.float64)
    W, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    out["bias_nonzero_fraction"] = float(np.mean(b != 0))
    out["weight_max_over_bound"] = float(np.abs(W).max() / bound)
    out["bias_max_over_bound"] = float(np.abs(b).max() / bound)
    out["weight_std_over_uniform_std"] = float(W.std() / (bound / math.sqrt(3)))
    x = rng.standard_normal((100, 64))
    with torch.no_grad():
        torch_out = layer(torch.tensor(x)).numpy()
    out["zero_bias_output_max_diff"] = float(np.abs(torch_out - x @ W.T).max())
    s_layer = scratch.Linear(64, 32, rng=rng)
    out["scratch_weight_std_over_uniform_std"] = float(
        s_layer.weight.data.std() / (bound / math.sqrt(3))
    )
    torch_impl.load_numpy_state_dict(layer, {k: p.data for k, p in s_layer.named_parameters()})
    with torch.no_grad():
        out["shared_state_output_max_diff"] = max_abs(layer(torch.tensor(x)), s_layer(x))
    return out


def from_numpy_shares_memory(seed: int = 0) -> Numbers:
    """``torch.from_numpy`` returns a tensor that *shares memory* with the array.

    ``from_numpy_sees_write``: writing into the array changes the tensor (1.0);
    ``tensor_copy_sees_write``: ``torch.tensor(a)`` copies (0.0). Then the trap: a parameter
    built with ``nn.Parameter(torch.from_numpy(W0))`` and trained 5 SGD steps rewrites the
    caller's "initial weights" in place: ``initial_array_changed_by_training`` (the max
    change of ``W0``), whereas ``torch_impl.load_numpy_state_dict`` copies:
    ``initial_array_changed_via_load``  (0).
    """
    rng = np.random.default_rng(seed)
    out: Numbers = {}
    a = np.zeros(3)
    shared, copied = torch.from_numpy(a), torch.tensor(a)
    a[0] = 1.0
    out["from_numpy_sees_write"] = float(shared[0].item())
    out["tensor_copy_sees_write"] = float(copied[0].item())
    x, y = torch.tensor(rng.standard_normal((16, 4))), torch.tensor(rng.standard_normal((16, 2)))
    W0 = rng.standard_normal((2, 4))
    snapshot = W0.copy()
    with limit_threads(1):
        for via_load in (False, True):
            layer = nn.Linear(4, 2, bias=False, dtype=torch.float64)
            if via_load:
                torch_impl.load_numpy_state_dict(layer, {"weight": W0})
            else:
                layer.weight = nn.Parameter(torch.from_numpy(W0))
            opt = torch.optim.SGD(layer.parameters(), lr=0.1)
            for _ in range(5):
                opt.zero_grad()
                nn.MSELoss()(layer(x), y).backward()
                opt.step()
            key = "via_load" if via_load else "by_training"
            out[f"initial_array_changed_{key}"] = float(np.abs(W0 - snapshot).max())
            W0[...] = snapshot  # undo, so the second case starts from the same array
    return out
