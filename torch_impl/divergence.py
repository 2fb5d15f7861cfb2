"""Divergence: the training loss became non-finite or exploded, and ``fit`` stopped.

A step's loss ``L_k`` (0-based global step ``k``) *diverges* when it is not finite, or when
``L_k > EXPLODING * max(1, L_0)``. ``fit`` checks every step's loss before its backward pass
and, at the end of each epoch, the whole-set training loss and the parameters, and raises
:class:`TrainingDiverged` at the first failure. The step's update is not applied: the model
is left holding the weights whose loss diverged (those after step ``k - 1``).

Twin: ``scratch.divergence``, the same rule, constant and message; the twins may not
import each other, so each defines its own exception (both are ``FloatingPointError``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real
from typing import Any

# A run that still learns never has a loss 1e12 times its first (or than 1, for a tiny first
# loss): for MSE that is outputs ~1e6 times off, for cross-entropy logits ~1e12 wrong, beyond
# any recovery at that lr. Yet 1e12 is far below float32's overflow (3e38), so an explosion
# is caught while both dtypes still hold the number, one step before inf or NaN, and it is
# far above any loss a converging run reports (the parity grid's worst is below 10).
EXPLODING = 1e12


class TrainingDiverged(FloatingPointError):
    """``fit`` stopped at the first diverged loss; see the module docstring.

    Attributes: ``step`` (0-based global step whose loss diverged; an end-of-epoch check
    reports the next step), ``loss`` (float, possibly inf or nan), ``lr`` (the optimizer's
    learning rate, ``None`` if it has none) and ``history`` (what ``fit`` recorded before
    the step, or ``None``). Twin: ``scratch.TrainingDiverged``.
    """

    def __init__(self, step: int, loss: float, lr: float | None, history: Any = None) -> None:
        self.step = int(step)
        self.loss = float(loss)
        self.lr = lr
        self.history = history
        now = "unknown" if lr is None else f"{lr:g}"
        super().__init__(
            f"diverged at step {self.step} (loss {self.loss:.3g}); lower lr (now {now})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.step, self.loss, self.lr))


class DivergenceWatch:
    """Counts the steps of one ``fit`` and raises :class:`TrainingDiverged` at the first
    diverged loss. ``lr()`` reads the optimizer's current learning rate."""

    def __init__(self, lr: Callable[[], float | None], history: Any) -> None:
        self.steps = 0  # steps whose loss has been accepted
        self._limit = math.inf  # EXPLODING * max(1, L_0), set by the first step
        self._lr = lr
        self._history = history

    def diverged(self, loss: float) -> TrainingDiverged:
        """The exception for a diverged ``loss`` at the current step."""
        return TrainingDiverged(self.steps, loss, self._lr(), self._history)

    def step(self, loss: float) -> None:
        """Accept step ``self.steps``'s loss, or raise if it diverged."""
        if not loss <= self._limit or loss == math.inf:  # ``not <=``: also nan
            raise self.diverged(loss)
        if self.steps == 0:
            self._limit = EXPLODING * max(1.0, loss)
        self.steps += 1

    def epoch(self, loss: float, parameters_finite: bool) -> None:
        """The end-of-epoch check: the whole-set training loss and the parameters."""
        if not (parameters_finite and loss <= self._limit and loss != math.inf):
            raise self.diverged(loss)


def optimizer_lr(optimizer: Any) -> Callable[[], float | None]:
    """A reader of the first parameter group's ``lr`` (``torch.optim``), ``None`` where there
    is none."""

    def lr() -> float | None:
        groups = getattr(optimizer, "param_groups", None) or [{}]
        value = groups[0].get("lr") if isinstance(groups[0], dict) else None
        return float(value) if isinstance(value, Real) else None

    return lr
