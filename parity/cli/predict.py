"""``nn-parity predict``: run a network saved by ``train`` on a file; write predictions as CSV.

The rows are standardised as at training (``model.json``), the chosen implementation
(``--backend``, whichever one trained the weights) runs inference, and the CSV holds
``prediction`` and, for classification, ``p_<class>``. With the target column in the file,
the score (accuracy, or MSE and RMSE in the target's units) goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .._util.threads import limit_threads
from ..sides import IMPLEMENTATIONS, TORCH, Implementation
from .common import DEVICES, UsageError, add_command, resolve_device, user_input
from .model_card import ModelCard, read_card


def add_parser(subparsers: Any) -> None:
    """Register ``predict`` on ``nn-parity``'s ``subparsers``."""
    pr = add_command(
        subparsers,
        "predict",
        help="predict with saved weights",
        description="Load a network saved by 'train' and predict for a CSV/.npz "
        "file; writes CSV (prediction, class probabilities) to --output or stdout.",
    )
    pr.add_argument("--model", required=True, metavar="DIR", help="a 'train' output directory")
    pr.add_argument(
        "--data",
        required=True,
        metavar="FILE",
        help=".csv or .npz with the training feature columns (the target, if present, is scored)",
    )
    pr.add_argument(
        "--backend",
        choices=tuple(IMPLEMENTATIONS),
        default="scratch",
        help="which implementation runs inference, whichever one trained the weights",
    )
    pr.add_argument(
        "--weights",
        metavar="FILE",
        help="a weights .npz (default: the backend's file in --model, else the other's)",
    )
    pr.add_argument("--device", choices=DEVICES, default="cpu", help="where the torch backend runs")
    pr.add_argument("--output", metavar="FILE", help="CSV file to write (default: stdout)")
    pr.set_defaults(handler=run)


def _output_path(text: str | None) -> Path | None:
    """``--output`` as a path whose directory exists and that is not a directory itself."""
    if text is None:
        return None
    output = Path(text)
    if not output.parent.is_dir():
        raise FileNotFoundError(f"--output: no such directory: {output.parent}")
    if output.is_dir():
        raise UsageError(f"--output {str(output)!r} is a directory; give a file name")
    return output


def run(args: argparse.Namespace) -> int:
    """``nn-parity predict``: run a saved network on a file, write predictions as CSV."""
    from ..files import read_features

    model_dir = Path(args.model)
    with user_input():
        card = read_card(model_dir)
    impl = IMPLEMENTATIONS[args.backend]
    weights = Path(args.weights) if args.weights else model_dir / card.weights_file(impl.name)
    output = _output_path(args.output)
    with user_input():
        X_raw, y = read_features(Path(args.data), card.features, card.target, classes=card.labels)
    X = card.standardize.inputs(X_raw, card.dtype)
    with limit_threads(args.threads, torch_threads=impl is TORCH):
        device = resolve_device(args.device)
        with user_input():
            state = impl.load_weights(weights)
        pred, proba = _predict(card, state, X, impl, device, weights)
    if card.task == "regression":
        pred = card.standardize.target(pred.reshape(-1).astype(np.float64))
    text = predictions_csv(pred, proba, card.task, card.labels)
    if output is None:
        sys.stdout.write(text)
    else:
        from .._util.atomic import write_text_atomic

        write_text_atomic(output, text)
        print(f"wrote {len(pred)} predictions to {output}", file=sys.stderr)
    if y is not None:
        print(score(pred, y, card), file=sys.stderr)
    return 0


def score(pred: np.ndarray, y: np.ndarray, card: ModelCard) -> str:
    """The line about ``pred`` against the file's target ``y``: accuracy, or MSE and RMSE in
    the target's units, or why there is no score."""
    if not np.isfinite(y).all():
        return f"target column {card.target!r} has missing values: no score"
    if card.task == "regression":
        with np.errstate(over="ignore", invalid="ignore"):  # targets near 1e300: MSE is inf
            err = pred - y
            _, e = np.frexp(np.max(np.abs(err)))  # squares of err / 2^e cannot overflow (exact)
            mean_square = np.mean(np.ldexp(err, -e) ** 2)
            mse = float(np.ldexp(mean_square, 2 * e))
            rmse = float(np.ldexp(np.sqrt(mean_square), e))
        return f"MSE on these {len(y)} rows (target units): {mse:.6g}, RMSE {rmse:.6g}"
    return f"accuracy over {len(y)} rows: {float(np.mean(pred == y)):.4f}"


def _predict(
    card: ModelCard,
    state: dict[str, np.ndarray],
    X: np.ndarray,
    impl: Implementation,
    device: str,
    weights: Path,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Predictions ``(N,)`` labels or ``(N, out)`` values, and class probabilities or None."""
    with user_input():  # model.json describes a network that cannot be built
        model = impl.build(card.network, card.dtype, device)
    check_weights(state, {k: v.shape for k, v in impl.state(model).items()}, weights)
    impl.load_state(model, state)
    proba = None if card.task == "regression" else impl.predict_proba(model, X, card.task)
    return impl.predict(model, X, card.task), proba


def check_weights(
    state: dict[str, np.ndarray], expected: dict[str, tuple[int, ...]], path: Path
) -> None:
    """UsageError, one sentence, unless ``state`` has exactly the keys and shapes of
    ``expected`` (the network's state dict) and finite float values: the same check and
    wording whichever backend then loads it."""
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shared = [k for k in expected if k in state]
    misshapen = [
        f"{k!r} {tuple(state[k].shape)} instead of {expected[k]}"
        for k in shared
        if tuple(state[k].shape) != expected[k]
    ]
    not_float = [k for k in shared if not np.issubdtype(state[k].dtype, np.floating)]
    not_finite = [k for k in shared if k not in not_float and not np.isfinite(state[k]).all()]
    problems = [
        f"{what} {', '.join(items)}"
        for what, items in (
            ("missing keys", [repr(k) for k in missing]),
            ("unexpected keys", [repr(k) for k in unexpected]),
            ("misshapen keys", misshapen),
            ("non-float arrays", [repr(k) for k in not_float]),
            ("NaN or inf in", [repr(k) for k in not_finite]),
        )
        if items
    ]
    if problems:
        raise UsageError(
            f"{path}: weights do not fit the network in model.json: {'; '.join(problems)}"
        )


def predictions_csv(
    pred: np.ndarray,
    proba: np.ndarray | None,
    task: str,
    labels: tuple[str | int, ...] | None = None,
) -> str:
    """CSV text: ``prediction`` (a class label, or a value in the target's units) and, for
    classification, ``p_<class>`` per class; floats written with full round-trip precision.
    ``labels[k]`` is how class ``k`` is written (default: ``k``)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if proba is not None and task == "binary":
        proba = np.hstack([1 - proba, proba])
    header = ["prediction"] + (
        [f"p_{labels[k] if labels else k}" for k in range(proba.shape[1])]
        if proba is not None
        else []
    )
    writer.writerow(header)
    for i, p in enumerate(pred):
        if task == "regression":
            row = [repr(float(p))]
        else:
            row = [str(labels[int(p)] if labels else int(p))]
        if proba is not None:
            row += [repr(float(v)) for v in proba[i]]
        writer.writerow(row)
    return buf.getvalue()
