"""``Functional``: a network written as one function, CS231n style.

``loss_fn(X, y, params) -> (loss, grads)``: ``X (N, D)``, ``y`` (int64 class indices
``(N,)`` for multiclass, floats ``(N,)`` for binary and regression), ``params`` your dict in
network order (``W1, b1, W2, b2, ...``; weights 2-D in either layout, biases 1-D, any key
names; also nnfs-style ``(1, n)`` biases, and for one output a weight vector ``(n,)`` and a
scalar bias), ``loss`` one number, ``grads`` a dict with the keys of ``params``. With no layers to
look inside, the check localises a mistake to the parameter whose gradient first differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from parity.check.adapters import columns
from parity.check.adapters.structure import LinearSpec
from parity.check.inputs import (
    as_array,
    as_grad,
    as_number,
    check_activations,
    check_callable,
    check_head,
    check_layout,
    check_param,
)
from parity.errors import InputError, InputTypeError

LossFn = Callable[[np.ndarray, np.ndarray, dict[str, np.ndarray]], Any]
UpdateFn = Callable[[dict[str, np.ndarray], dict[str, np.ndarray], float], Any]


def _fits_as_bias(value: np.ndarray, weight: np.ndarray) -> bool:
    """Where a bias is due (after a weight), a 0-D or 1-D array, a ``(1, n)`` row (the nnfs
    style) or a column ``(out, 1)`` beside an ``(out, in)`` weight (the column layout) is that
    bias; the structure stage checks its width."""
    column = value.ndim == 2 and value.shape[1] == 1 and weight.ndim == 2
    return value.ndim <= 1 or value.shape[0] == 1 or (column and value.shape[0] == weight.shape[0])


def _is_vector_weight(keys: list[str], at: int, params: Mapping[str, np.ndarray]) -> bool:
    """A 1-D ``params[keys[at]]`` where a weight is due is the last layer's weight vector (one
    output) when exactly one one-element bias follows it (``w (n,)``, ``b`` scalar or
    ``(1,)``); anything else is a bias out of order."""
    rest = keys[at + 1 :]
    return len(rest) == 1 and params[rest[0]].size == 1


def _pairs(params: Mapping[str, np.ndarray]) -> list[tuple[str, str | None]]:
    """``[(weight key, bias key or None), ...]`` in network order (see ``Functional``)."""
    keys = list(params)
    pairs: list[tuple[str, str | None]] = []
    for at, key in enumerate(keys):
        value = params[key]
        if pairs and pairs[-1][1] is None and _fits_as_bias(value, params[pairs[-1][0]]):
            pairs[-1] = (pairs[-1][0], key)
        elif value.ndim == 2 or (value.ndim == 1 and _is_vector_weight(keys, at, params)):
            pairs.append((key, None))
        elif not pairs:
            raise InputError(
                f"params[{key!r}] has shape {value.shape} and comes first; the first parameter "
                f"must be a weight (2-D; 1-D only as the last layer's weight vector, followed "
                f"by a scalar bias)"
            )
        else:
            raise InputError(
                f"params[{key!r}] is {value.ndim}-D (a bias) but does not follow a weight; "
                f"params must be in network order: W1, b1, W2, b2, ..."
            )
    return pairs


class Functional:
    """Your network as ``loss_fn(X, y, params) -> (loss, grads)`` plus its initial ``params``.

    Args:
        loss_fn: computes the mean loss over the batch and every parameter's gradient.
        params: the initial values, in network order; they become the shared initial state
            (copied into torch in its layout). Never modified: the check works on a copy, in
            your shapes (a ``(1, n)`` bias stays ``(1, n)``, a float bias becomes a 0-D
            array), and compares gradients in those shapes.
        activation: the hidden layers' activation, one name or one per hidden layer:
            sigmoid, tanh, relu, leaky_relu (slope 0.01) or identity.
        head: ``"multiclass"`` (softmax + cross-entropy on logits), ``"binary"`` (sigmoid +
            binary cross-entropy) or ``"regression"`` (mean squared error); torch's losses
            with ``reduction="mean"``.
        layout: ``"auto"`` (from the shapes; a probe for square weights; ``(out, 1)`` biases
            mean columns), ``"in_out"`` (your ``W`` is ``(in, out)``, ``x @ W``), ``"out_in"``
            (torch's, ``x @ W.T``) or ``"columns"`` (``X (D, N)``, ``W @ X + b`` with ``b``
            ``(out, 1)``: ``parity.check.adapters.columns``).
        update: your own rule ``update(params, grads, lr)`` (in place), checked against
            ``torch.optim`` when ``check(steps=N)``; without it the check applies torch's rule.
    """

    style = "Functional"

    def __init__(
        self,
        loss_fn: LossFn,
        params: Mapping[str, np.ndarray],
        activation: str | Sequence[str] = "relu",
        head: str = "multiclass",
        layout: str = "auto",
        update: UpdateFn | None = None,
    ) -> None:
        self.loss_fn = check_callable(loss_fn, "loss_fn", "loss_fn(X, y, params)")
        if not isinstance(params, Mapping):
            raise InputTypeError(
                f"params must be a dict of name -> array in network order, "
                f"got {type(params).__name__}"
            )
        if not params:
            raise InputError("params is empty; pass your initial weights and biases")
        for key in params:
            if not isinstance(key, str):
                raise InputTypeError(f"params keys must be strings, got {key!r}")
        self.params = {
            k: check_param(v, f"params[{k!r}]", scalar=True).copy() for k, v in params.items()
        }
        self.pairs = _pairs(self.params)
        self.activations = check_activations(activation, len(self.pairs) - 1)
        self.head = check_head(head)
        self.layout = check_layout(layout)
        shapes = [(self.params[w].shape, None if b is None else self.params[b].shape)
                  for w, b in self.pairs]  # fmt: skip
        self.columns_by = "layout='columns'" if self.layout == "columns" else "the (out, 1) biases"
        self.columns = self.layout == "columns" or (
            self.layout == "auto" and columns.is_columns(*map(list, zip(*shapes, strict=True)))
        )
        if self.columns:  # your code gets X (D, N); weights are torch's (out, in)
            self.loss_fn = columns.loss_fn(self.loss_fn, self.head)
            self.layout = "out_in"
        self.update = (
            None
            if update is None
            else check_callable(update, "update", "update(params, grads, lr)")
        )

    def linears(self) -> tuple[LinearSpec, ...]:
        return tuple(
            LinearSpec(
                w,
                self.params[w].shape,
                b or f"(bias of {w})",
                None if b is None else self.params[b].shape,
            )
            for w, b in self.pairs
        )

    def bind(self, dtype: str) -> FunctionalRun:
        """A working copy in ``dtype`` for one check."""
        return FunctionalRun(self, dtype)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in self.params.items())
        return f"Functional({shapes}; {self.head}, activation {','.join(self.activations)})"


class FunctionalRun:
    """``Functional`` during one check: a copy of the parameters, and calls into your code."""

    def __init__(self, impl: Functional, dtype: str) -> None:
        self.impl = impl
        self.dtype = np.dtype(dtype)
        self.current = {k: v.astype(self.dtype) for k, v in impl.params.items()}

    def params(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.current.items()}

    def loss_and_grads(
        self, X: np.ndarray, y: np.ndarray, *, zero: bool = True
    ) -> tuple[float, dict[str, np.ndarray]]:
        """Call your ``loss_fn`` on copies, and check what it returns (``zero``: unused, your
        ``loss_fn`` returns fresh gradients)."""
        return self.check_result(self.impl.loss_fn(X.copy(), y.copy(), self.params()))

    def check_result(self, out: Any) -> tuple[float, dict[str, np.ndarray]]:
        """``(loss, grads)`` as returned by ``loss_fn``, or TypeError/ValueError saying why not."""
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise InputTypeError(
                f"loss_fn must return (loss, grads), got {type(out).__name__}"
                + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
            )
        loss = as_number(out[0], "loss_fn")
        grads = out[1]
        if not isinstance(grads, Mapping):
            raise InputTypeError(f"loss_fn's grads must be a dict like params, got {type(grads)}")
        missing = [k for k in self.current if k not in grads]
        extra = [k for k in grads if k not in self.current]
        if missing or extra:
            raise InputError(
                f"loss_fn's grads must have exactly the keys of params: missing {missing}, "
                f"unexpected {extra}"
            )
        return loss, {
            k: as_grad(grads[k], f"grads[{k!r}]", v.shape) for k, v in self.current.items()
        }

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        return self.loss_and_grads(X, y)[0]

    def oracle_loss(self, X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
        """``L()`` at the current parameters (perturbed in place by the oracle via ``arrays``);
        each call gets fresh copies of ``X``, ``y`` and the parameters."""
        return lambda: as_number(
            self.impl.loss_fn(X.copy(), y.copy(), self.params())[0], "loss_fn"
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """The live parameter arrays (the oracle perturbs and restores them in place)."""
        return self.current

    def step(self, grads: dict[str, np.ndarray], lr: float) -> None:
        """Your ``update(params, grads, lr)`` on the working copy."""
        if self.impl.update is None:
            raise RuntimeError("step needs an update rule; the check applies torch's otherwise")
        work = self.params()
        self.impl.update(work, {k: g.copy() for k, g in grads.items()}, lr)
        if not isinstance(work, dict) or set(work) != set(self.current):
            raise InputError("update must change params in place and keep its keys")
        self.current = {k: as_array(work[k], f"params[{k!r}] after update") for k in work}

    def restore(self) -> None:
        """Nothing to restore: your dict was never touched."""
