"""Small wrappers for layer objects as libraries and books write them, so that ``Layers``
can check them unchanged (docs/CHECK.md, "Layer libraries"):

- ``Wrapped(layer, forward="forward_pass", backward="backward_pass")``: methods with other
  names;
- ``Wrapped(layer, output="output", dinput="dinputs")``: a ``forward`` / ``backward`` that
  store their result (``self.output``, ``self.dinputs``) and return nothing (nnfs);
- ``Wrapped(layer, in_place_lr=1.0)``: a ``backward(grad, lr)`` that updates the weights in
  place and keeps no gradient, or (``pass_lr=False``) a ``backward(grad)`` that calls an
  optimizer living inside the layer: the wrapper calls it, reads the gradient back as
  ``(before - after) / lr`` (so the rule inside must be plain SGD at that ``lr`` during the
  check: ``p -= lr * grad``), puts the weights back, and keeps the gradient as ``grad_W``
  / ``grad_b`` (pass ``grad_weight="grad_W", grad_bias="grad_b"`` to ``Layers``);
- ``WrappedLoss(loss, forward="calculate", backward="backward", dinput="dinputs",
  backward_args=True)``: a loss with other method names, whose backward takes
  ``(output, y)`` (nnfs) and stores its result.

Every other attribute is the layer's own, read and written through.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Wrapped:
    """One of your layers with the methods ``Layers`` calls (see the module docstring)."""

    def __init__(
        self,
        layer: Any,
        forward: str = "forward",
        backward: str = "backward",
        output: str | None = None,
        dinput: str | None = None,
        in_place_lr: float | None = None,
        pass_lr: bool = True,
        weight: str = "W",
        bias: str = "b",
    ) -> None:
        for name in (forward, backward):
            if not callable(getattr(layer, name, None)):
                raise TypeError(f"{type(layer).__name__} has no method {name}()")
        if in_place_lr is not None and not in_place_lr > 0:
            raise ValueError(f"in_place_lr must be > 0, got {in_place_lr}")
        settings = {"layer": layer, "names": (forward, backward), "stored": (output, dinput),
                    "lr": in_place_lr, "pass_lr": pass_lr, "params": (weight, bias)}  # fmt: skip
        object.__setattr__(self, "_w", settings)

    def forward(self, x: np.ndarray) -> Any:
        w = self._w
        result = getattr(w["layer"], w["names"][0])(x)
        return getattr(w["layer"], w["stored"][0]) if w["stored"][0] else result

    def backward(self, dy: np.ndarray) -> Any:
        w = self._w
        layer, method = w["layer"], getattr(w["layer"], w["names"][1])
        if w["lr"] is None:
            result = method(dy)
        else:
            result = self._in_place(layer, method, dy, w["lr"], w["pass_lr"])
        return getattr(layer, w["stored"][1]) if w["stored"][1] else result

    def _in_place(self, layer: Any, method: Any, dy: np.ndarray, lr: float, pass_lr: bool) -> Any:
        """Your backward that updates in place: the gradient read back from the change."""
        names = [n for n in self._w["params"] if hasattr(layer, n)]
        arrays = {n: getattr(layer, n) for n in names}  # put back as these very objects
        before = {n: np.array(a, dtype=np.float64, copy=True) for n, a in arrays.items()}
        result = method(dy, lr) if pass_lr else method(dy)
        for n, arr in arrays.items():
            grad = (before[n] - np.asarray(getattr(layer, n), np.float64)) / lr
            object.__setattr__(self, f"grad_{n}", grad.astype(np.asarray(arr).dtype))
            arr[...] = before[n]
            setattr(layer, n, arr)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_w")["layer"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._w["layer"], name, value)

    def __repr__(self) -> str:
        return f"Wrapped({self._w['layer']!r})"


class WrappedLoss:
    """Your loss with the methods ``Layers`` calls: ``forward(out, y)``, ``backward()``."""

    def __init__(
        self,
        loss: Any,
        forward: str = "forward",
        backward: str = "backward",
        dinput: str | None = None,
        backward_args: bool = False,
    ) -> None:
        for name in (forward, backward):
            if not callable(getattr(loss, name, None)):
                raise TypeError(f"{type(loss).__name__} has no method {name}()")
        self.loss, self.names, self.dinput, self.backward_args = (
            loss,
            (forward, backward),
            dinput,
            backward_args,
        )

    def forward(self, out: np.ndarray, y: np.ndarray) -> Any:
        self._out, self._y = out, y
        return getattr(self.loss, self.names[0])(out, y)

    def backward(self) -> Any:
        method = getattr(self.loss, self.names[1])
        result = method(self._out, self._y) if self.backward_args else method()
        return getattr(self.loss, self.dinput) if self.dinput else result
