"""Activation derivatives: torch's, and the wrong ones ports write.

For an activation with input ``z``, output ``a`` and upstream gradient ``g``, the input
gradient is ``g * f'``. ``derivative`` gives torch's ``f'``; ``derivative_variants`` the
known wrong ones, each with what it does and the fix: a ReLU mask taken from the gradient,
inverted, missing, or passing gradient at an input exactly 0 (``x >= 0``); Leaky ReLU's slope
lost; a tanh or sigmoid derivative evaluated on the input instead of the output; a sigmoid
derivative missing a factor.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Fn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]  # (z, a, g) -> f'
FROM_OUTPUT = "cache the output y in forward and write the derivative in y"
MASK = "dx = dy * (x > 0), with the mask of this layer's own input x"
LEAK = "dx = dy * where(x > 0, 1, 0.01)"
ONCE = (
    "multiply by the derivative once: dx = dy * f'(x) (a loss backward that already "
    "includes it must not be multiplied by it again)"
)

CORRECT: dict[str, Fn] = {
    "relu": lambda z, a, g: (z > 0).astype(z.dtype),
    "leaky_relu": lambda z, a, g: np.where(z > 0, 1.0, 0.01),
    "tanh": lambda z, a, g: 1 - a * a,
    "sigmoid": lambda z, a, g: a * (1 - a),
}

WRONG: dict[str, list[tuple[str, str, str, Fn]]] = {
    "relu": [
        ("relu_mask", "ReLU mask missing: gradient passes where x <= 0", MASK,
         lambda z, a, g: np.ones_like(z)),
        ("relu_mask", "ReLU mask taken from the upstream gradient (dy > 0), not from x", MASK,
         lambda z, a, g: (g > 0).astype(z.dtype)),
        ("relu_mask", "ReLU mask inverted (x < 0)", MASK, lambda z, a, g: (z < 0).astype(z.dtype)),
        ("relu_mask", "ReLU mask passes gradient where x == 0 (x >= 0 instead of x > 0); "
         "torch's ReLU gradient at 0 is 0", MASK, lambda z, a, g: (z >= 0).astype(z.dtype)),
    ],
    "leaky_relu": [
        ("leaky_relu_mask", "Leaky ReLU backward blocks the gradient where x <= 0 (ReLU's mask); "
         "torch passes 0.01·dy there", LEAK, lambda z, a, g: (z > 0).astype(z.dtype)),
        ("leaky_relu_mask", "Leaky ReLU backward passes dy unchanged where x <= 0; torch passes "
         "0.01·dy there", LEAK, lambda z, a, g: np.ones_like(z)),
        ("leaky_relu_mask", "Leaky ReLU backward passes dy unchanged where x == 0 (x >= 0 "
         "instead of x > 0); torch's slope at 0 is 0.01", LEAK,
         lambda z, a, g: np.where(z >= 0, 1.0, 0.01)),
        *[("leaky_relu_slope", f"Leaky ReLU backward with slope {s:g} where x <= 0; the "
           f"forward (and torch) use 0.01", "use the forward's slope in backward: " + LEAK,
           lambda z, a, g, s=s: np.where(z > 0, 1.0, s)) for s in (0.1, 0.2, 0.3, 0.02, 0.05)],
    ],
    "tanh": [
        ("derivative_from_input", "tanh derivative taken from the input: 1 - x² instead of "
         "1 - y² (y = tanh x)", FROM_OUTPUT, lambda z, a, g: 1 - z * z),
        ("derivative_missing_factor", "tanh derivative 1 - y instead of 1 - y²", FROM_OUTPUT,
         lambda z, a, g: 1 - a),
        ("derivative_twice", "tanh derivative applied twice: (1 - y²)²", ONCE,
         lambda z, a, g: (1 - a * a) ** 2),
        ("derivative_at_output", "tanh derivative evaluated at the output: tanh'(y) = "
         "1 - tanh(y)² instead of tanh'(x) = 1 - y²", FROM_OUTPUT,
         lambda z, a, g: 1 - np.tanh(a) ** 2),
    ],
    "sigmoid": [
        ("derivative_from_input", "sigmoid derivative taken from the input: x(1 - x) instead "
         "of y(1 - y) (y = sigmoid x)", FROM_OUTPUT, lambda z, a, g: z * (1 - z)),
        ("derivative_missing_factor", "sigmoid derivative missing the factor (1 - y): y "
         "instead of y(1 - y)", FROM_OUTPUT, lambda z, a, g: a),
        ("derivative_missing_factor", "sigmoid derivative missing the factor y: (1 - y) "
         "instead of y(1 - y)", FROM_OUTPUT, lambda z, a, g: 1 - a),
        ("derivative_twice", "sigmoid derivative applied twice: (y(1 - y))²", ONCE,
         lambda z, a, g: (a * (1 - a)) ** 2),
        ("derivative_at_output", "sigmoid derivative evaluated at the output: σ'(y) = "
         "σ(y)(1 - σ(y)) instead of σ'(x) = y(1 - y)", FROM_OUTPUT,
         lambda z, a, g: (1 / (1 + np.exp(-a))) * (1 - 1 / (1 + np.exp(-a)))),
    ],
}  # fmt: skip


def derivative(kind: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """torch's derivative of ``kind`` at input ``z`` with output ``a`` (identity: 1)."""
    return CORRECT.get(kind, lambda z, a, g: np.ones_like(z))(z, a, z)


def derivative_variants(
    kind: str, z: np.ndarray, a: np.ndarray, g: np.ndarray
) -> list[tuple[str, str, str, np.ndarray]]:
    """``(pattern, what yours does, fix, f')`` for each known wrong derivative of ``kind``."""
    return [(pattern, text, fix, f(z, a, g)) for pattern, text, fix, f in WRONG.get(kind, [])]
