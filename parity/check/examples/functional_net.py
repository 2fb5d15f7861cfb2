"""A CS231n-style network: ``loss(X, y, params) -> (loss, grads)``, weights ``(in, out)``.

``make_loss(activation)`` is correct; ``make_loss(activation, mistake=...)`` plants one of
the mistakes in ``MISTAKES``, each a one-line change marked ``# MISTAKE``, next to the line
it replaces. ``make_update(rule)`` gives update rules ``update(params, grads, lr)``.
Network: ``X (N, D) -> x @ W1 + b1 -> act -> @ W2 + b2 -> softmax cross-entropy``.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np

MISTAKES = (
    "missing_mean",
    "sum_loss",
    "transposed_dW",
    "relu_mask",
    "tanh_from_input",
    "sigmoid_missing_factor",
    "bias_not_summed",
    "softmax_before_ce",
    "l2_in_loss",
    "l2_and_missing_mean",
    "transposed_forward",
    "forward_raises",
    "backward_raises",
)
Params = dict[str, np.ndarray]


def init_params(sizes: tuple[int, ...], seed: int = 0) -> Params:
    """``W1 (in, out)``, ``b1``, ... drawn like torch's default, ``U(+-1/sqrt(in))``."""
    rng = np.random.default_rng(seed)
    params = {}
    for k, (fan_in, fan_out) in enumerate(pairwise(sizes), start=1):
        bound = 1 / np.sqrt(fan_in)
        params[f"W{k}"] = rng.uniform(-bound, bound, (fan_in, fan_out))
        params[f"b{k}"] = rng.uniform(-bound, bound, fan_out)
    return params


def _act(name: str, z: np.ndarray) -> np.ndarray:
    return {
        "relu": lambda: np.maximum(z, 0),
        "tanh": lambda: np.tanh(z),
        "sigmoid": lambda: 1 / (1 + np.exp(-z)),
    }[name]()


def _act_backward(
    name: str, dh: np.ndarray, z: np.ndarray, h: np.ndarray, mistake: str | None
) -> np.ndarray:
    """``dz = dh * f'``, with ``f'`` written in the output ``h`` where it can be."""
    if name == "relu":
        if mistake == "relu_mask":
            return dh * (dh > 0)  # MISTAKE: the gradient's sign, not the input's
        return dh * (z > 0)
    if name == "tanh":
        if mistake == "tanh_from_input":
            return dh * (1 - z**2)  # MISTAKE: derivative from the input z, not the output h
        return dh * (1 - h**2)
    if mistake == "sigmoid_missing_factor":
        return dh * h  # MISTAKE: sigmoid' = h (1 - h), the (1 - h) is missing
    return dh * h * (1 - h)


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=1, keepdims=True))  # shifted by the row max: exp <= 1
    return e / e.sum(axis=1, keepdims=True)


def _cross_entropy(
    scores: np.ndarray, y: np.ndarray, mistake: str | None
) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of the logits and ``dL/dscores`` (N, C)."""
    n = len(y)
    probs = _softmax(scores)
    if mistake == "sum_loss":
        loss = -np.log(probs[np.arange(n), y]).sum()  # MISTAKE: a sum, not a mean
    else:
        loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    if mistake not in ("missing_mean", "sum_loss", "l2_and_missing_mean"):
        dscores /= n  # the mean's 1/N (MISTAKE missing_mean / sum_loss: left out)
    return float(loss), dscores


def make_loss(activation: str = "relu", mistake: str | None = None) -> Callable[..., Any]:
    """``loss(X, y, params) -> (loss, grads)`` for a one-hidden-layer classifier."""

    def loss(X: np.ndarray, y: np.ndarray, params: Params) -> tuple[float, Params]:
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        z1 = X @ W1 + b1  # (N, H)
        h = _act(activation, z1)  # (N, H)
        scores = h @ W2 + b2  # (N, C)
        if mistake == "transposed_forward":
            scores = h @ W2.T + b2  # MISTAKE: torch's x @ W.T on an (in, out) W (square here)
        if mistake == "forward_raises":
            scores = h @ W2.T + b2  # MISTAKE: W2 (H, C) transposed, so the shapes do not fit
        if mistake == "softmax_before_ce":
            probs1 = _softmax(scores)  # MISTAKE: a softmax before a loss that applies one
            value, dprobs = _cross_entropy(probs1, y, None)
            dscores = probs1 * (dprobs - (dprobs * probs1).sum(axis=1, keepdims=True))
        else:
            value, dscores = _cross_entropy(scores, y, mistake)
        grads = {"W2": h.T @ dscores, "b2": dscores.sum(axis=0)}
        if mistake == "transposed_forward":  # the backward of that forward, consistently
            grads["W2"], W2 = dscores.T @ h, W2.T
        if mistake == "transposed_dW":
            grads["W2"] = dscores.T @ h  # MISTAKE: torch's (out, in) formula on an (in, out) W
        if mistake == "bias_not_summed":
            grads["b2"] = dscores  # MISTAKE: one row per example, not summed over the batch
        dh = dscores @ W2.T  # (N, H)
        if mistake == "backward_raises":
            dh = dscores @ W2  # MISTAKE: W2 not transposed, so the shapes do not fit
        dz1 = _act_backward(activation, dh, z1, h, mistake)
        grads.update(W1=X.T @ dz1, b1=dz1.sum(axis=0))
        if mistake in ("l2_in_loss", "l2_and_missing_mean"):  # MISTAKE (l2_and_missing_mean:
            # both this penalty and the mean's 1/N left out of dscores)
            reg = 1e-2  # an L2 penalty torch's loss does not have, with its gradient
            value += 0.5 * reg * ((W1 * W1).sum() + (W2 * W2).sum())
            grads["W1"] = grads["W1"] + reg * W1
            grads["W2"] = grads["W2"] + reg * W2
        return value, {k: grads[k] for k in params}

    return loss


def make_update(rule: str = "sgd", lr_scale: float = 1.0) -> Callable[..., None]:
    """``update(params, grads, lr)`` in place: ``"momentum"`` (torch's), ``"ema_momentum"``
    (the average form, a mismatch), ``"adam_no_bias_correction"`` (a mismatch),
    ``"accumulate"`` (keeps a running sum of gradients: no zero_grad) or ``"bias_without_lr"``
    (plain SGD, the biases stepped without the learning rate)."""
    state: dict[str, Any] = {"t": 0}

    def update(params: Params, grads: Params, lr: float) -> None:
        state["t"] += 1
        for k, g in grads.items():
            if rule == "momentum":
                state[k] = g.copy() if k not in state else 0.9 * state[k] + g
                step = state[k]
            elif rule == "ema_momentum":
                state[k] = 0.9 * state.get(k, 0) + 0.1 * g  # MISTAKE: torch's b = 0.9 b + g
                step = state[k]
            elif rule == "adam_no_bias_correction":
                m, v = state.get(k, (0, 0))
                m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
                state[k] = (m, v)
                step = m / (np.sqrt(v) + 1e-8)  # MISTAKE: m and v not bias-corrected
            elif rule == "accumulate":
                state[k] = state.get(k, 0) + g  # MISTAKE: gradients never cleared
                step = state[k]
            else:
                step = g
            if rule == "bias_without_lr" and k.startswith("b"):
                params[k] -= step  # MISTAKE: the bias stepped without lr
                continue
            params[k] -= lr * step

    return update
