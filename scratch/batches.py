"""The minibatch order: per epoch, a fresh permutation of the rows cut into batches, drawn
when the epoch starts, as a ``DataLoader(shuffle=True)`` does. ``parity`` hands one order to
both training loops (torch reads it through a ``DataLoader`` ``batch_sampler``)."""

import copy
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import numpy as np

from ._checks import check_positive_int, check_rng, check_seed


class BatchOrder(Sequence[list[np.ndarray]]):
    """``epochs`` epochs of index arrays: epoch ``e`` is the ``e``-th ``rng.permutation(n)``
    cut into batches of ``batch_size`` rows (the last may be shorter), drawn when reached from
    a copy of ``rng`` as it was: memory is one epoch, and every pass replays the same order."""

    def __init__(self, n: int, batch_size: int, epochs: int, rng: np.random.Generator) -> None:
        self.n = check_positive_int(n, "n")
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.epochs = check_positive_int(epochs, "epochs")
        self._rng = copy.deepcopy(check_rng(rng))  # the state at creation: every pass starts here

    @property
    def steps(self) -> int:
        """Optimizer steps in the whole run: ``epochs * ceil(n / batch_size)``, nothing drawn."""
        return self.epochs * -(-self.n // self.batch_size)

    def __len__(self) -> int:
        return self.epochs

    def __iter__(self) -> Iterator[list[np.ndarray]]:
        rng = copy.deepcopy(self._rng)
        for _ in range(self.epochs):
            perm = rng.permutation(self.n)  # (n,)
            yield [perm[i : i + self.batch_size] for i in range(0, self.n, self.batch_size)]

    def __getitem__(self, index: Any) -> Any:  # order[e]: one epoch; order[a:b]: a list of them
        if isinstance(index, slice):
            return [self[e] for e in range(*index.indices(self.epochs))]
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"BatchOrder indices must be integers or slices, got {index!r}")
        e = int(index) + self.epochs if index < 0 else int(index)
        if not 0 <= e < self.epochs:
            raise IndexError(f"epoch {index} out of range for {self.epochs} epochs")
        return next(islice(self, e, None))

    def __repr__(self) -> str:
        return f"BatchOrder(n={self.n}, batch_size={self.batch_size}, epochs={self.epochs})"


batch_order = BatchOrder  # the lazy order: list(batch_order(...)) gives the epochs as lists


def check_epoch(e: int, epoch: Any, n: int) -> list[np.ndarray]:
    """Epoch ``e`` of a batch order: non-empty 1-D integer index arrays into ``range(n)``."""
    if len(epoch) == 0:
        raise ValueError(f"batches[{e}] has no batches")
    checked = []
    for b, idx in enumerate(epoch):
        idx, where = np.asarray(idx), f"batches[{e}][{b}]"
        if idx.ndim != 1 or idx.size == 0:
            raise ValueError(f"{where} must be a non-empty 1-D index array, got shape {idx.shape}")
        if not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"{where} must hold integer indices, got dtype {idx.dtype}")
        if idx.min() < 0 or idx.max() >= n:
            raise ValueError(f"{where} has indices in [{idx.min()}, {idx.max()}], outside [0, {n})")
        checked.append(idx)
    return checked


def check_batches(batches: Any, n: int) -> tuple[Iterable[list[np.ndarray]], int]:
    """A batch order (epochs of index arrays into ``range(n)``), checked, and its step count:
    a list or tuple whole, before any training; a ``BatchOrder`` one epoch at a time."""
    if not isinstance(batches, Sequence) or isinstance(batches, (str, bytes)):
        raise TypeError(
            f"batches must be a sequence of epochs (a list, or batch_order(...)), "
            f"got {type(batches).__name__}"
        )
    if len(batches) == 0:
        raise ValueError("batches is empty: give at least one epoch of index arrays")
    if isinstance(batches, BatchOrder):
        return (check_epoch(e, epoch, n) for e, epoch in enumerate(batches)), batches.steps
    epochs = [check_epoch(e, epoch, n) for e, epoch in enumerate(batches)]
    return epochs, sum(len(epoch) for epoch in epochs)


def check_order(
    batches: Any, batch_size: Any, epochs: Any, seed: Any, n: int
) -> tuple[Iterable[list[np.ndarray]], int]:
    """``fit``'s batch order, checked, and its step count: ``batches``, or a ``batch_order``
    drawn from ``batch_size``, ``epochs`` and ``seed``."""
    shuffle = (batch_size, epochs, seed)
    if batches is None:
        if any(arg is None for arg in shuffle):
            raise ValueError("give either batches or all of batch_size, epochs and seed")
        batches = batch_order(n, batch_size, epochs, np.random.default_rng(check_seed(seed)))
    elif any(arg is not None for arg in shuffle):
        raise ValueError("give either batches or batch_size/epochs/seed, not both")
    return check_batches(batches, n)
