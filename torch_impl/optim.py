"""The optimizers by name: ``torch.optim``'s own, the twins of ``scratch.optim``."""

from collections.abc import Iterable
from typing import Any

import torch

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
}


def make_optimizer(
    name: str, params: Iterable[torch.nn.Parameter], **settings: Any
) -> torch.optim.Optimizer:
    """An optimizer by name: ``make_optimizer("sgd", model.parameters(), lr=0.1)``; twin:
    ``scratch.make_optimizer``."""
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; valid: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](params, **settings)
