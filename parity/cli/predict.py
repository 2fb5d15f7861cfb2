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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from parity._util.publish import ReservedFile, check_not_an_input, output_file, read_marker, shown
from parity._util.threads import limit_threads
from parity.cli.common import DEVICES, add_command, output_path, resolve_device, user_input
from parity.cli.model_card import ModelCard, read_card
from parity.errors import UsageError
from parity.harness.sides import IMPLEMENTATIONS, TORCH, Implementation


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
    pr.add_argument(
        "--output",
        type=output_path,
        metavar="FILE",
        help="CSV file to write (default, or '-': stdout); a link is written through to its "
        "target; a device, FIFO or socket is refused",
    )
    pr.set_defaults(handler=run)


def _output_path(text: str | None) -> Path | None:
    """``--output`` as a path; None for stdout (no ``--output``, or ``-``)."""
    return None if text is None or text == "-" else Path(text)


@contextmanager
def _reserved(output: Path | None) -> Iterator[ReservedFile | None]:
    """The output's temporary twin, created now (so an unwritable place, a device or a FIFO
    is refused before any work, naming ``--output``: ``parity._util.publish``); None for
    stdout."""
    if output is None:
        yield None
        return
    with output_file("--output", output) as reserved:
        yield reserved


def _inputs(args: argparse.Namespace, card: ModelCard, weights: Path) -> dict[str, Path]:
    """What ``--output`` must not be: the data file, the weights, the model's own files."""
    model = Path(args.model)
    inputs = {"the --data file": Path(args.data), "the weights file": weights}
    marker = read_marker(model) or {"files": ["model.json"]}
    for name in (*marker["files"], *card.weights.values()):
        inputs[f"the {name} of {shown('--model', model)}"] = model / name
    return inputs


def run(args: argparse.Namespace) -> int:
    """``nn-parity predict``: run a saved network on a file, write predictions as CSV. Every
    input is read and checked, and the predictions computed, before the output is written."""
    from parity.data.files import read_features

    data = Path(args.data)
    output = _output_path(args.output)
    impl = IMPLEMENTATIONS[args.backend]
    with _reserved(output) as reserved:  # first: an unwritable --output stops all work
        card, weights, raw_state = read_snapshot(args, impl)
        if output is not None:
            check_not_an_input("--output", output, _inputs(args, card, weights))
        with user_input():
            X_raw, y = read_features(data, card.features, card.target, classes=card.labels)
            X = card.standardize.inputs(X_raw, card.dtype, str(data), card.features)
            state = check_weights(raw_state, card, weights)
        with limit_threads(args.threads, torch_threads=impl is TORCH):
            device = resolve_device(args.device)
            pred, proba = _predict(card, state, X, impl, device, weights)
        text = predictions_csv(pred, proba, card.task, card.labels)
        scored = None if y is None else score(pred, y, card)
        if reserved is None:
            sys.stdout.write(text)
        else:
            reserved.commit(text)
            print(f"wrote {len(pred)} predictions to {output}", file=sys.stderr)
    if scored is not None:
        print(scored, file=sys.stderr)
    return 0


SNAPSHOT_READS = 3  # model.json and weights read this many times over before a refusal


def read_snapshot(
    args: argparse.Namespace, impl: Implementation
) -> tuple[ModelCard, Path, dict[str, np.ndarray]]:
    """``--model``'s model.json and the weights of one and the same run: the weights' SHA-256
    must be the one model.json records (``weights_sha256``; a card without it, or an explicit
    ``--weights``, is taken as it is). A ``train`` swapping the directory in between is met
    by reading both again; a mismatch that persists is refused, never mixed."""
    model_dir = Path(args.model)
    for _ in range(SNAPSHOT_READS):
        with user_input():
            card = read_card(model_dir)
        weights = Path(args.weights) if args.weights else model_dir / card.weights_file(impl.name)
        digest = None if args.weights else card.weights_sha256.get(weights.name)
        with user_input():
            state = load_weights(impl, weights, digest)
        if state is not None:
            return card, weights, state
    raise UsageError(
        f"{weights}: not the weights {model_dir / 'model.json'} describes (its SHA-256 differs, "
        f"{SNAPSHOT_READS} reads in a row): a train into {model_dir} is under way, or the run's "
        "files were mixed; wait for it to finish, or train again"
    )


def load_weights(
    impl: Implementation, path: Path, sha: str | None = None
) -> dict[str, np.ndarray] | None:
    """The weights file's arrays: an ``.npz`` read once through ``parity.data.npz.read_npz``
    (every member's size checked before it is read), anything else (torch's ``.pt``) through
    ``impl``. None when ``sha`` is given and the ``.npz`` read is not the file it names."""
    from parity.cli.model_card import sha256
    from parity.data.npz import MAX_BYTES, read_npz, size_text

    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory; give a weights .npz file")
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    if path.suffix != ".npz":
        return impl.load_weights(path)
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"{path}: larger than {size_text(MAX_BYTES)}, the limit of a weights file")
    content = path.read_bytes()  # hashed and parsed from the same bytes: one snapshot
    if sha is not None and sha256(content) != sha:
        return None
    return read_npz(path, content=content)


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
    """Predictions ``(N,)``: labels, or values in the target's units; and class probabilities
    ``(N, out)`` or None. UsageError when the network's outputs are not finite (weights or
    rows too large for the dtype) rather than NaN predictions."""
    with user_input():  # model.json describes a network that cannot be built
        model = impl.build(card.network, card.dtype, device)
    impl.load_state(model, state)
    with np.errstate(all="ignore"):  # overflow is checked below, once, in words
        outputs = impl.outputs(model, X)
        proba = None if card.task == "regression" else impl.predict_proba(model, X, card.task)
        pred = impl.predict(model, X, card.task)
        if card.task == "regression":
            pred = card.standardize.target(pred.reshape(-1).astype(np.float64))
    bad = ~np.isfinite(outputs).all(axis=1) | ~np.isfinite(pred.reshape(len(X), -1)).all(axis=1)
    if bad.any():
        raise UsageError(
            f"{weights}: the network's outputs are not finite ({card.dtype}) on {int(bad.sum())} "
            f"of {len(X)} rows (first: data row {int(np.argmax(bad)) + 1}); the weights or "
            "these rows are too large for it"
        )
    return pred, proba


def check_weights(
    state: dict[str, np.ndarray], card: ModelCard, path: Path
) -> dict[str, np.ndarray]:
    """``state`` in the card's dtype, after a UsageError (one sentence) unless it has exactly
    the keys and shapes of the card's network (``card.state_shapes()``, computed without
    building it: a card claiming a huge network allocates nothing) and finite float values:
    the same check and wording whichever backend then loads it."""
    expected = card.state_shapes()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shared = [k for k in expected if k in state]
    misshapen = [
        f"{k!r} {tuple(state[k].shape)} instead of {expected[k]}"
        for k in shared
        if tuple(state[k].shape) != expected[k]
    ]
    not_float = [k for k in shared if not np.issubdtype(state[k].dtype, np.floating)]
    with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf: refused
        cast = {k: state[k].astype(card.dtype) for k in shared if k not in not_float}
    not_finite = [k for k in cast if not np.isfinite(cast[k]).all()]
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
    return cast


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
