"""The torch reference: ``torch_impl.build_model`` loaded with your initial weights.

* ``trace``: one end-to-end pass with autograd: every module's input and output, the loss,
  ``dL/d`` of every module's input and output, every parameter's gradient.
* ``teacher_forced``: each module alone on the end-to-end input it saw, with a random
  upstream gradient ``G`` (standard normal, never all ones: ones would hide a mask computed
  from the gradient's sign or a bias gradient taken from one row): ``y = m(x)``,
  ``dx = G . dy/dx`` and the parameter gradients ``dW = G^T x``, ``db = sum_n G``.
* ``train``: ``steps`` lock-step updates with ``torch.optim`` (``zero_grad -> forward ->
  loss -> backward -> step``), recording the loss, the gradients and the parameters.

Every array comes back as NumPy in torch's layout (weights ``(out, in)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from parity.check.adapters.structure import Net
from parity.check.run.optimizers import Optim


@dataclass
class RefTrace:
    """torch's end-to-end pass; lists are indexed by module (``2k`` Linear k, ``2k+1`` act)."""

    inputs: list[np.ndarray]
    outputs: list[np.ndarray]
    loss: float
    dloss: np.ndarray  # dL/d(the loss's input): the logits, or your probabilities
    dinputs: list[np.ndarray]
    doutputs: list[np.ndarray]
    grads: dict[str, np.ndarray]  # "0.weight" (out, in), "0.bias" (out,), ...


@dataclass
class RefTF:
    """torch's modules one at a time, on given inputs and upstream gradients."""

    outputs: list[np.ndarray]
    dinputs: list[np.ndarray]
    grads: list[dict[str, np.ndarray]]  # per module ({} for activations): "weight", "bias"
    upstream: list[np.ndarray]


@dataclass
class RefTraining:
    """Per step (axis 0): the loss, the gradients before and the parameters after the step."""

    losses: np.ndarray
    grads: dict[str, np.ndarray]
    params: dict[str, np.ndarray]


def _torch() -> Any:
    import torch

    return torch


def build(net: Net, state: dict[str, np.ndarray], dtype: str) -> Any:
    """``torch_impl.build_model`` for ``net``, loaded with ``state`` (torch keys and layout)."""
    import torch_impl

    identity_last = net.output_activation == "identity"  # a "linear activation" layer
    model = torch_impl.build_model(
        net.n_in,
        net.hidden,
        net.widths[-1],
        net.activations or "relu",
        None if identity_last else net.output_activation,
        dtype=dtype,
    )
    torch_impl.load_numpy_state_dict(model, state)
    if identity_last:
        model.append(_torch().nn.Identity())
    return model


def target(net: Net, y: np.ndarray, dtype: str) -> Any:
    """torch's target: int64 ``(N,)`` class indices, or floats ``(N, 1)`` like the output."""
    torch = _torch()
    if net.head == "multiclass":
        return torch.as_tensor(y, dtype=torch.int64)
    return torch.as_tensor(y.reshape(-1, 1), dtype=getattr(torch, dtype))


def loss_fn(net: Net) -> Any:
    """torch's loss for the head (mean reduction); on probabilities after your output layer."""
    torch = _torch()
    nn = torch.nn
    if net.output_activation == "softmax":
        return lambda p, t: nn.functional.nll_loss(torch.log(p), t)
    if net.output_activation == "sigmoid":
        return nn.BCELoss()
    return {
        "multiclass": nn.CrossEntropyLoss,
        "binary": nn.BCEWithLogitsLoss,
        "regression": nn.MSELoss,
    }[net.head]()


