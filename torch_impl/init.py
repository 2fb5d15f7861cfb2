"""Weight initialisers by name, with ``torch.nn.init``; the twin of ``scratch.init``.

``"default"`` is ``nn.Linear``'s own init, weight and bias ``U(+-1/sqrt(fan_in))``. The
Xavier/Glorot and Kaiming/He schemes use the gain of the activation that follows each layer
(``nn.init.calculate_gain``; 1 for the output layer) and zero biases. The draws come from
torch's generator, so they follow the same distributions as scratch's, not the same values:
``parity`` draws one state dict with scratch and loads it into both networks.
"""

import math
from typing import Any, cast

import torch
from torch import nn

INITS = ("default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")

_GAIN_NAMES: dict[type[nn.Module], str] = {
    nn.Sigmoid: "sigmoid",
    nn.Tanh: "tanh",
    nn.ReLU: "relu",
    nn.Identity: "linear",
    nn.Softmax: "linear",
}


def _nonlinearity_after(model: nn.Sequential, index: int) -> tuple[str, float | None]:
    """The activation that follows layer ``index``, as a ``calculate_gain`` name and param."""
    following = model[index + 1] if index + 1 < len(model) else None
    if isinstance(following, nn.LeakyReLU):
        return "leaky_relu", following.negative_slope
    if following is None:
        return "linear", None
    return _GAIN_NAMES.get(type(following), "linear"), None


def _draw_weight(
    weight: torch.Tensor,
    scheme: str,
    gain_of: tuple[str, float | None],
    generator: torch.Generator | None,
) -> None:
    """Fill ``weight`` (out, in) in place by ``scheme`` (not ``"default"``)."""
    nonlinearity = cast(Any, gain_of[0])  # a calculate_gain name (torch types it as a Literal)
    param = gain_of[1]
    if scheme.startswith("xavier"):
        gain = nn.init.calculate_gain(nonlinearity, param)
        draw = nn.init.xavier_uniform_ if scheme == "xavier_uniform" else nn.init.xavier_normal_
        draw(weight, gain=gain, generator=generator)
    else:
        uniform = scheme == "kaiming_uniform"
        draw_k = nn.init.kaiming_uniform_ if uniform else nn.init.kaiming_normal_
        draw_k(weight, a=param or 0.0, nonlinearity=nonlinearity, generator=generator)


def init_state_dict(
    model: nn.Sequential, scheme: str = "default", generator: torch.Generator | None = None
) -> dict[str, torch.Tensor]:
    """Draw a whole state dict for ``model`` (keys, shapes, dtype and device as its own).

    Layers are drawn in order, weight before bias, from ``generator`` (torch's global
    generator when ``None``); the model itself is not changed (``load_state_dict`` it).
    Twin: ``scratch.init_state_dict``.
    """
    if not isinstance(scheme, str) or scheme not in INITS:
        raise ValueError(f"unknown initialiser {scheme!r}; valid: {', '.join(INITS)}")
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential, got {type(model).__name__}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator (torch.Generator().manual_seed(seed)), "
            f"got {type(generator).__name__}"
        )
    state: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for i, layer in enumerate(model):
            if not isinstance(layer, nn.Linear):
                continue
            weight = torch.empty_like(layer.weight)
            bias = None if layer.bias is None else torch.zeros_like(layer.bias)
            if scheme == "default":
                bound = 1.0 / math.sqrt(layer.in_features)
                nn.init.uniform_(weight, -bound, bound, generator=generator)
                if bias is not None:
                    nn.init.uniform_(bias, -bound, bound, generator=generator)
            else:
                _draw_weight(weight, scheme, _nonlinearity_after(model, i), generator)
            state[f"{i}.weight"] = weight
            if bias is not None:
                state[f"{i}.bias"] = bias
    return state
