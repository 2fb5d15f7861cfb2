"""``Layers``: a network written as layer objects, each with ``forward(x)`` and ``backward(dy)``.

A layer with a weight attribute (``weight="W"``) is a Linear, with its bias (``bias="b"``)
and the gradients its ``backward`` leaves behind (``grad_weight="dW"``, ``grad_bias="db"``).
Weights are 2-D in either layout (or a vector ``(n,)`` for a last layer with one output);
biases ``(out,)``, nnfs-style ``(1, out)``, or a 0-D array for one output. They are compared,
and updated, in your shapes.
An attribute holding an object with ``.data`` and ``.grad`` arrays (a ``Parameter``, as in
scratch or torch) is read through those instead. A layer without a weight is an activation,
recognised by probing it (``parity.check.adapters.probes``) or named in ``kinds=[...]``.
The loss has
``forward(logits, y) -> float`` and ``backward() -> dlogits``. Layers may end with a sigmoid
(binary) or softmax (multiclass) when your loss takes probabilities.

During a check the layers are run as they are: end to end, and one at a time on torch's
input and torch's (random) upstream gradient. Gradients are zeroed before every backward
the check makes, except between the training steps of your own ``update`` rule, which must
clear them itself (as ``optimizer.zero_grad()`` would). Your layers' parameters are restored
to their initial values when the check ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from parity.check.adapters import columns
from parity.check.adapters.probes import activation_kind
from parity.check.adapters.structure import LinearSpec
from parity.check.inputs import (
    ACTIVATIONS,
    as_grad,
    as_number,
    check_callable,
    check_head,
    check_layout,
    check_param,
    layer_result,
)
from parity.errors import InputError, InputTypeError

UpdateFn = Callable[[list[Any], float], Any]


def _is_parameter(obj: Any) -> bool:
    """An object holding ``.data`` (and ``.grad``) arrays, like scratch's or torch's Parameter."""
    return not isinstance(obj, np.ndarray) and isinstance(getattr(obj, "data", None), np.ndarray)


def _check_name(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.isidentifier():
        raise InputTypeError(f"{name} must be an attribute name such as 'W', got {value!r}")
    return value


def _check_objects(layers: Any, loss: Any) -> None:
    """``layers`` a non-empty list of objects with ``forward`` and ``backward``; ``loss`` too."""
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise InputTypeError(f"layers must be a list of layer objects, got {type(layers).__name__}")
    if not layers:
        raise InputError("layers is empty; pass your layers in forward order")
    for i, layer in enumerate(layers):
        for method in ("forward", "backward"):
            if not callable(getattr(layer, method, None)):
                raise InputTypeError(
                    f"layers[{i}] ({type(layer).__name__}) has no {method}() method; each "
                    f"layer needs forward(x) and backward(grad)"
                )
    for method in ("forward", "backward"):
        if not callable(getattr(loss, method, None)):
            raise InputTypeError(
                f"loss ({type(loss).__name__}) has no {method}() method; it needs "
                f"forward(logits, y) -> float and backward() -> dlogits"
            )


class Layers:
    """Your network as layer objects in forward order plus a loss object.

    Args:
        layers: the layers in forward order (Linear, activation, Linear, ..., Linear[, output
            sigmoid or softmax]).
        loss: ``forward(logits, y) -> float`` (the mean over the batch), ``backward() ->
            dlogits``.
        head, layout, update: as for ``Functional``; ``update(layers, lr)`` applies your
            rule in place and clears the gradients for the next step.
        weight, bias, grad_weight, grad_bias: your attribute names.
        kinds: the activation layers' kinds, one per layer without a weight, in order
            (default: recognised by probing).
    """

    style = "Layers"

    def __init__(
        self,
        layers: Sequence[Any],
        loss: Any,
        head: str = "multiclass",
        layout: str = "auto",
        weight: str = "W",
        bias: str = "b",
        grad_weight: str = "dW",
        grad_bias: str = "db",
        kinds: Sequence[str] | None = None,
        update: UpdateFn | None = None,
    ) -> None:
        _check_objects(layers, loss)
        self.layers, self.loss = list(layers), loss
        self.head, self.layout = check_head(head), check_layout(layout)
        self.attrs = tuple(
            _check_name(v, n)
            for v, n in (
                (weight, "weight"),
                (bias, "bias"),
                (grad_weight, "grad_weight"),
                (grad_bias, "grad_bias"),
            )
        )
        self.linear = [i for i, layer in enumerate(self.layers) if hasattr(layer, weight)]
        if not self.linear:
            raise InputError(
                f"no layer has a weight attribute {weight!r}; pass weight= (and bias=, "
                f"grad_weight=, grad_bias=) with your attribute names"
            )
        self._check_params()
        self.user_layers = self.layers  # as your update rule gets them
        specs = self.linears()
        self.columns_by = "layout='columns'" if self.layout == "columns" else "the (out, 1) biases"
        self.columns = self.layout == "columns" or (
            self.layout == "auto"
            and columns.is_columns([s.weight_shape for s in specs], [s.bias_shape for s in specs])
        )
        if self.columns:  # your layers get (features, N); weights are torch's (out, in)
            self.layers = [columns.ColumnLayer(layer) for layer in self.layers]
            self.loss = columns.ColumnLoss(self.loss, self.head)
            self.layout = "out_in"
        self.kinds = None if kinds is None else self._check_kinds(kinds)
        self.update = (
            None if update is None else check_callable(update, "update", "update(layers, lr)")
        )

    def _check_params(self) -> None:
        weight, bias = self.attrs[:2]
        for i in self.linear:
            w = check_param(self.value(i, weight), f"layers[{i}].{weight}")
            if w.ndim == 0:
                raise InputError(
                    f"layers[{i}].{weight} is a scalar; a weight is 2-D (or 1-D for one output)"
                )
            if hasattr(self.layers[i], bias):
                check_param(self.value(i, bias), f"layers[{i}].{bias}")

    def _check_kinds(self, kinds: Sequence[str]) -> tuple[str, ...]:
        n = len(self.layers) - len(self.linear)
        if isinstance(kinds, str) or not isinstance(kinds, Sequence):
            raise InputTypeError(f"kinds must be a list of activation names, got {kinds!r}")
        if len(kinds) != n:
            raise InputError(f"kinds has {len(kinds)} names; your layers have {n} activations")
        valid = (*ACTIVATIONS, "softmax")
        for k in kinds:
            if k not in valid:
                raise InputError(f"unknown kind {k!r} in kinds; valid: {', '.join(valid)}")
        return tuple(kinds)

    def value(self, i: int, attr: str) -> np.ndarray:
        """The array behind ``layers[i].<attr>`` (through ``.data`` for a Parameter)."""
        obj = getattr(self.layers[i], attr)
        return obj.data if _is_parameter(obj) else obj

    def name(self, i: int, what: str = "weight") -> str:
        """Your name of Linear ``layers[i]``'s weight or bias: ``"layers[0].W"``."""
        return f"layers[{i}].{self.attrs[0] if what == 'weight' else self.attrs[1]}"

    def linears(self) -> tuple[LinearSpec, ...]:
        specs = []
        for i in self.linear:
            has_bias = hasattr(self.layers[i], self.attrs[1])
            bias_shape = np.shape(self.value(i, self.attrs[1])) if has_bias else None
            specs.append(
                LinearSpec(
                    self.name(i),
                    self.value(i, self.attrs[0]).shape,
                    self.name(i, "bias"),
                    bias_shape,
                )
            )
        return tuple(specs)

    def activation_kinds(self) -> list[tuple[int, str | None, str]]:
        """``(index, kind or None, why not)`` for every layer without a weight."""
        given = iter(self.kinds) if self.kinds is not None else None
        out: list[tuple[int, str | None, str]] = []
        for i, layer in enumerate(self.layers):
            if i in self.linear:
                continue
            if given is not None:
                out.append((i, next(given), ""))
            else:
                out.append((i, *activation_kind(layer, np.dtype(np.float64))))
        return out

    def bind(self, dtype: str) -> LayersRun:
        return LayersRun(self, dtype)

    def __repr__(self) -> str:
        return f"Layers({len(self.layers)} layers, {self.head})"


