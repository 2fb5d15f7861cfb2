"""Divergence: the training loss became non-finite or exploded, and ``fit`` stopped.

A step's loss ``L_k`` (0-based global step ``k``) *diverges* when it is not finite, or when
``L_k > EXPLODING * max(1, L_0)``. ``fit`` checks every step's loss before its update and,
at the end of each epoch, the whole-set training loss and the parameters, and raises
:class:`TrainingDiverged` at the first failure: the model keeps the weights whose loss
diverged. Twin: ``torch_impl.divergence`` (the twins may not import each other, so each
defines its own exception; both are ``FloatingPointError``).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

# A run that still learns never has a loss 1e12 times its first (or than 1, for a tiny first
# loss), yet 1e12 is far below float32's overflow (3e38): an explosion is caught while both
# dtypes still hold the number, and far above any loss a converging run reports.
EXPLODING = 1e12


class TrainingDiverged(FloatingPointError):
    """``fit`` stopped at the first diverged loss. Attributes: ``step`` (0-based; an
    end-of-epoch check reports the next step), ``loss`` (possibly inf or nan), ``lr`` (the
    optimizer's, or ``None``) and ``history`` (what ``fit`` recorded before, or ``None``)."""

    def __init__(self, step: int, loss: float, lr: float | None, history: Any = None) -> None:
        self.step, self.loss, self.lr, self.history = int(step), float(loss), lr, history
        now = "unknown" if lr is None else f"{lr:g}"
        super().__init__(
            f"diverged at step {self.step} (loss {self.loss:.3g}); lower lr (now {now})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.step, self.loss, self.lr))


class DivergenceWatch:
    """Counts the steps of one ``fit`` and raises :class:`TrainingDiverged` at the first
    diverged loss, naming the optimizer's current ``lr``."""

    def __init__(self, optimizer: Any, history: Any) -> None:
        self.steps = 0  # steps whose loss has been accepted
        self.limit = math.inf  # EXPLODING * max(1, L_0), set by the first step
        self.optimizer, self.history = optimizer, history

    def diverged(self, loss: float) -> TrainingDiverged:
        lr = getattr(self.optimizer, "lr", None)
        lr = float(lr) if isinstance(lr, Real) else None
        return TrainingDiverged(self.steps, loss, lr, self.history)

    def step(self, loss: float) -> None:
        """Accept the loss of step ``self.steps``, or raise if it diverged."""
        if not loss <= self.limit or loss == math.inf:  # ``not <=``: also nan
            raise self.diverged(loss)
        if self.steps == 0:
            self.limit = EXPLODING * max(1.0, loss)
        self.steps += 1

    def epoch(self, loss: float, parameters_finite: bool) -> None:
        """The end-of-epoch check: the whole-set training loss and the parameters."""
        if not (parameters_finite and loss <= self.limit and loss != math.inf):
            raise self.diverged(loss)
