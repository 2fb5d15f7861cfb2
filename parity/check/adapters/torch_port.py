"""``Torch``: your PyTorch port (an ``nn.Module``, a loss, an optimizer or a manual update),
checked against the reference like a ``Layers`` network.

Your model's leaf modules, in the order they are registered (an ``nn.Sequential``, or a
module whose ``forward`` calls its children in that order), become layer objects: an
``nn.Linear`` a Linear whose ``W``/``b`` are live NumPy views of its ``weight``/``bias``
(torch's ``(out, in)`` layout) and whose ``dW``/``db`` are views of their ``.grad``; any other
leaf (``nn.ReLU``, ``nn.Tanh``, ``nn.Softmax``...) an activation. Each layer's backward runs
torch's autograd on that module alone, so gradients accumulate in ``.grad`` as torch's do:
a training loop that forgets ``zero_grad`` is found. The model keeps its own dtype (the check
never casts it): a float32 model fed the float64 rows of a float64 check raises, as it would in
your training script. Your parameters, their ``.grad`` and your optimizer's state are restored
when the check ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from parity.check.adapters.layers import Layers, LayersRun
from parity.check.inputs import check_callable, check_head
from parity.errors import InputError, InputTypeError

KIND_OF_MODULE = {
    "ReLU": "relu",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "LeakyReLU": "leaky_relu",
    "Identity": "identity",
    "Softmax": "softmax",
}


def _tensor(x: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(np.ascontiguousarray(x))


class TorchModule:
    """Any leaf module as a NumPy layer: its forward, and its backward by autograd (the
    parameters' ``.grad`` accumulate as torch's do). An activation is one of these."""

    def __init__(self, module: Any) -> None:
        self.module = module

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = _tensor(x).requires_grad_(True)
        self._out = self.module(self._x)
        return self._out.detach().numpy()

    def backward(self, dy: np.ndarray) -> np.ndarray:
        # sum(y * dy) has gradient dy exactly; y.backward(dy) would import sympy (~0.7 s)
        (self._out * _tensor(dy).to(self._out.dtype)).sum().backward()
        return self._x.grad.numpy()  # type: ignore[no-any-return]


class TorchLinear(TorchModule):
    """An ``nn.Linear`` as a NumPy layer: ``W``, ``b``, ``dW``, ``db`` share its memory."""

    def _view(self, name: str, grad: bool = False) -> np.ndarray | None:
        p = getattr(self.module, name)
        if p is None:
            return None
        t = p.grad if grad else p.detach()
        return None if t is None else t.numpy()

    @property
    def W(self) -> np.ndarray:
        return self._view("weight")  # type: ignore[return-value]

    @W.setter
    def W(self, value: np.ndarray) -> None:
        self._set("weight", value)

    @property
    def b(self) -> np.ndarray:
        return self._view("bias")  # type: ignore[return-value]

    @b.setter
    def b(self, value: np.ndarray) -> None:
        self._set("bias", value)

    @property
    def dW(self) -> np.ndarray | None:
        return self._view("weight", grad=True)

    @property
    def db(self) -> np.ndarray | None:
        return self._view("bias", grad=True)

    def _set(self, name: str, value: np.ndarray) -> None:
        """Values copied in place: the parameter keeps its dtype (the check never casts it);
        another shape (a diagnosis trying the transposed weight) replaces its data."""
        import torch

        p, new = getattr(self.module, name), _tensor(np.asarray(value))
        with torch.no_grad():
            if tuple(p.shape) == tuple(new.shape):
                p.copy_(new)
            else:
                p.data = new.to(p.dtype)


class TorchLoss:
    """``loss_fn(output, target)`` as a loss object: ``forward(out, y)``, ``backward()``.

    ``y`` becomes a tensor as your training script would feed it: int64 class indices for
    multiclass; for binary and regression, your output's dtype and shape (``(N, 1)``).
    """

    def __init__(self, loss_fn: Callable[..., Any], head: str) -> None:
        self.loss_fn, self.head = loss_fn, head

    def forward(self, out: np.ndarray, y: np.ndarray) -> float:
        self._out = _tensor(out).requires_grad_(True)
        target = _tensor(y)
        if self.head != "multiclass":
            target = target.to(self._out.dtype).reshape(self._out.shape)
        self._loss = self.loss_fn(self._out, target)
        return float(self._loss.item())

    def backward(self) -> np.ndarray:
        import torch

        (g,) = torch.autograd.grad(self._loss, self._out)
        return g.numpy()  # type: ignore[no-any-return]


def _leaves(model: Any) -> list[Any]:
    """The leaf modules in registration order (containers opened, ``nn.Flatten`` skipped)."""
    return [
        m
        for m in model.modules()
        if not list(m.children()) and type(m).__name__ not in ("Flatten", "Dropout")
    ]


class Torch(Layers):
    """Your PyTorch port: the model, its loss, and how it trains.

    Args:
        model: an ``nn.Module`` whose leaf modules, in registration order, are its forward
            (``nn.Sequential(nn.Linear, nn.ReLU, ..., nn.Linear)`` or the same as attributes
            called in order).
        loss_fn: ``loss_fn(output, target) -> tensor`` (``nn.CrossEntropyLoss()``,
            ``nn.BCEWithLogitsLoss()``, ``nn.MSELoss()``, or your function).
        head: ``"multiclass"``, ``"binary"`` or ``"regression"``, as for ``Functional``.
        optimizer: your ``torch.optim`` optimizer on ``model.parameters()``; per training
            step the check calls ``optimizer.step()`` then ``optimizer.zero_grad()``. Pass the
            check the same optimizer settings (``optimizer=``, ``lr=``...) to compare with.
        update: instead of ``optimizer``, your own ``update(model, lr)`` run after each
            backward: a manual rule, or your loop's ``optimizer.step()`` and (as your loop
            has it, or not) ``optimizer.zero_grad()``.
    """

    style = "Torch"

    def __init__(
        self,
        model: Any,
        loss_fn: Callable[..., Any],
        head: str = "multiclass",
        optimizer: Any = None,
        update: Callable[[Any, float], Any] | None = None,
    ) -> None:
        import torch

        if not isinstance(model, torch.nn.Module):
            raise InputTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        check_callable(loss_fn, "loss_fn", "loss_fn(output, target)")
        if optimizer is not None and update is not None:
            raise InputError("pass optimizer= or update=, not both")
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise InputTypeError(
                f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
            )
        if update is not None:
            check_callable(update, "update", "update(model, lr)")
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.model_update = update
        leaves = _leaves(model)
        if not leaves:
            raise InputError("the model has no modules; write it as nn.Sequential(...)")
        layers: list[Any] = []
        kinds: list[str] = []
        for i, m in enumerate(leaves):
            if isinstance(m, torch.nn.Linear):
                _check_linear(m, i)
                layers.append(TorchLinear(m))
            elif type(m).__name__ in KIND_OF_MODULE:
                if isinstance(m, torch.nn.LeakyReLU) and m.negative_slope != 0.01:
                    raise InputError(
                        f"layers[{i}] is nn.LeakyReLU({m.negative_slope}); the reference "
                        f"network's leaky_relu has slope 0.01"
                    )
                layers.append(TorchModule(m))
                kinds.append(KIND_OF_MODULE[type(m).__name__])
            else:
                raise InputError(
                    f"layers[{i}] is {type(m).__name__}; a checked port has nn.Linear and "
                    f"activations ({', '.join(KIND_OF_MODULE)}) only"
                )
        _check_forward(model, leaves)
        rule = None if optimizer is None and update is None else self._update
        super().__init__(
            layers,
            TorchLoss(loss_fn, check_head(head)),
            head=head,
            layout="out_in",
            kinds=kinds,
            update=rule,
        )
        self.modules = leaves

    def _update(self, layers: list[Any], lr: float) -> None:
        if self.optimizer is not None:
            self.optimizer.step()
            self.optimizer.zero_grad()
        else:
            self.model_update(self.model, lr)  # type: ignore[misc]

    def name(self, i: int, what: str = "weight") -> str:
        """``"layers[0].weight"``: torch's names, at your leaf module's index."""
        return f"layers[{i}].{what}"

    def dtype(self) -> str:
        """The dtype of the model's parameters (``"float32"`` for a model never cast)."""
        return str(next(self.model.parameters()).dtype).removeprefix("torch.")

    def cast(self, dtype: str) -> Torch:
        """A copy of this port with the model in ``dtype`` (the fix a dtype mismatch names)."""
        import copy

        import torch

        model = copy.deepcopy(self.model).to(getattr(torch, dtype))
        return Torch(model, self.loss_fn, self.head)

    def bind(self, dtype: str) -> TorchRun:
        return TorchRun(self, dtype)

    def __repr__(self) -> str:
        return f"Torch({type(self.model).__name__}, {len(self.layers)} modules, {self.head})"


