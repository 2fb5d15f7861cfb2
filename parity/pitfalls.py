"""Porting pitfalls, each demonstrated by measuring what the mistake costs.

One function per mistake a NumPy-to-PyTorch port commonly makes. Each runs the mistake and
the fix side by side and returns the measured numbers (a max difference, a loss ratio, a
flag that an error was raised), so ``docs/PORTING.md`` can show real, executed numbers and
the tests can assert them. Where ``scratch`` has a twin of the torch object involved, the
scratch side is measured too: the mistakes are about the mathematics and the API contract,
not about one library.

All functions are deterministic for a given ``seed``, run on the CPU in well under a second
(``tf32_matmul`` also on CUDA where present) and leave global torch settings as they were.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

import scratch
import torch_impl

from .data import load_dataset
from .runner import build_networks, run
from .spec import RunSpec
from .threads import limit_threads

Numbers = dict[str, float]


def _max_abs(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> float:
    """``max |a - b|`` of two arrays or tensors, in float64."""
    a64 = a.detach().double().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, "f8")
    b64 = b.detach().double().numpy() if isinstance(b, torch.Tensor) else np.asarray(b, "f8")
    return float(np.abs(a64 - b64).max())


def _rel_diff(a: np.ndarray, ref: np.ndarray) -> float:
    """``max |a - ref| / max |ref|``, in float64."""
    return _max_abs(a, ref) / float(np.abs(ref).max())


def _grad(t: torch.Tensor) -> torch.Tensor:
    """``t.grad``, which must have been filled by a backward pass."""
    assert t.grad is not None, "no backward pass reached this tensor"
    return t.grad


def _first_linear(model: nn.Sequential) -> nn.Linear:
    """The first layer of a torch network built by ``torch_impl.build_model``."""
    layer = model[0]
    assert isinstance(layer, nn.Linear)
    return layer


def _raises(fn: Callable[[], object], error: type[BaseException] = Exception) -> float:
    """1.0 if ``fn()`` raises ``error``, else 0.0."""
    try:
        fn()
    except error:
        return 1.0
    return 0.0


# ---------------------------------------------------------------------------------------------


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

        out["nonsquare_load_raises"] = _raises(lambda: load(W_io), RuntimeError)
        load(W_io.T)
        with torch.no_grad():
            out["transposed_max_diff"] = _max_abs(layer(torch.tensor(x)), x @ W_io + b)
        square = nn.Linear(4, 4, dtype=torch.float64)
        W_sq, b = rng.standard_normal((4, 4)), rng.standard_normal(4)
        load(W_sq, square)  # no error: the shapes agree, the meaning does not
        with torch.no_grad():
            out["square_untransposed_max_diff"] = _max_abs(square(torch.tensor(x)), x @ W_sq + b)
        s_layer = scratch.Linear(4, 3, rng=rng)
        torch_impl.load_numpy_state_dict(layer, {k: v.data for k, v in s_layer.named_parameters()})
        with torch.no_grad():
            out["scratch_vs_torch_max_diff"] = _max_abs(s_layer(x), layer(torch.tensor(x)))
    return out


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
        out["mse_broadcast_grad_max_diff"] = _max_abs(g_wrong, g_right)
        p_np, t_np = pred.detach().numpy(), target.numpy()
        out["scratch_mse_shape_raises"] = _raises(lambda: scratch.MSELoss()(p_np, t_np), ValueError)

        labels = rng.integers(0, 2, (32, 1))
        out["bce_int_target_raises"] = _raises(
            lambda: nn.BCEWithLogitsLoss()(pred, torch.tensor(labels)), RuntimeError
        )
        out["scratch_bce_int_target_raises"] = _raises(
            lambda: scratch.BCEWithLogitsLoss()(p_np, labels), TypeError
        )
        logits = torch.tensor(rng.standard_normal((32, 5)))
        idx = rng.integers(0, 5, 32)
        ce = nn.CrossEntropyLoss()
        out["ce_int32_target_raises"] = _raises(
            lambda: ce(logits, torch.tensor(idx, dtype=torch.int32)), RuntimeError
        )
        out["ce_float_index_target_raises"] = _raises(
            lambda: ce(logits, torch.tensor(idx, dtype=torch.float64)), RuntimeError
        )
        one_hot = torch.nn.functional.one_hot(torch.tensor(idx), 5).double()
        out["ce_one_hot_vs_index_diff"] = abs(
            ce(logits, one_hot).item() - ce(logits, torch.tensor(idx)).item()
        )
        out["scratch_ce_float_target_raises"] = _raises(
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


def float64_vs_float32(seed: int = 0) -> Numbers:
    """NumPy computes in float64 by default, torch in float32.

    ``float64_input_raises``: a float64 array through ``torch.from_numpy`` into a default
    (float32) ``nn.Linear`` is an error, not a cast. Then the same network, weights and
    batches in both precisions (``moons``, hidden 16 tanh, 10 epochs): the relative change
    of the initial forward output (``forward_rel_diff.{side}``, ~float32's eps) and of the
    trained weights (``trained_rel_diff.{side}``, grown through training), and
    ``f32_scratch_vs_torch_rel_diff``: the two implementations at float32 agree to the
    precision's level, not to zero. Relative = max abs difference / max abs value.
    """
    out: Numbers = {}
    with limit_threads(1):
        layer = nn.Linear(2, 3)  # float32, torch's default
        x64 = np.random.default_rng(seed).standard_normal((4, 2))
        out["float64_input_raises"] = _raises(lambda: layer(torch.from_numpy(x64)), RuntimeError)
        base = RunSpec(
            dataset="moons",
            hidden=(16,),
            activation="tanh",
            epochs=10,
            seed=seed,
            n_samples=128,
            batch_size=16,
        )
        runs = {dt: run(base.replace(dtype=dt)) for dt in ("float32", "float64")}
        nets = {dt: build_networks(base.replace(dtype=dt)) for dt in ("float32", "float64")}
        X = nets["float64"].data.X_train
        forward = {
            dt: (
                n.scratch_model(X.astype(dt)),
                n.torch_model(torch.tensor(X.astype(dt))).detach().numpy(),
            )
            for dt, n in nets.items()
        }
        for i, side in enumerate(("scratch", "torch")):
            ref = forward["float64"][i]
            out[f"forward_rel_diff.{side}"] = _rel_diff(forward["float32"][i], ref)
            w32 = getattr(runs["float32"], side).final_state
            w64 = getattr(runs["float64"], side).final_state
            out[f"trained_rel_diff.{side}"] = max(_rel_diff(w32[k], w64[k]) for k in w64)
        s32, t32 = runs["float32"].scratch.final_state, runs["float32"].torch.final_state
        out["f32_scratch_vs_torch_rel_diff"] = max(_rel_diff(s32[k], t32[k]) for k in t32)
    return out


def forgetting_zero_grad(seed: int = 0) -> Numbers:
    """Gradients accumulate into ``.grad`` until cleared, in torch and in scratch alike.

    ``grad_ratio_after_3.{side}``: three backward passes without ``zero_grad`` leave three
    times the gradient. Then 100 full-batch SGD steps (lr 0.1) on ``moons`` from one state
    dict, with and without ``optimizer.zero_grad()`` in the loop. Without it every step
    applies the *sum* of all gradients so far (momentum 1, no friction): the loss rises on
    ``loss_rises_without.{side}`` steps (``loss_rises_with.{side}``: 0, plain gradient
    descent on a full batch with a small lr only goes down), ``stale_grad_ratio.{side}`` is
    how much larger the stored ``.grad`` is than the true gradient at the final weights,
    and ``weights_max_diff.{side}`` how far the two runs' weights end apart.
    """
    out: Numbers = {}
    spec = RunSpec(dataset="moons", hidden=(16,), activation="tanh", seed=seed, n_samples=128)
    with limit_threads(1):
        nets = build_networks(spec)
        X, y = nets.data.X_train, nets.data.y_train.reshape(-1, 1).astype(np.float64)
        s_model, t_model = nets.scratch_model, nets.torch_model
        s_loss, t_loss = scratch.BCEWithLogitsLoss(), nn.BCEWithLogitsLoss()
        Xt, yt = torch.tensor(X), torch.tensor(y)

        def s_backward(model: scratch.Sequential) -> float:
            loss = s_loss(model(X), y)
            model.backward(s_loss.backward())
            return loss

        def t_backward(model: nn.Sequential) -> float:
            loss = t_loss(model(Xt), yt)
            loss.backward()
            return loss.item()

        def first_layer(
            s_model: scratch.Sequential, t_model: nn.Sequential, attr: str
        ) -> dict[str, np.ndarray]:
            """The first layer's weight (``attr="data"``) or its ``.grad``, both sides."""
            s_weight = s_model.parameters()[0]
            t_weight = _first_linear(t_model).weight
            t_value = t_weight.detach() if attr == "data" else _grad(t_weight)
            return {"scratch": getattr(s_weight, attr).copy(), "torch": t_value.numpy().copy()}

        grads = []
        for _ in range(3):  # no zero_grad between the passes
            s_backward(s_model)
            t_backward(t_model)
            grads.append(first_layer(s_model, t_model, "grad"))
        for side in ("scratch", "torch"):
            ratio = np.abs(grads[2][side]).max() / np.abs(grads[0][side]).max()
            out[f"grad_ratio_after_3.{side}"] = float(ratio)

        final: dict[bool, dict[str, np.ndarray]] = {}
        for clear in (True, False):
            nets = build_networks(spec, nets.data)
            s_model, t_model = nets.scratch_model, nets.torch_model
            s_opt = scratch.SGD(s_model.parameters(), lr=0.1)
            t_opt = torch.optim.SGD(t_model.parameters(), lr=0.1)
            losses: dict[str, list[float]] = {"scratch": [], "torch": []}
            for _ in range(100):
                if clear:
                    s_opt.zero_grad()
                    t_opt.zero_grad()
                losses["scratch"].append(s_backward(s_model))
                losses["torch"].append(t_backward(t_model))
                s_opt.step()
                t_opt.step()
            name = "with" if clear else "without"
            for side, curve in losses.items():
                out[f"loss_rises_{name}.{side}"] = float(np.sum(np.diff(curve) > 0))
            final[clear] = first_layer(s_model, t_model, "data")
            if not clear:
                stale = first_layer(s_model, t_model, "grad")
                s_model.zero_grad()
                t_model.zero_grad()
                s_backward(s_model)
                t_backward(t_model)
                true = first_layer(s_model, t_model, "grad")
                for side in ("scratch", "torch"):
                    ratio = np.linalg.norm(stale[side]) / np.linalg.norm(true[side])
                    out[f"stale_grad_ratio.{side}"] = float(ratio)
        for side in ("scratch", "torch"):
            diff = np.abs(final[True][side] - final[False][side]).max()
            out[f"weights_max_diff.{side}"] = float(diff)
    return out


def _classical_momentum(
    grad: Callable[[np.ndarray], np.ndarray], p: np.ndarray, lrs: list[float], mu: float
) -> np.ndarray:
    """Sutskever et al.'s momentum, ``v = mu v - lr g; p = p + v``, over the given lrs."""
    p, v = p.copy(), np.zeros_like(p)
    for lr in lrs:
        v = mu * v - lr * grad(p)
        p = p + v
    return p


def _ema_momentum(
    grad: Callable[[np.ndarray], np.ndarray], p: np.ndarray, lrs: list[float], mu: float, d: float
) -> np.ndarray:
    """The textbook damped form, ``b = mu b + (1 - d) g`` from ``b = 0``; ``p = p - lr b``."""
    p, b = p.copy(), np.zeros_like(p)
    for lr in lrs:
        b = mu * b + (1 - d) * grad(p)
        p = p - lr * b
    return p


def momentum_formula(seed: int = 0) -> Numbers:
    """torch's SGD momentum (``b = mu b + (1 - dampening) g``, ``b = g`` on the first step;
    ``p -= lr b``) vs the classical ``v = mu v - lr g; p += v``.

    On the quadratic ``L(p) = p^T A p / 2`` (``A`` positive definite, 8 parameters), 40
    steps with ``mu = 0.9``: ``constant_lr.max_diff`` (lr 0.05 throughout: the same path up
    to rounding, ``v = -lr b``), ``lr_drop.max_diff`` (lr 0.05, then 0.005 from step 20:
    torch rescales the whole buffer at once, the classical form only new gradients),
    ``dampening.max_diff`` (torch with dampening 0.5 against the textbook damped form
    started from ``b = 0``: torch's first step takes the full gradient), all as the max
    parameter difference; and ``scratch_vs_torch.max_diff`` for ``scratch.SGD`` vs
    ``torch.optim.SGD`` over all three (0 up to rounding).
    """
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((8, 8))
    A = M @ M.T / 8 + np.eye(8)
    p0 = rng.standard_normal(8)

    def grad(p: np.ndarray) -> np.ndarray:
        return A @ p

    cases = {
        "constant_lr": ([0.05] * 40, 0.0),
        "lr_drop": ([0.05] * 20 + [0.005] * 20, 0.0),
        "dampening": ([0.05] * 40, 0.5),
    }
    out: Numbers = {}
    worst = 0.0
    with limit_threads(1):
        for name, (lrs, damp) in cases.items():
            t_p = torch.tensor(p0, requires_grad=True)
            t_opt = torch.optim.SGD([t_p], lr=lrs[0], momentum=0.9, dampening=damp)
            s_p = scratch.Parameter(p0.copy())
            s_opt = scratch.SGD([s_p], lr=lrs[0], momentum=0.9, dampening=damp)
            for lr in lrs:
                for group in t_opt.param_groups:
                    group["lr"] = lr  # what an lr scheduler does
                s_opt.lr = lr
                t_opt.zero_grad()
                (0.5 * t_p @ torch.tensor(A) @ t_p).backward()
                t_opt.step()
                s_opt.zero_grad()
                s_p.grad += grad(s_p.data)
                s_opt.step()
            t_final = t_p.detach().numpy()
            ref = (
                _ema_momentum(grad, p0, lrs, 0.9, damp)
                if damp
                else _classical_momentum(grad, p0, lrs, 0.9)
            )
            out[f"{name}.max_diff"] = float(np.abs(t_final - ref).max())
            worst = max(worst, float(np.abs(t_final - s_p.data).max()))
    out["scratch_vs_torch.max_diff"] = worst
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
        out["shared_state_output_max_diff"] = _max_abs(layer(torch.tensor(x)), s_layer(x))
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


def round_to_tf32(x: np.ndarray) -> np.ndarray:
    """Round float32 values to TF32's 10 explicit mantissa bits (of float32's 23), to nearest
    even: what a TF32 tensor core does to each matmul input. Returns float32."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    lsb = (bits >> np.uint32(13)) & np.uint32(1)
    rounded = (bits + np.uint32(0x0FFF) + lsb) & np.uint32(0xFFFFE000)
    return rounded.view(np.float32)


def tf32_matmul(seed: int = 0, size: int = 256) -> Numbers:
    """TF32 on NVIDIA GPUs (Ampere and later): float32 matmuls whose inputs keep 10 mantissa
    bits, about 3 decimal digits, instead of 23.

    torch allows it for matmuls when ``torch.backends.cuda.matmul.allow_tf32`` is set (or
    ``torch.set_float32_matmul_precision("high")``); a float32 result then differs from the
    CPU's by ~1e-3 relative, far above any float32 parity tolerance, which is why
    ``torch_impl.parity_mode`` turns it off. With CUDA present the demonstration runs the
    product on the GPU with TF32 off and on (``simulated`` = 0.0); without, it rounds the
    inputs to TF32 with :func:`round_to_tf32` and multiplies in float32 (``simulated`` =
    1.0). ``fp32_rel_err`` and ``tf32_rel_err``: ``max |C - C64| / max |C64|`` for a
    ``size x size`` product of standard normals against the float64 product ``C64``. The
    simulation was checked once against a real H200, where the GPU's TF32 error for this
    product came out the same size as the simulated one.
    """
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((size, size)).astype(np.float32)
    B = rng.standard_normal((size, size)).astype(np.float32)
    C64 = A.astype(np.float64) @ B.astype(np.float64)
    scale = float(np.abs(C64).max())
    out: Numbers = {}
    if torch.cuda.is_available():
        At, Bt = torch.tensor(A, device="cuda"), torch.tensor(B, device="cuda")
        saved = torch.backends.cuda.matmul.allow_tf32
        try:
            for name, allow in (("fp32", False), ("tf32", True)):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # newer torch prefers fp32_precision
                    torch.backends.cuda.matmul.allow_tf32 = allow
                C = (At @ Bt).double().cpu().numpy()
                out[f"{name}_rel_err"] = float(np.abs(C - C64).max() / scale)
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.backends.cuda.matmul.allow_tf32 = saved
        out["simulated"] = 0.0
    else:
        with limit_threads(1):
            C32 = (torch.tensor(A) @ torch.tensor(B)).double().numpy()
            Ctf = (torch.tensor(round_to_tf32(A)) @ torch.tensor(round_to_tf32(B))).double().numpy()
        out["fp32_rel_err"] = float(np.abs(C32 - C64).max() / scale)
        out["tf32_rel_err"] = float(np.abs(Ctf - C64).max() / scale)
        out["simulated"] = 1.0
    out["tf32_over_fp32"] = out["tf32_rel_err"] / out["fp32_rel_err"]
    return out


def eval_and_inference_mode(seed: int = 0) -> Numbers:
    """``model.eval()`` and ``torch.inference_mode()`` at inference.

    ``eval()`` switches layers that behave differently in training, such as ``Dropout``:
    ``dropout_train_calls_max_diff`` (two training-mode calls on the same input differ) and
    ``dropout_eval_calls_max_diff`` (0: eval mode is deterministic). The seed's networks
    have no such layer, so for them ``eval()`` changes nothing
    (``our_net_train_vs_eval_max_diff`` = 0) and ``torch_impl.predict`` equals
    ``scratch.predict`` (``predict_scratch_vs_torch_max_diff``). ``inference_mode`` stops
    autograd recording: ``output_requires_grad_without`` (1.0: the output carries a graph,
    and ``.numpy()`` on it raises, ``numpy_raises_without``) and
    ``output_requires_grad_with`` (0.0).
    """
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.standard_normal((32, 8)))
    out: Numbers = {}
    with limit_threads(1), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = nn.Sequential(
            nn.Linear(8, 16, dtype=torch.float64),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(16, 1, dtype=torch.float64),
        )
        with torch.no_grad():
            net.train()
            out["dropout_train_calls_max_diff"] = _max_abs(net(x), net(x))
            net.eval()
            out["dropout_eval_calls_max_diff"] = _max_abs(net(x), net(x))
        nets = build_networks(RunSpec(dataset="moons", hidden=(16,), seed=seed, n_samples=64))
        model, X = nets.torch_model, nets.data.X_test
        with torch.no_grad():
            model.train()
            train_out = model(torch.tensor(X))
            model.eval()
            out["our_net_train_vs_eval_max_diff"] = _max_abs(train_out, model(torch.tensor(X)))
        out["predict_scratch_vs_torch_max_diff"] = _max_abs(
            scratch.predict(nets.scratch_model, X, "regression"),
            torch_impl.predict(model, X, "regression"),
        )
        plain = model(torch.tensor(X))
        out["output_requires_grad_without"] = float(plain.requires_grad)
        out["numpy_raises_without"] = _raises(plain.numpy, RuntimeError)
        with torch.inference_mode():
            out["output_requires_grad_with"] = float(model(torch.tensor(X)).requires_grad)
    return out


PITFALLS: tuple[Callable[..., Numbers], ...] = (
    weight_layout,
    softmax_before_cross_entropy,
    target_dtypes_and_shapes,
    bce_after_sigmoid,
    mse_reduction,
    float64_vs_float32,
    forgetting_zero_grad,
    momentum_formula,
    default_init,
    from_numpy_shares_memory,
    tf32_matmul,
    eval_and_inference_mode,
)
