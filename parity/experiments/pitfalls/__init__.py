"""Porting pitfalls, each demonstrated by measuring what the mistake costs.

One function per mistake a NumPy-to-PyTorch port commonly makes. Each runs the mistake and
the fix side by side and returns the measured numbers (a max difference, a loss ratio, a
flag that an error was raised), so ``docs/PORTING.md`` can show real, executed numbers and
the tests can assert them. Where ``scratch`` has a twin of the torch object involved, the
scratch side is measured too: the mistakes are about the mathematics and the API contract,
not about one library. One module per family: ``weights`` (layout, initialisation, shared
memory), ``losses``, ``precision`` (float32, TF32), ``training`` (the loop, momentum,
inference) and ``chaos`` (runs whose own rounding sensitivity defeats any tolerance).

All functions are deterministic for a given ``seed``, run on the CPU in well under a second
(``chaotic_training``, seven 300-step trainings, in about one; ``tf32_matmul`` also on CUDA
where present) and leave global torch settings as they were.
``PITFALLS`` lists them in the order docs/PORTING.md's gallery shows them.
"""

from __future__ import annotations

from collections.abc import Callable

from parity.experiments.pitfalls.chaos import chaotic_training
from parity.experiments.pitfalls.common import Numbers
from parity.experiments.pitfalls.losses import (
    bce_after_sigmoid,
    mse_reduction,
    softmax_before_cross_entropy,
    target_dtypes_and_shapes,
)
from parity.experiments.pitfalls.precision import float64_vs_float32, round_to_tf32, tf32_matmul
from parity.experiments.pitfalls.training import (
    eval_and_inference_mode,
    forgetting_zero_grad,
    momentum_formula,
)
from parity.experiments.pitfalls.weights import (
    default_init,
    from_numpy_shares_memory,
    weight_layout,
)

__all__ = [
    "PITFALLS",
    "Numbers",
    "bce_after_sigmoid",
    "chaotic_training",
    "default_init",
    "eval_and_inference_mode",
    "float64_vs_float32",
    "forgetting_zero_grad",
    "from_numpy_shares_memory",
    "momentum_formula",
    "mse_reduction",
    "round_to_tf32",
    "softmax_before_cross_entropy",
    "target_dtypes_and_shapes",
    "tf32_matmul",
    "weight_layout",
]

PITFALLS: tuple[Callable[..., Numbers], ...] = (
    weight_layout,
    softmax_before_cross_entropy,
    target_dtypes_and_shapes,
    bce_after_sigmoid,
    mse_reduction,
    float64_vs_float32,
    forgetting_zero_grad,
    momentum_formula,
    default_init,
    from_numpy_shares_memory,
    tf32_matmul,
    eval_and_inference_mode,
    chaotic_training,
)
