"""Reading ``model.json``'s fields: every value checked, alone and against the others, with an
error that names the file and the key (ValueError). Used by ``ModelCard.from_json``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from scratch import DTYPES, TASKS

from ..spec import ACTIVATIONS, HEADS
from ..standardize import check_target_headroom
from .model_card import OUTPUT_ACTIVATIONS, ModelCard, Standardization

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
