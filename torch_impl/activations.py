"""The activations by name: ``torch.nn``'s own modules, the twins of ``scratch.activations``."""

from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,  # negative_slope=0.01, the seed's alpha
    "identity": nn.Identity,
}


def make_activation(name: str) -> nn.Module:
    """A hidden-layer activation by name; twin: ``scratch.make_activation``."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()
