"""What every step shares, drawn once by NumPy: the data, the initial weights, the batch order.

Because all six steps start from these same numbers and visit the rows in this same order,
their printed losses agree: the port is shown to be faithful, not only claimed to be.
"""

from __future__ import annotations

import numpy as np

from parity.data import load_dataset

SEED = 0
LR = 0.5  # learning rate of plain SGD
EPOCHS = 40
BATCH_SIZE = 25  # 375 training rows: 15 minibatches per epoch, 600 steps in all
PRINT_EVERY = 100  # steps
SIZES = (2, 16, 16, 1)  # 2 inputs -> 16 tanh -> 16 tanh -> 1 output (a sigmoid probability)


def moons() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two interleaving half moons (scikit-learn's make_moons, noise 0.2, 500 points), split
    375 / 125 and standardised: ``X_train (375, 2)``, ``y_train (375,)`` as 0.0 / 1.0, and the
    same for the test split."""
    data = load_dataset("moons", seed=SEED)
    y_train, y_test = data.y_train.astype(np.float64), data.y_test.astype(np.float64)
    return data.X_train, y_train, data.X_test, y_test


def initial_weights() -> dict[str, np.ndarray]:
    """``W1 (2, 16), b1 (16,), W2 (16, 16), b2 (16,), W3 (16, 1), b3 (1,)``: weights stored
    ``(in, out)`` as most NumPy code does, drawn like torch's default ``U(+-1/sqrt(in))``."""
    rng = np.random.default_rng(SEED)
    params = {}
    for k in range(1, len(SIZES)):
        fan_in, fan_out = SIZES[k - 1], SIZES[k]
        bound = 1 / np.sqrt(fan_in)
        params[f"W{k}"] = rng.uniform(-bound, bound, (fan_in, fan_out))
        params[f"b{k}"] = rng.uniform(-bound, bound, fan_out)
    return params


def batch_order(n_rows: int = 375) -> list[np.ndarray]:
    """The row indices of every minibatch of every epoch, in training order: one shuffle per
    epoch, cut into ``BATCH_SIZE`` rows."""
    rng = np.random.default_rng(SEED + 1)
    batches = []
    for _ in range(EPOCHS):
        order = rng.permutation(n_rows)
        batches += [order[i : i + BATCH_SIZE] for i in range(0, n_rows, BATCH_SIZE)]
    return batches