def _check_forward(model: Any, leaves: list[Any]) -> None:
    """The check runs your leaf modules in order: refuse a model whose ``forward`` computes
    something else (a ``F.softmax`` or ``torch.relu`` call, a skip connection)."""
    import torch

    first = next((m for m in leaves if isinstance(m, torch.nn.Linear)), None)
    if first is None:  # no Linear: Layers says so
        return
    param = next(model.parameters())
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(5, first.in_features, generator=gen, dtype=param.dtype)
    with torch.no_grad():
        try:
            theirs = model(x)
        except Exception as err:  # a forward that needs more than x: not a chain of modules
            raise InputError(f"model(x) raised {type(err).__name__}: {err}") from None
        chain = x
        for m in leaves:
            chain = m(chain)
    if not isinstance(theirs, torch.Tensor) or not torch.allclose(theirs, chain, atol=1e-6):
        raise InputError(
            "your model's forward is not its modules run in the order they are registered "
            "(a function call such as F.relu or F.softmax in forward, a skip connection?); the "
            "check runs the modules one by one: use modules (nn.ReLU(), nn.Softmax(dim=1)) "
            "registered in forward order, or nn.Sequential"
        )


def _check_linear(m: Any, i: int) -> None:
    """A weight must be ``(out_features, in_features)``: a NumPy ``(in, out)`` weight loaded
    into ``.data`` without ``.T`` is not."""
    want = (m.out_features, m.in_features)
    if tuple(m.weight.shape) != want:
        hint = (
            "; a NumPy (in, out) weight loaded without transposing: load W.T"
            if tuple(m.weight.shape) == want[::-1]
            else ""
        )
        raise InputError(
            f"layers[{i}] is nn.Linear({m.in_features}, {m.out_features}) but its weight has "
            f"shape {tuple(m.weight.shape)}, not (out, in) = {want}{hint}"
        )


class TorchRun(LayersRun):
    """``Torch`` during one check; ``restore()`` also clears ``.grad`` and the optimizer's
    state, so that a second check starts where the first did."""

    def __init__(self, impl: Torch, dtype: str) -> None:
        super().__init__(impl, dtype)
        self._clear(impl)

    @staticmethod
    def _clear(impl: Torch) -> None:
        for p in impl.model.parameters():
            p.grad = None
        if impl.optimizer is not None:
            impl.optimizer.state.clear()

    def restore(self) -> None:
        super().restore()
        self._clear(self.impl)  # type: ignore[arg-type]
