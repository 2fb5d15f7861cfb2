"""A PyTorch port of ``functional_net``'s network, and the mistakes ports make.

``port(mistake=None)`` returns ``Torch(model, loss, ...)``: an ``nn.Sequential`` of
``nn.Linear``/``nn.ReLU`` holding ``functional_net.init_params``'s weights (loaded with
``.T``, since ``nn.Linear`` holds ``(out, in)``), ``nn.CrossEntropyLoss()`` and, for training,
``torch.optim.SGD`` stepped and cleared as a training loop does. Each mistake is one change,
marked ``# MISTAKE``:

- ``no_transpose``: a square NumPy ``(in, out)`` weight loaded as it is (sizes 64-10-10: the
  non-square ``W1`` would fail loudly and was fixed, the square ``W2`` does not; found
  against the NumPy original);
- ``softmax_before_ce``: an ``nn.Softmax`` ending the model before ``CrossEntropyLoss``;
- ``sum_reduction``: ``CrossEntropyLoss(reduction="sum")``;
- ``no_zero_grad``: the loop's ``optimizer.step()`` without ``optimizer.zero_grad()``;
- ``float32_model``: the model left in float32 (torch's default), fed float64 rows;
- ``manual_rebind``: a manual update ``p = p - lr * p.grad`` that changes nothing.

``binary_port(sigmoid_first=False)``: a 30-8-1 tanh net for ``breast_cancer`` with
``BCEWithLogitsLoss``; ``sigmoid_first=True`` ends the model with an ``nn.Sigmoid`` too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from parity.check.adapters.torch_port import Torch
from parity.check.examples import functional_net as F

PORT_MISTAKES = (
    "no_transpose",
    "softmax_before_ce",
    "sum_reduction",
    "no_zero_grad",
    "float32_model",
    "manual_rebind",
)


def model_from(params: dict[str, np.ndarray], mistake: str | None = None) -> Any:
    """``nn.Sequential(Linear, ReLU, ..., Linear)`` holding ``params`` (``W (in, out)``)."""
    import torch
    from torch import nn

    weights = [params[k] for k in params if k.startswith("W")]
    modules: list[nn.Module] = []
    for k, W in enumerate(weights, start=1):
        linear = nn.Linear(W.shape[0], W.shape[1]).double()
        with torch.no_grad():
            if mistake == "no_transpose" and W.shape[0] == W.shape[1]:
                linear.weight.copy_(torch.from_numpy(W))  # MISTAKE: W, not W.T (square: no error)
            else:
                linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(params[f"b{k}"]))
        modules += [linear, nn.ReLU()]
    modules.pop()  # no activation after the last Linear
    if mistake == "softmax_before_ce":
        modules.append(nn.Softmax(dim=1))  # MISTAKE: CrossEntropyLoss applies its own
    model = nn.Sequential(*modules)
    return model.float() if mistake == "float32_model" else model  # MISTAKE (float32_model)


def port(
    mistake: str | None = None, sizes: tuple[int, ...] = (64, 32, 10), lr: float = 0.1
) -> Torch:
    """The port of ``functional_net`` (see the module docstring)."""
    import torch
    from torch import nn

    model = model_from(F.init_params(sizes), mistake)
    reduction = "sum" if mistake == "sum_reduction" else "mean"  # MISTAKE (sum_reduction)
    loss = nn.CrossEntropyLoss(reduction=reduction)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    if mistake == "no_zero_grad":

        def step(model: Any, lr: float) -> None:
            optimizer.step()  # MISTAKE: no optimizer.zero_grad() before the next backward

        return Torch(model, loss, update=step)
    if mistake == "manual_rebind":

        def rebind(model: Any, lr: float) -> None:
            for p in model.parameters():
                p = p - lr * p.grad  # MISTAKE: rebinds the name; update p in place
                p.grad = None

        return Torch(model, loss, update=rebind)
    return Torch(model, loss, optimizer=optimizer)


def original(sizes: tuple[int, ...] = (64, 32, 10)) -> Any:
    """The NumPy network the port was ported from (``functional_net``, correct)."""
    from parity.check.adapters.functional import Functional

    return Functional(F.make_loss("relu"), F.init_params(sizes), activation="relu")


def binary_port(sigmoid_first: bool = False) -> Torch:
    """A 30-8-1 tanh net with ``BCEWithLogitsLoss`` (``sigmoid_first``: an ``nn.Sigmoid``
    ends the model as well)."""
    import torch
    from torch import nn

    with torch.random.fork_rng():  # torch's default init, without touching your seed
        torch.manual_seed(0)
        modules: list[nn.Module] = [nn.Linear(30, 8), nn.Tanh(), nn.Linear(8, 1)]
    if sigmoid_first:
        modules.append(nn.Sigmoid())  # MISTAKE: BCEWithLogitsLoss applies its own
    return Torch(nn.Sequential(*modules).double(), nn.BCEWithLogitsLoss(), head="binary")
