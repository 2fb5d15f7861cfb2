"""``model.json``: what ``train`` saved and ``predict`` needs, as a typed frozen record.

``ModelCard.from_training(...)`` makes one from a trained run, ``card.to_json()`` writes it,
``ModelCard.from_json(text, source)`` reads it back and checks every field, with errors that
name the file and the field (ValueError: the file's content is wrong, whatever its type).

The JSON keeps the layout of version 1::

    {"format": "nn-parity-model", "version": 1, "task": "binary", "head": "binary",
     "loss": "bce_with_logits", "in_features": 2, "hidden": [16], "out_features": 1,
     "activations": ["tanh"], "output_activation": null, "dtype": "float64",
     "features": ["x0", "x1"], "target": "y", "n_classes": 2, "classes": [0, 1],
     "standardize": {"x_mean": [...], "x_std": [...], "y_mean": null, "y_std": null},
     "weights": {"scratch": "weights_scratch.npz"}, "data": {"dataset": "xor"},
     "training": {...RunSpec fields..., "device": "cpu"}, "test_metric": {"scratch": 0.97},
     "weights_sha256": {"weights_scratch.npz": "9f86d0..."}}

``weights_sha256`` (optional: older cards lack it) ties the card to the weights files written
with it: ``predict`` reads a run directory as one snapshot by checking it.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from parity._util import strict_json
from parity.data.npz import first_line
from parity.data.standardize import check_target_headroom
from parity.spec import ACTIVATIONS, HEADS, Network, RunSpec
from scratch import DTYPES, TASKS

if TYPE_CHECKING:
    from parity.data import Dataset

MODEL_FORMAT = "nn-parity-model"
MODEL_VERSION = 1
FILE_NAME = "model.json"
MAX_CARD_BYTES = 64 << 20  # 64 MiB: a million features' names and statistics fit
OUTPUT_ACTIVATIONS = tuple(sorted({out for _, out, _ in HEADS.values() if out is not None}))
REQUIRED = ("task", "in_features", "hidden", "out_features", "activations", "dtype",
            "features", "standardize", "weights")  # fmt: skip


@dataclass(frozen=True)
class Standardization:
    """The train split's statistics: inputs ``x' = (x - x_mean) / x_std`` per feature
    (``(D,)`` each); a regression prediction back in the target's units ``y = y' * y_std +
    y_mean`` (both None for classification)."""

    x_mean: tuple[float, ...]
    x_std: tuple[float, ...]
    y_mean: float | None = None
    y_std: float | None = None

    def inputs(
        self, X: np.ndarray, dtype: str, source: str = "data", names: tuple[str, ...] = ()
    ) -> np.ndarray:
        """Raw features ``(N, D)`` -> standardised ``(N, D)`` in ``dtype``, computed so that
        ``X - mean`` cannot overflow (``parity.data.standardize.scale``); ValueError naming the
        file ``source`` and the column (``names``) where a value does not fit ``dtype``."""
        from parity.data.standardize import cast_scaled, scale

        Z = scale(X, np.asarray(self.x_mean), np.asarray(self.x_std))
        names = names or tuple(f"x{j}" for j in range(Z.shape[1]))
        return cast_scaled(Z, np.dtype(dtype), source, names, "prediction")

    def target(self, pred: np.ndarray) -> np.ndarray:
        """Standardised regression predictions ``(N,)`` -> the target's units."""
        if self.y_std is None or self.y_mean is None:
            return pred
        with np.errstate(over="ignore", invalid="ignore"):  # the caller checks finiteness
            return pred * self.y_std + self.y_mean


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class ModelCard:
    """A trained network's description (see the module docstring for the JSON).

    ``weights`` maps an implementation's name to its weights file (relative to the model
    directory); ``data`` is ``{"dataset": NAME}`` or ``{"file": PATH}``; ``training`` holds
    the ``RunSpec`` fields and the device; ``test_metric`` each implementation's test
    accuracy or MSE. Mappings are read-only.
    """

    task: str
    in_features: int
    hidden: tuple[int, ...]
    out_features: int
    activations: tuple[str, ...]
    dtype: str
    features: tuple[str, ...]
    standardize: Standardization
    weights: Mapping[str, str]
    output_activation: str | None = None
    head: str | None = None
    loss: str | None = None
    target: str | None = None
    n_classes: int | None = None
    classes: tuple[str | int, ...] | None = None  # the labels of classes 0..K-1, as in the file
    data: Mapping[str, str] = field(default_factory=dict)
    training: Mapping[str, Any] = field(default_factory=dict)
    test_metric: Mapping[str, float | None] = field(default_factory=dict)
    weights_sha256: Mapping[str, str] = field(default_factory=dict)  # file name -> digest

    def __post_init__(self) -> None:
        for name in ("weights", "data", "training", "test_metric", "weights_sha256"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def network(self) -> Network:
        """The layers to build (``parity.spec.Network``)."""
        return Network(self.in_features, self.hidden, self.out_features, self.activations,
                       self.output_activation)  # fmt: skip

    @property
    def source(self) -> str:
        """What it was trained on: the built-in dataset's name or the file's path."""
        return self.data.get("dataset") or self.data.get("file") or "unknown data"

    def state_shapes(self) -> dict[str, tuple[int, ...]]:
        """The state dict's keys and shapes for this network, computed without building it:
        ``Linear`` layers at indices 0, 2, 4... (an activation module between each pair),
        ``"i.weight"`` ``(out, in)`` and ``"i.bias"`` ``(out,)``."""
        widths = (self.in_features, *self.hidden, self.out_features)
        shapes: dict[str, tuple[int, ...]] = {}
        for layer, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
            shapes[f"{2 * layer}.weight"] = (n_out, n_in)
            shapes[f"{2 * layer}.bias"] = (n_out,)
        return shapes

    @property
    def labels(self) -> tuple[str | int, ...] | None:
        """What class ``k`` is called (None for regression): ``classes``, or ``0..K-1`` for a
        card written before labels were stored."""
        if self.task == "regression":
            return None
        if self.classes is not None:
            return self.classes
        return tuple(range(2 if self.task == "binary" else self.out_features))

    def weights_file(self, name: str) -> str:
        """Implementation ``name``'s weights file if it trained, else the other's (the same
        keys and shapes on both sides)."""
        return self.weights.get(name, next(iter(self.weights.values())))

    @classmethod
    def from_training(
        cls,
        spec: RunSpec,
        data: Dataset,
        *,
        source: Mapping[str, str],
        target: str,
        device: str,
        weights: Mapping[str, str],
        test_metric: Mapping[str, float],
    ) -> ModelCard:
        """The card of ``spec`` trained on ``data`` (split and standardised by
        ``parity.data``); ``source`` is ``{"dataset": NAME}`` or ``{"file": PATH}``."""
        if data.x_mean is None or data.x_std is None:
            raise ValueError(
                f"dataset {data.name!r} carries no standardisation (x_mean, x_std); "
                "make it with parity.data.split_dataset or load_dataset"
            )
        training = spec.to_dict()
        for key in ("task", "device"):  # the task is stored above, the device as resolved
            training.pop(key)
        return cls(
            task=spec.task, head=spec.head_name, loss=spec.loss, in_features=data.n_features,
            hidden=spec.hidden, out_features=data.n_outputs, activations=spec.activations,
            output_activation=spec.output_activation, dtype=spec.dtype,
            features=tuple(data.feature_names), target=target, n_classes=data.n_classes,
            classes=data.classes,
            standardize=Standardization(tuple(data.x_mean.tolist()), tuple(data.x_std.tolist()),
                                        data.y_mean, data.y_std),
            weights=weights, data=source, training={**training, "device": device},
            test_metric=test_metric,
        )  # fmt: skip

    def to_json(self) -> str:
        """The card as model.json's text (two-space indented, one trailing newline)."""
        std = self.standardize
        card = {
            "format": MODEL_FORMAT, "version": MODEL_VERSION, "task": self.task,
            "head": self.head, "loss": self.loss, "in_features": self.in_features,
            "hidden": list(self.hidden), "out_features": self.out_features,
            "activations": list(self.activations), "output_activation": self.output_activation,
            "dtype": self.dtype, "features": list(self.features), "target": self.target,
            "n_classes": self.n_classes,
            "classes": None if self.classes is None else list(self.classes),
            "standardize": {"x_mean": list(std.x_mean), "x_std": list(std.x_std),
                            "y_mean": std.y_mean, "y_std": std.y_std},
            "weights": dict(self.weights), "data": dict(self.data),
            "training": dict(self.training), "test_metric": dict(self.test_metric),
            "weights_sha256": dict(self.weights_sha256),
        }  # fmt: skip
        return strict_json.dumps(card, indent=2)  # a NaN test metric is written as null

    @classmethod
    def from_json(cls, text: str, source: str | Path = FILE_NAME) -> ModelCard:
        """Parse and check model.json's ``text``; ``source`` (the file) starts every error."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str (model.json's content), got {type(text).__name__}")
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError) as err:  # also: 5000-digit ints, deep nesting
            raise ValueError(f"{source}: not valid JSON ({first_line(err)})") from None
        if not isinstance(raw, dict) or raw.get("format") != MODEL_FORMAT:
            raise ValueError(f"{source}: not an nn-parity model description")
        missing = [k for k in REQUIRED if k not in raw]
        if missing:
            raise ValueError(f"{source}: missing {', '.join(missing)}")
        if raw.get("version", MODEL_VERSION) != MODEL_VERSION:
            raise ValueError(
                f"{source}: model format version {raw['version']!r}; this nn-parity reads "
                f"version {MODEL_VERSION} (retrain with nn-parity train)"
            )
        return Reader(str(source), raw).card()


def sha256(content: bytes) -> str:
    """The hex SHA-256 digest of ``content``: a weights file's identity in ``weights_sha256``."""
    import hashlib

    return hashlib.sha256(content).hexdigest()


def read_card(model_dir: Path) -> ModelCard:
    """``model_dir/model.json``, parsed and checked (FileNotFoundError, NotADirectoryError,
    ValueError)."""
    path = model_dir / FILE_NAME
    if model_dir.exists() and not model_dir.is_dir():
        raise NotADirectoryError(f"{model_dir} is not a model directory (give what train wrote)")
    if not model_dir.is_dir():
        raise FileNotFoundError(f"no such model directory: {model_dir}")
    if not path.is_file():
        raise FileNotFoundError(f"{model_dir} has no {FILE_NAME} (write one with nn-parity train)")
    if path.stat().st_size > MAX_CARD_BYTES:
        raise ValueError(
            f"{path}: {path.stat().st_size} bytes, more than a model description can be "
            f"({MAX_CARD_BYTES} bytes); it is not one that nn-parity train wrote"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    return ModelCard.from_json(text, path)


# ---------------------------------------------------------------- reading model.json's fields
LOSSES = tuple(sorted({loss for _, _, loss in HEADS.values()}))


class Reader:
    """Reads the fields of one parsed model.json; every error names the file and the key."""

    def __init__(self, source: str, raw: dict[str, Any]) -> None:
        self.source, self.raw = source, raw

    def fail(self, key: str, expected: str) -> ValueError:
        return ValueError(f"{self.source}: {key} must be {expected}, got {self.raw.get(key)!r}")

    def choice(self, key: str, valid: tuple[str, ...], *, optional: bool = False) -> Any:
        value = self.raw.get(key)
        if (value is None and optional) or (isinstance(value, str) and value in valid):
            return value
        raise self.fail(key, f"one of {', '.join(valid)}" + (" or null" if optional else ""))

    def count(self, key: str, minimum: int, *, optional: bool = False) -> Any:
        value = self.raw.get(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"an integer >= {minimum}")
        return value

    def items(self, key: str, kind: type | tuple[type, ...], what: str) -> tuple[Any, ...]:
        value = self.raw.get(key)
        if not isinstance(value, list) or not all(
            isinstance(v, kind) and not isinstance(v, bool) for v in value
        ):
            raise self.fail(key, f"a list of {what}")
        return tuple(value)

    def mapping(self, key: str, valid: Callable[[object], bool], what: str) -> dict[str, Any]:
        value = self.raw.get(key, {})
        if not isinstance(value, dict) or not all(valid(v) for v in value.values()):
            raise self.fail(key, f"an object of {what}")
        return value

    def classes(self, task: str, n_classes: int) -> tuple[str | int, ...] | None:
        """The class labels: null, or ``n_classes`` distinct strings or integers."""
        value = self.raw.get("classes")
        if value is None:
            return None
        if task == "regression":
            raise self.fail("classes", "null for a regression model")
        labels = self.items("classes", (str, int), "class labels (strings or integers)")
        if len(set(labels)) != len(labels) or len(labels) != n_classes:
            raise self.fail("classes", f"{n_classes} distinct class labels (one per class)")
        same_kind = all(isinstance(v, str) for v in labels) or all(
            isinstance(v, int) for v in labels
        )
        if not same_kind or list(labels) != sorted(labels):  # type: ignore[type-var]
            raise self.fail(
                "classes",
                "all integers or all strings, in sorted order as train writes them (class k "
                "is the k-th smallest label; another order would relabel the predictions)",
            )
        return labels

    def standardize(self, n_features: int, task: str) -> Standardization:
        std = self.raw["standardize"]
        if not isinstance(std, dict):
            raise self.fail("standardize", "an object with x_mean, x_std, y_mean, y_std")
        columns = []
        for key in ("x_mean", "x_std"):
            value = std.get(key)
            if not (isinstance(value, list) and len(value) == n_features and all(
                _finite(v) and (key == "x_mean" or v > 0) for v in value
            )):  # fmt: skip
                sign = "finite" if key == "x_mean" else "positive finite"
                raise ValueError(
                    f"{self.source}: standardize.{key} must be {n_features} {sign} numbers "
                    f"(one per feature), got {value!r}"
                )
            columns.append(tuple(float(v) for v in value))
        y = [std.get("y_mean"), std.get("y_std")]
        if not all(v is None or _finite(v) for v in y) or (y[1] is not None and y[1] <= 0):
            raise ValueError(
                f"{self.source}: standardize.y_mean and y_std must be finite numbers (y_std > 0) "
                f"or null, got {y[0]!r} and {y[1]!r}"
            )
        if task == "regression":  # predictions go back to the target's units through them
            if y[0] is None or y[1] is None:
                raise ValueError(
                    f"{self.source}: standardize.y_mean and y_std must be numbers for a "
                    f"regression model, got {y[0]!r} and {y[1]!r}"
                )
            check_target_headroom(f"{self.source}: standardize", float(y[0]), float(y[1]))
        return Standardization(columns[0], columns[1], y[0], y[1])

    def network(self) -> dict[str, Any]:
        """The fields that build the network, checked against each other."""
        net = {
            "in_features": self.count("in_features", 1),
            "hidden": self.items("hidden", int, "positive integers"),
            "out_features": self.count("out_features", 1),
            "activations": self.items("activations", str, f"names ({', '.join(ACTIVATIONS)})"),
        }
        if min(net["hidden"], default=1) < 1:
            raise self.fail("hidden", "a list of positive integers")
        unknown = [a for a in net["activations"] if a not in ACTIVATIONS]
        if unknown or len(net["activations"]) != len(net["hidden"]):
            raise self.fail(
                "activations", f"one of {', '.join(ACTIVATIONS)} per hidden layer "
                f"({len(net['hidden'])})"
            )  # fmt: skip
        return net

    def head(self, task: str, out_features: int) -> dict[str, Any]:
        """``head``, ``loss``, ``output_activation`` and ``out_features`` agree with the task
        (as ``parity.spec.HEADS`` pairs them: one output for regression and binary, one per
        class for multiclass)."""
        fields = {
            "head": self.choice("head", tuple(HEADS), optional=True),
            "loss": self.choice("loss", LOSSES, optional=True),
            "output_activation": self.choice("output_activation", OUTPUT_ACTIVATIONS,
                                             optional=True),
        }  # fmt: skip
        heads = {h: v for h, v in HEADS.items() if v[0] == task}
        if fields["head"] is not None:
            heads = {fields["head"]: HEADS[fields["head"]]} if fields["head"] in heads else {}
            if not heads:
                raise self.fail("head", f"a head for {task} tasks")
        for key, index in (("output_activation", 1), ("loss", 2)):
            allowed = {v[index] for v in heads.values()}
            if (fields[key] is not None or key == "output_activation") and (
                fields[key] not in allowed
            ):
                shown = " or ".join(sorted(str(a).replace("None", "null") for a in allowed))
                raise self.fail(key, f"{shown} for a {task} model")
        if (out_features == 1) != (task != "multiclass"):
            raise self.fail(
                "out_features", "1 for a regression or binary model, >= 2 for multiclass"
            )
        return fields

    def n_classes(self, task: str, out_features: int) -> int | None:
        """``n_classes``: null, or as train writes it (0, 2, or ``out_features``)."""
        expected = {"regression": 0, "binary": 2, "multiclass": out_features}[task]
        value = self.count("n_classes", 0, optional=True)
        if value is not None and value != expected:
            raise self.fail("n_classes", f"{expected} for this {task} model")
        return value

    def card(self) -> ModelCard:
        net = self.network()
        features = self.items("features", str, "column names")
        repeated = sorted({f for f in features if features.count(f) > 1})
        if repeated:
            raise ValueError(
                f"{self.source}: features name column(s) {repeated} more than once; each input "
                "must come from its own column"
            )
        if len(features) != net["in_features"]:
            raise ValueError(
                f"{self.source}: {len(features)} feature names for {net['in_features']} inputs"
            )
        weights = self.mapping("weights", _is_str, "weights file names by implementation")
        if not weights:
            raise ValueError(f"{self.source}: lists no weights files (weights is empty)")
        target = self.raw.get("target")
        if target is not None and not isinstance(target, str):
            raise self.fail("target", "a column name or null")
        task = self.choice("task", TASKS)
        n_classes = self.n_classes(task, net["out_features"])
        classes = self.classes(task, 2 if task == "binary" else net["out_features"])
        head = self.head(task, net["out_features"])
        net["output_activation"] = head.pop("output_activation")
        return ModelCard(
            task=task, dtype=self.choice("dtype", DTYPES), features=features,
            standardize=self.standardize(net["in_features"], task),
            weights=weights, **head, target=target, n_classes=n_classes, classes=classes,
            data=self.mapping("data", _is_str, "strings"),
            training=self.mapping("training", _is_any, "training settings"),
            test_metric=self.mapping("test_metric", _is_metric, "numbers or null"), **net,
            weights_sha256=self.mapping("weights_sha256", _is_str, "SHA-256 digests"),
        )  # fmt: skip


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_any(value: object) -> bool:
    return True


def _is_metric(value: object) -> bool:
    """A JSON number (not a bool) or null (a test metric that was not finite)."""
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _finite(value: object) -> bool:
    """A JSON number (not a bool) that is finite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
