"""Pitfalls of the loss: what it expects as input and target, and how it reduces."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

import scratch
from parity._util.threads import limit_threads
from parity.data import load_dataset
from parity.experiments.pitfalls.common import Numbers, max_abs, raises


def softmax_before_cross_entropy(seed: int = 0) -> Numbers:
    """Applying softmax and then ``CrossEntropyLoss``, which applies log-softmax itself.

    On random logits: the loss with and without the extra softmax (``loss_logits``,
    ``loss_double_softmax``) and the norm of the gradient reaching the logits
    (``grad_norm_logits``, ``grad_norm_double_softmax``: the double softmax squashes it).
    ``scratch_loss_double_softmax`` is ``scratch.CrossEntropyLoss`` on ``scratch.softmax``
    outputs (the same mistake, the same number). Then softmax regression on ``digits``,
    trained from zero weights for 100 full-batch SGD steps (lr 0.5) each way, scored by
    the *correct* loss:
    ``trained_loss_logits``, ``trained_loss_double_softmax``, and the test accuracies
    ``trained_acc_logits``, ``trained_acc_double_softmax``.
    """
    rng = np.random.default_rng(seed)
    out: Numbers = {}
    with limit_threads(1):
        z = torch.tensor(3.0 * rng.standard_normal((64, 10)), requires_grad=True)
        y = torch.tensor(rng.integers(0, 10, 64))
        ce = nn.CrossEntropyLoss()
        for name, transform in (("logits", nn.Identity()), ("double_softmax", nn.Softmax(-1))):
            loss = ce(transform(z), y)
            (dz,) = torch.autograd.grad(loss, z)
            out[f"loss_{name}"] = loss.item()
            out[f"grad_norm_{name}"] = float(torch.linalg.norm(dz))
        s_ce = scratch.CrossEntropyLoss()
        out["scratch_loss_double_softmax"] = s_ce(scratch.softmax(z.detach().numpy()), y.numpy())

        data = load_dataset("digits", seed=seed)
        X, Xt = torch.tensor(data.X_train), torch.tensor(data.X_test)
        yt = torch.tensor(data.y_train)
        for name, head in (("logits", nn.Identity()), ("double_softmax", nn.Softmax(-1))):
            model = nn.Linear(X.shape[1], 10, dtype=torch.float64)
            with torch.no_grad():  # zero start: softmax regression is convex, no seed needed
                model.weight.zero_()
                model.bias.zero_()
            opt = torch.optim.SGD(model.parameters(), lr=0.5)
            for _ in range(100):
                opt.zero_grad()
                ce(head(model(X)), yt).backward()
                opt.step()
            with torch.no_grad():
                out[f"trained_loss_{name}"] = ce(model(X), yt).item()
                pred = model(Xt).argmax(1).numpy()
            out[f"trained_acc_{name}"] = float(np.mean(pred == data.y_test))
    return out


def target_dtypes_and_shapes(seed: int = 0) -> Numbers:
    """Targets of the wrong shape or dtype: silent broadcasting and loud errors.

    ``mse_broadcast_warns``: ``nn.MSELoss`` on output ``(N, 1)`` and target ``(N,)``
    broadcasts to ``(N, N)`` and only *warns*; ``mse_broadcast_rel_error`` is how far that
    loss is from the right one and ``mse_broadcast_grad_max_diff`` how far its gradient is.
    ``scratch_mse_shape_raises``: scratch refuses the mismatch. ``bce_int_target_raises``:
    ``BCEWithLogitsLoss`` needs float targets (int64 fails; scratch's twin too:
    ``scratch_bce_int_target_raises``). ``ce_int32_target_raises``,
    ``ce_float_index_target_raises``: ``CrossEntropyLoss`` needs int64 class indices, or
    float class *probabilities* of shape ``(N, C)``: ``ce_one_hot_vs_index_diff`` shows
    one-hot float targets give the index loss. ``scratch_ce_float_target_raises``.
    """
    rng = np.random.default_rng(seed)
    out: Numbers = {}
    with limit_threads(1):
        pred = torch.tensor(rng.standard_normal((32, 1)), requires_grad=True)  # (N, 1)
        target = torch.tensor(rng.standard_normal(32))  # (N,): the classic mistake
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            wrong = nn.MSELoss()(pred, target)
        out["mse_broadcast_warns"] = float(any("target size" in str(w.message) for w in caught))
        (g_wrong,) = torch.autograd.grad(wrong, pred)
        right = nn.MSELoss()(pred, target[:, None])
        (g_right,) = torch.autograd.grad(right, pred)
        out["mse_broadcast_rel_error"] = abs(wrong.item() - right.item()) / right.item()
        out["mse_broadcast_grad_max_diff"] = max_abs(g_wrong, g_right)
        p_np, t_np = pred.detach().numpy(), target.numpy()
        out["scratch_mse_shape_raises"] = raises(lambda: scratch.MSELoss()(p_np, t_np), ValueError)

        labels = rng.integers(0, 2, (32, 1))
        out["bce_int_target_raises"] = raises(
            lambda: nn.BCEWithLogitsLoss()(pred, torch.tensor(labels)), RuntimeError
        )
        out["scratch_bce_int_target_raises"] = raises(
            lambda: scratch.BCEWithLogitsLoss()(p_np, labels), TypeError
        )
        logits = torch.tensor(rng.standard_normal((32, 5)))
        idx = rng.integers(0, 5, 32)
        ce = nn.CrossEntropyLoss()
        out["ce_int32_target_raises"] = raises(
            lambda: ce(logits, torch.tensor(idx, dtype=torch.int32)), RuntimeError
        )
        out["ce_float_index_target_raises"] = raises(
            lambda: ce(logits, torch.tensor(idx, dtype=torch.float64)), RuntimeError
        )
        one_hot = torch.nn.functional.one_hot(torch.tensor(idx), 5).double()
        out["ce_one_hot_vs_index_diff"] = abs(
            ce(logits, one_hot).item() - ce(logits, torch.tensor(idx)).item()
        )
        out["scratch_ce_float_target_raises"] = raises(
            lambda: scratch.CrossEntropyLoss()(logits.numpy(), idx.astype(np.float64)), TypeError
        )
    return out


def bce_after_sigmoid(seed: int = 0) -> Numbers:
    """``BCELoss(sigmoid(x))`` vs ``BCEWithLogitsLoss(x)`` at extreme logits.

    A confidently wrong prediction, logit ``x`` with target 0: the exact loss is
    ``log(1 + e^x) ~ x`` and its gradient ``sigmoid(x) ~ 1``. Once ``sigmoid(x)`` rounds to
    exactly 1 (``x`` above ~17 in float32, ~37 in float64), the unfused form's loss sticks
    at torch's clamp of 100 (``log 0 -> -100``) whatever ``x`` is, and its gradient
    ``dL/dp * p (1 - p)`` is exactly 0: the network stops learning from its worst mistakes.

    For each dtype ``f32``/``f64`` and logit ``x`` in 20, 50, 200:
    ``{dtype}.x{x}.unfused_loss``, ``.fused_loss``, ``.unfused_grad``, ``.fused_grad``, and
    ``{dtype}.scratch_unfused_loss_x200`` (``scratch.BCELoss`` clamps exactly as torch does).
    ``seed`` is unused (nothing is random) and kept for a uniform signature.
    """
    del seed
    out: Numbers = {}
    with limit_threads(1):
        for name, dtype in (("f32", torch.float32), ("f64", torch.float64)):
            for x_value in (20.0, 50.0, 200.0):
                for fused in (False, True):
                    x = torch.tensor([[x_value]], dtype=dtype, requires_grad=True)
                    t = torch.zeros((1, 1), dtype=dtype)
                    if fused:
                        loss = nn.BCEWithLogitsLoss()(x, t)
                    else:
                        loss = nn.BCELoss()(torch.sigmoid(x), t)
                    (dx,) = torch.autograd.grad(loss, x)
                    kind = "fused" if fused else "unfused"
                    out[f"{name}.x{x_value:.0f}.{kind}_loss"] = loss.item()
                    out[f"{name}.x{x_value:.0f}.{kind}_grad"] = dx.item()
            np_dtype = np.float32 if dtype == torch.float32 else np.float64
            x_np = np.array([[200.0]], dtype=np_dtype)
            p = scratch.sigmoid(x_np)
            out[f"{name}.scratch_unfused_loss_x200"] = scratch.BCELoss()(p, np.zeros_like(p))
    return out


def mse_reduction(seed: int = 0) -> Numbers:
    """``MSELoss`` averages over all ``N*D`` elements; a hand-written NumPy loss often
    sums over the ``D`` outputs and averages over the ``N`` rows.

    With ``D = 3`` outputs: ``torch_loss``, ``scratch_loss`` (scratch follows torch),
    ``per_row_loss`` (``((y - t)**2).sum(1).mean()``), ``loss_ratio`` (= ``D``) and
    ``grad_ratio`` (the gradients differ by the same factor, so the effective learning
    rate does too).
    """
    rng = np.random.default_rng(seed)
    y, t = rng.standard_normal((16, 3)), rng.standard_normal((16, 3))  # (N, D)
    out: Numbers = {}
    with limit_threads(1):
        yt = torch.tensor(y, requires_grad=True)
        loss = nn.MSELoss()(yt, torch.tensor(t))
        (grad,) = torch.autograd.grad(loss, yt)
        out["torch_loss"] = loss.item()
    out["scratch_loss"] = scratch.MSELoss()(y, t)
    out["per_row_loss"] = float(((y - t) ** 2).sum(axis=1).mean())
    per_row_grad = 2 * (y - t) / len(y)  # d/dy of the per-row loss
    out["loss_ratio"] = out["per_row_loss"] / out["torch_loss"]
    out["grad_ratio"] = float(np.abs(per_row_grad).max() / grad.abs().max())
    return out