def _np(t: Any) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def trace(net: Net, state: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> RefTrace:
    """torch's end-to-end forward and backward (dtype of ``X``)."""
    torch = _torch()
    model = build(net, state, X.dtype.name)
    a = torch.tensor(X, requires_grad=True)
    inputs, outputs = [], []
    for module in model:
        inputs.append(a)
        a = module(a)
        a.retain_grad()
        outputs.append(a)
    loss = loss_fn(net)(a, target(net, y, X.dtype.name))
    loss.backward()
    return RefTrace(
        [_np(t) for t in inputs],
        [_np(t) for t in outputs],
        float(loss.item()),
        _np(a.grad),
        [_np(t.grad) for t in inputs],
        [_np(t.grad) for t in outputs],
        {k: _np(p.grad) for k, p in model.named_parameters()},
    )


def upstreams(shapes: Sequence[tuple[int, ...]], seed: int, dtype: str) -> list[np.ndarray]:
    """One random upstream gradient per module (standard normal, rounded to ``dtype``)."""
    rng = np.random.default_rng([seed, 7])
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def teacher_forced(
    net: Net, state: dict[str, np.ndarray], inputs: Sequence[np.ndarray], G: Sequence[np.ndarray]
) -> RefTF:
    """Each module on ``inputs[m]`` with upstream ``G[m]`` (dtype of the inputs)."""
    torch = _torch()
    model = build(net, state, inputs[0].dtype.name)
    out = RefTF([], [], [], list(G))
    for m, module in enumerate(model):
        x = torch.tensor(inputs[m], requires_grad=True)
        y = module(x)
        # sum(y * G) has gradient G exactly; y.backward(G) would import sympy (~0.7 s) the
        # first time, for a symbolic shape check of the explicit gradient
        (y * torch.tensor(G[m])).sum().backward()
        out.outputs.append(_np(y))
        out.dinputs.append(_np(x.grad))
        out.grads.append({k: _np(p.grad) for k, p in module.named_parameters()})
    return out


def loss_at(net: Net, state: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    """torch's loss at ``state`` (no gradients)."""
    torch = _torch()
    model = build(net, state, X.dtype.name)
    with torch.no_grad():
        return float(loss_fn(net)(model(torch.tensor(X)), target(net, y, X.dtype.name)).item())


def softmax_first(
    net: Net, z: np.ndarray, y: np.ndarray, *, probs: bool = False
) -> tuple[float, np.ndarray]:
    """The loss and its gradient when a softmax comes before torch's cross-entropy, which
    applies one itself: ``CrossEntropyLoss(softmax(z), y)`` and ``dL/dz``. With
    ``probs=True``, ``z`` already is the softmax output: ``CrossEntropyLoss(z, y)``, ``dL/dz``.
    """
    torch = _torch()
    zt = torch.tensor(np.asarray(z, np.float64), requires_grad=True)
    inp = zt if probs else torch.softmax(zt, dim=-1)
    loss = torch.nn.functional.cross_entropy(inp, target(net, y, "float64"))
    loss.backward()
    return float(loss.item()), _np(zt.grad)


def sigmoid_first(
    net: Net, z: np.ndarray, y: np.ndarray, *, probs: bool = False
) -> tuple[float, np.ndarray]:
    """The loss and its gradient when a sigmoid comes before ``BCEWithLogitsLoss``, which
    applies one itself (``probs=True``: ``z`` already is the sigmoid's output)."""
    torch = _torch()
    zt = torch.tensor(np.asarray(z, np.float64), requires_grad=True)
    inp = zt if probs else torch.sigmoid(zt)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(inp, target(net, y, "float64"))
    loss.backward()
    return float(loss.item()), _np(zt.grad)


def train(
    net: Net,
    state: dict[str, np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    batches: Sequence[np.ndarray],
    opt: Optim,
) -> RefTraining:
    """``len(batches)`` steps of the ``torch.optim`` optimizer ``opt`` on ``X[batch]``."""
    torch = _torch()
    model = build(net, state, X.dtype.name)
    optim, loss_f = opt.build(model.parameters()), loss_fn(net)
    losses, grads, params = [], [], []
    for idx in batches:
        optim.zero_grad()
        loss = loss_f(model(torch.tensor(X[idx])), target(net, y[idx], X.dtype.name))
        loss.backward()
        losses.append(float(loss.item()))
        grads.append({k: _np(p.grad) for k, p in model.named_parameters()})
        optim.step()
        params.append({k: _np(p) for k, p in model.named_parameters()})
    return RefTraining(
        np.array(losses),
        {k: np.stack([g[k] for g in grads]) for k in grads[0]},
        {k: np.stack([p[k] for p in params]) for k in params[0]},
    )
