"""Claim 6, ``output_heads``: the output layer follows the task.

One linear unit (+ MSE) for regression, one sigmoid unit for binary classification, one unit
per class with softmax for multi-class; each trained by both implementations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from parity._util import style
from parity._util.threads import limit_threads
from parity.data import load_dataset
from parity.experiments.claims.common import (
    SIDE_NAMES,
    Check,
    Claim,
    Experiment,
    Numbers,
    both,
    pair_rows,
    save,
)
from parity.harness.runner import run, trained_models
from parity.harness.sides import SCRATCH, TORCH
from parity.spec import HEADS, RunSpec

# dataset -> (head, hidden, lr, epochs full, epochs quick); tanh hidden layers, SGD
HEAD_SETUPS: dict[str, tuple[str, tuple[int, ...], float, int, int]] = {
    "diabetes": ("regression", (16,), 0.05, 40, 20),
    "breast_cancer": ("binary_bce", (16,), 0.1, 20, 10),
    "digits": ("multiclass", (32,), 0.1, 10, 5),
}
HEAD_DESCRIPTION = {
    "regression": "one linear unit + MSELoss",
    "binary_bce": "one sigmoid unit + BCELoss",
    "multiclass": "ten logits, softmax inside CrossEntropyLoss and at inference",
}
HEAD_MARGIN = 0.1  # each head beats its trivial baseline by at least this much


def _output_heads(seed: int, quick: bool) -> Experiment:
    numbers: Numbers = {}
    curves: dict[Any, Any] = {}
    for ds, (head, hidden, lr, epochs, epochs_quick) in HEAD_SETUPS.items():
        spec = RunSpec(
            task=HEADS[head][0],
            hidden=hidden,
            activation="tanh",
            head=head,
            lr=lr,
            batch_size=32,
            epochs=epochs_quick if quick else epochs,
            seed=seed,
        )
        data = load_dataset(ds, seed=seed)
        r = run(spec, data)
        both(numbers, f"{ds}.test_metric", [r.candidate.test_metric, r.reference.test_metric])
        numbers[f"{ds}.runs_in_parity"] = float(r.ok)
        out = (r.candidate.test_outputs, r.reference.test_outputs)
        both(numbers, f"{ds}.output_width", [o.shape[1] for o in out])
        if head == "regression":
            # predicting the train mean (0 after standardisation) scores mean(y_test^2)
            numbers[f"{ds}.baseline"] = float(np.mean(data.y_test**2))
            both(numbers, f"{ds}.output_min", [o.min() for o in out])
            both(numbers, f"{ds}.output_max", [o.max() for o in out])
        else:
            numbers[f"{ds}.baseline"] = float(np.bincount(data.y_test).max() / len(data.y_test))
            models = zip((SCRATCH, TORCH), trained_models(r), strict=True)
            proba = tuple(impl.predict_proba(m, data.X_test, spec.task) for impl, m in models)
            both(numbers, f"{ds}.proba_min", [p.min() for p in proba])
            both(numbers, f"{ds}.proba_max", [p.max() for p in proba])
            if head == "multiclass":
                both(
                    numbers,
                    f"{ds}.max_row_sum_error",
                    [np.abs(p.sum(axis=1) - 1).max() for p in proba],
                )
            curves[ds, "proba"] = proba
        curves[ds] = {side: res.history.train_loss for side, res in r.sides.items()}
        curves[ds, "outputs"] = out
        curves[ds, "y_test"] = data.y_test
    return Experiment(numbers, curves)


def output_heads(seed: int = 0, quick: bool = False) -> dict[str, float]:
    """Claim 6: one linear unit for regression, one sigmoid for binary, softmax for classes.

    ``diabetes`` (one linear unit + MSE), ``breast_cancer`` (one sigmoid unit + BCELoss) and
    ``digits`` (ten logits + cross-entropy, softmax at inference), each trained by both
    implementations (tanh hidden layers, SGD). ``test_metric`` is the test MSE (regression,
    standardised target) or accuracy; ``baseline`` the trivial predictor's (the train mean;
    the majority class). Also the head's output width and range: unbounded for regression,
    probabilities in (0, 1) for the classifiers, rows summing to 1 for softmax. Keys
    ``"{dataset}.{quantity}.{side}"``, ``"{dataset}.baseline"``.
    """
    with limit_threads(1):
        return _output_heads(seed, quick).numbers


def _checks(n: Numbers) -> list[Check]:
    mse = max(n[f"diabetes.test_metric.{s}"] for s in SIDE_NAMES)
    base = n["diabetes.baseline"]
    checks = [
        Check(
            f"diabetes: test MSE < baseline {base:.3f} - {HEAD_MARGIN}",
            f"{mse:.3f}",
            mse < base - HEAD_MARGIN,
        )
    ]
    for ds in ("breast_cancer", "digits"):
        acc = min(n[f"{ds}.test_metric.{s}"] for s in SIDE_NAMES)
        base = n[f"{ds}.baseline"]
        lo = min(n[f"{ds}.proba_min.{s}"] for s in SIDE_NAMES)
        hi = max(n[f"{ds}.proba_max.{s}"] for s in SIDE_NAMES)
        checks += [
            Check(
                f"{ds}: test accuracy > majority class {base:.3f} + {HEAD_MARGIN}",
                f"{acc:.3f}",
                acc > base + HEAD_MARGIN,
            ),
            Check(f"{ds}: probabilities in [0, 1]", f"[{lo:.1e}, {hi:.6f}]", 0 <= lo and hi <= 1),
        ]
    rows = max(n[f"digits.max_row_sum_error.{s}"] for s in SIDE_NAMES)
    checks.append(Check("digits: softmax rows sum to 1 (< 1e-12)", f"{rows:.1e}", rows < 1e-12))
    return checks


def _table(n: Numbers) -> str:
    rows = []
    for ds, (head, *_rest) in HEAD_SETUPS.items():
        metric = "test MSE" if head == "regression" else "test accuracy"
        rows += [
            (f"{ds}: output units", f"{ds}.output_width"),
            (f"{ds}: {metric}", f"{ds}.test_metric"),
            (f"{ds}: trivial baseline", f"{ds}.baseline"),
        ]
        if head == "regression":
            rows += [
                (f"{ds}: output range min", f"{ds}.output_min"),
                (f"{ds}: output range max", f"{ds}.output_max"),
            ]
        else:
            rows += [
                (f"{ds}: smallest probability", f"{ds}.proba_min"),
                (f"{ds}: largest probability", f"{ds}.proba_max"),
            ]
        if head == "multiclass":
            rows.append((f"{ds}: max abs(row sum - 1)", f"{ds}.max_row_sum_error"))
    return pair_rows(n, rows)


def _draw_outputs(ax: Any, head: str, y: np.ndarray, outputs: Any, proba: Any) -> None:
    """The second row of the figure: what one head outputs on the test set, both sides."""
    if head == "regression":
        for side, out, marker in zip(SIDE_NAMES, outputs, "o+", strict=True):
            ax.scatter(
                y[:, 0],
                out[:, 0],
                marker=marker,
                s=16,
                color=style.SIDES[side]["color"],
                label=style.SIDES[side]["label"],
            )
        ax.set_xlabel("true target (standardised)")
        ax.set_ylabel("linear unit's output")
    elif head == "binary_bce":
        for side, p in zip(SIDE_NAMES, proba, strict=True):
            ax.plot(p[np.argsort(p[:, 0]), 0], **style.SIDES[side])
        ax.scatter(
            np.arange(len(y)), y[np.argsort(proba[0][:, 0])], s=6, color="k", label="true class"
        )
        ax.set_xlabel("test example (sorted by output)")
        ax.set_ylabel("sigmoid unit's output P(class 1)")
    else:
        p_s, p_t = proba
        classes = np.arange(p_s.shape[1])
        for shift, p, look in ((-0.2, p_s, style.SCRATCH), (0.2, p_t, style.TORCH)):
            ax.bar(classes + shift, p[0], width=0.4, color=look["color"], label=look["label"])
        ax.set_xticks(classes)
        ax.set_xlabel(f"digit (first test image is a {y[0]})")
        ax.set_ylabel("softmax probability")
    ax.legend(fontsize=8)


def _figure(exp: Experiment, path: Path) -> None:
    plt = style.use_agg()
    fig, axes = plt.subplots(2, 3, figsize=(14, 8))
    for col, (ds, (head, *_rest)) in enumerate(HEAD_SETUPS.items()):
        ax = axes[0, col]
        for side in SIDE_NAMES:
            losses = exp.curves[ds][side]
            ax.plot(np.arange(1, len(losses) + 1), losses, marker="o", ms=3, **style.SIDES[side])
        metric = "test MSE" if head == "regression" else "test accuracy"
        value = exp.numbers[f"{ds}.test_metric.scratch"]
        ax.set_title(
            f"{ds}: {HEAD_DESCRIPTION[head]}\n{metric} {value:.3f} "
            f"(baseline {exp.numbers[f'{ds}.baseline']:.3f})",
            fontsize=9,
        )
        ax.set_xlabel("epoch")
        ax.set_ylabel("train loss")
        ax.grid(True, alpha=0.3)
        _draw_outputs(
            axes[1, col],
            head,
            exp.curves[ds, "y_test"],
            exp.curves[ds, "outputs"],
            exp.curves.get((ds, "proba")),
        )
    fig.suptitle("The output layer follows the task (scratch solid, torch dashed)")
    save(fig, path, left=0.06, top=0.87, hspace=0.38)


CLAIM = Claim(
    key="output_heads",
    title="The output layer follows the task",
    claim="One linear unit (+ MSE) for regression, one sigmoid unit for binary classification, "
    "one unit per class with softmax for multi-class classification.",
    method="Both implementations train a tanh network with each head: `diabetes` (one linear "
    "unit + `MSELoss`), `breast_cancer` (one sigmoid unit + `BCELoss`; `BCEWithLogitsLoss` "
    "on a logit is the stable fused form), `digits` (ten logits + `CrossEntropyLoss`, "
    "which applies log-softmax itself; softmax at inference). Test metric against the "
    "trivial baseline (predict the train mean; the majority class), and the range of "
    "what the head outputs.",
    run=_output_heads,
    checks=_checks,
    table=_table,
    draw=_figure,
    figure=("claim6_output_heads", "training curves and head outputs per task"),
)