class LayersRun:
    """``Layers`` during one check: converts the parameters to ``dtype`` (if they are not),
    runs your code, and ``restore()`` puts back your arrays and their initial values."""

    def __init__(self, impl: Layers, dtype: str) -> None:
        self.impl = impl
        self.dtype = np.dtype(dtype)
        self.saved: list[tuple[Any, str, Any, np.ndarray]] = []  # (owner, attr, object, values)
        for i in impl.linear:
            for attr in impl.attrs[:2]:
                if hasattr(impl.layers[i], attr):
                    self._own(impl.layers[i], attr)

    def _own(self, layer: Any, attr: str) -> None:
        obj = getattr(layer, attr)
        owner, name = (obj, "data") if _is_parameter(obj) else (layer, attr)
        arr = getattr(owner, name)
        self.saved.append((owner, name, arr, arr.copy()))
        if arr.dtype != self.dtype:
            setattr(owner, name, arr.astype(self.dtype))

    def restore(self) -> None:
        for owner, name, arr, values in reversed(self.saved):
            arr[...] = values
            setattr(owner, name, arr)

    def arrays(self) -> dict[str, np.ndarray]:
        """Your live parameter arrays by name (changed in place by the oracle and by SGD)."""
        impl = self.impl
        return {
            impl.name(i, w): impl.value(i, impl.attrs[0 if w == "weight" else 1])
            for i in impl.linear
            for w in ("weight", "bias")
        }

    def params(self) -> dict[str, np.ndarray]:
        return {k: np.array(v, copy=True) for k, v in self.arrays().items()}

    def zero_grads(self) -> None:
        for i in self.impl.linear:
            for g in self._grad_arrays(i):
                if isinstance(g, np.ndarray) and g.flags.writeable:
                    g[...] = 0

    def _grad_arrays(self, i: int) -> list[Any]:
        layer, (w, b, gw, gb) = self.impl.layers[i], self.impl.attrs
        out = []
        for attr, grad in ((w, gw), (b, gb)):
            obj = getattr(layer, attr, None)
            holder, name = (obj, "grad") if _is_parameter(obj) else (layer, grad)
            out.append(getattr(holder, name, None))
        return out

    def grads(self, only: int | None = None) -> dict[str, np.ndarray]:
        """Copies of the gradients your backward left (for ``layers[only]`` alone if given)."""
        impl, out = self.impl, {}
        for i in impl.linear if only is None else [only]:
            for what, g in zip(("weight", "bias"), self._grad_arrays(i), strict=True):
                where = f"{impl.name(i, what)}'s gradient"
                if g is None:
                    attr = impl.attrs[2 if what == "weight" else 3]
                    raise InputError(
                        f"layers[{i}].backward left no {attr!r}: {where} is missing; pass "
                        f"grad_weight=/grad_bias= with the attributes your backward sets"
                    )
                param = impl.value(i, impl.attrs[0 if what == "weight" else 1])
                out[impl.name(i, what)] = as_grad(g, where, np.shape(param))
        return out

    def step(self, grads: dict[str, np.ndarray], lr: float) -> None:
        """Your ``update(layers, lr)``."""
        if self.impl.update is None:
            raise RuntimeError("step needs an update rule; the check applies torch's otherwise")
        self.impl.update(self.impl.user_layers, lr)

    def forward(self, X: np.ndarray) -> np.ndarray:
        for i, layer in enumerate(self.impl.layers):
            X = layer_result(layer.forward(X), f"layers[{i}].forward")
        return X

    def loss_and_grads(
        self, X: np.ndarray, y: np.ndarray, *, zero: bool = True
    ) -> tuple[float, dict[str, np.ndarray]]:
        """One end-to-end pass through your layers and loss; the gradients it leaves."""
        if zero:
            self.zero_grads()
        loss = as_number(self.impl.loss.forward(self.forward(X.copy()), y.copy()), "loss.forward")
        g = self.impl.loss.backward()
        for i in reversed(range(len(self.impl.layers))):
            g = layer_result(self.impl.layers[i].backward(g), f"layers[{i}].backward")
        return loss, self.grads()

    def oracle_loss(self, X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
        """``L()``: your loss at the current (live) parameters, on fresh copies of X and y."""
        return lambda: as_number(
            self.impl.loss.forward(self.forward(X.copy()), y.copy()), "loss.forward"
        )
