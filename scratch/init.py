"""Weight initialisers: NumPy functions of an explicit ``np.random.Generator``. Twins:
``torch.nn.init`` and ``nn.Linear.reset_parameters`` (``"default"``). The parity harness
draws one state dict here and loads it into both networks."""

import math

import numpy as np

from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .layers import Linear
from .model import Sequential

INITS = ("default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")
Shape = tuple[int, int]  # a weight's (out_features, in_features), as torch lays it out


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """torch's recommended gain: linear/sigmoid 1, tanh 5/3, relu sqrt(2),
    leaky_relu sqrt(2/(1+a^2)) with ``a = param`` (default 0.01)."""
    if nonlinearity in ("linear", "identity", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + a * a))
    raise ValueError(
        f"unknown nonlinearity {nonlinearity!r}; valid: linear, identity, sigmoid, tanh, "
        "relu, leaky_relu"
    )


def xavier_uniform(rng: np.random.Generator, shape: Shape, gain: float = 1.0) -> np.ndarray:
    """``U(-a, a)``, ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio 2010)."""
    a = gain * math.sqrt(6.0 / sum(shape))
    return rng.uniform(-a, a, shape)


def xavier_normal(rng: np.random.Generator, shape: Shape, gain: float = 1.0) -> np.ndarray:
    """``N(0, std^2)``, ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    return rng.normal(0.0, gain * math.sqrt(2.0 / sum(shape)), shape)


def kaiming_std(shape: Shape, a: float, mode: str, nonlinearity: str) -> float:
    """``gain / sqrt(fan)``, ``fan`` the weight's ``fan_in`` (its columns) or ``fan_out``."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"unknown mode {mode!r}; valid: fan_in, fan_out")
    fan = shape[1] if mode == "fan_in" else shape[0]
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(
    rng: np.random.Generator,
    shape: Shape,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> np.ndarray:
    """``U(-b, b)``, ``b = sqrt(3) * gain / sqrt(fan)`` (He et al. 2015); torch's defaults."""
    bound = math.sqrt(3.0) * kaiming_std(shape, a, mode, nonlinearity)
    return rng.uniform(-bound, bound, shape)


def kaiming_normal(
    rng: np.random.Generator,
    shape: Shape,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> np.ndarray:
    """``N(0, std^2)``, ``std = gain / sqrt(fan)``; torch's defaults."""
    return rng.normal(0.0, kaiming_std(shape, a, mode, nonlinearity), shape)


def gain_after(model: Sequential, index: int) -> tuple[str, float | None]:
    """The activation that follows layer ``index``, as a ``calculate_gain`` name and param."""
    following = model[index + 1] if index + 1 < len(model) else None
    if isinstance(following, LeakyReLU):
        return "leaky_relu", following.negative_slope
    names: dict[type, str] = {Sigmoid: "sigmoid", Tanh: "tanh", ReLU: "relu"}
    return names.get(type(following), "linear"), None


def init_state_dict(
    model: Sequential, scheme: str = "default", rng: np.random.Generator | None = None
) -> dict[str, np.ndarray]:
    """A state dict for ``model`` (its keys, shapes and dtype), drawn from ``rng`` layer by
    layer, weight before bias. ``"default"`` is ``nn.Linear``'s ``U(+-1/sqrt(fan_in))`` for
    both; Xavier and Kaiming use the gain of the activation that follows (``calculate_gain``)
    and zero biases. The model is not changed (``load_state_dict`` the result)."""
    if scheme not in INITS:
        raise ValueError(f"unknown initialiser {scheme!r}; valid: {', '.join(INITS)}")
    if rng is None:
        raise TypeError("init_state_dict needs an explicit rng=np.random.default_rng(seed)")
    state: dict[str, np.ndarray] = {}
    for i, layer in enumerate(model):
        if not isinstance(layer, Linear):
            continue
        shape = (layer.out_features, layer.in_features)
        nonlinearity, param = gain_after(model, i)
        bias = np.zeros(layer.out_features)
        if scheme == "default":
            bound = 1.0 / math.sqrt(layer.in_features)
            weight = rng.uniform(-bound, bound, shape)
            bias = rng.uniform(-bound, bound, layer.out_features)
        elif scheme.startswith("xavier"):
            draw = xavier_uniform if scheme == "xavier_uniform" else xavier_normal
            weight = draw(rng, shape, calculate_gain(nonlinearity, param))
        else:
            draw_k = kaiming_uniform if scheme == "kaiming_uniform" else kaiming_normal
            weight = draw_k(rng, shape, a=param or 0.0, nonlinearity=nonlinearity)
        state[f"{i}.weight"] = weight.astype(layer.weight.dtype)
        if layer.bias is not None:
            state[f"{i}.bias"] = bias.astype(layer.weight.dtype)
    return state
