"""``nn-parity train``: train one network on a built-in dataset or a user's CSV/.npz file.

``--backend`` picks the implementations by a dict lookup (``BACKENDS``); with both, they
train from one initial state dict and one batch order (those of ``parity.run`` for the same
spec) and the command ends with the parity verdict, exit status 1 when it failed. The
output directory gets ``weights_<backend>.npz``, ``model.json``, ``history.json`` and
``training_curve.png``, written as one transaction. A scratch-only run imports neither torch
nor (for a file, or ``xor``, ``spirals``, ``sine``) scikit-learn.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .._util.threads import limit_threads
from ..data import DATASETS
from ..sides import IMPLEMENTATIONS, SCRATCH, TORCH, Implementation
from ..spec import HEADS, INITS, OPTIMIZERS, RunSpec
from .common import (
    DEVICES,
    UsageError,
    add_command,
    check_out_dir,
    parse_activation,
    parse_hidden,
    resolve_device,
    seed,
    user_input,
)
from .model_card import ModelCard
from .train_outputs import epoch_table, history_json, plot_history

if TYPE_CHECKING:
    from ..data import Dataset
    from ..runner import ParityResult, Setup, SideResult

BUILTIN_TARGET = "y"  # the target column's name for a built-in dataset (features as in DATASETS)
BACKENDS: dict[str, tuple[Implementation, ...]] = {
    "scratch": (SCRATCH,),
    "torch": (TORCH,),
    "both": (SCRATCH, TORCH),
}


def add_parser(subparsers: Any) -> None:
    """Register ``train`` on ``nn-parity``'s ``subparsers``."""
    tr = add_command(
        subparsers,
        "train",
        help="train one network on a dataset or a CSV/.npz file",
        description="Train one network and save weights_<backend>.npz, model.json, "
        "history.json and training_curve.png into --out.",
    )
    src = tr.add_mutually_exclusive_group(required=True)
    src.add_argument("--dataset", metavar="NAME", help=f"a built-in dataset: {', '.join(DATASETS)}")
    src.add_argument(
        "--data",
        metavar="FILE",
        help=".csv (header row, numeric columns) or .npz (named 1-D columns, or a 2-D X plus "
        "the target array)",
    )
    tr.add_argument("--target", metavar="COLUMN", help="with --data: the column to predict")
    _network_options(tr)
    tr.add_argument(
        "--backend",
        choices=tuple(BACKENDS),
        default="both",
        help="which implementation trains; both: each side from the same initial weights and "
        "batch order, then the parity verdict",
    )
    tr.add_argument(
        "--dtype", choices=("float64", "float32"), default="float64", help="parameter dtype"
    )
    tr.add_argument("--device", choices=DEVICES, default="cpu", help="where the torch side runs")
    tr.add_argument(
        "--seed", type=seed, default=0, help="seed of weights, batch order and train/test split"
    )
    tr.add_argument(
        "--out", metavar="DIR", help="output directory (default: runs/<dataset or file name>)"
    )
    tr.set_defaults(handler=run)


def _network_options(tr: argparse.ArgumentParser) -> None:
    """The network's and the optimizer's options (checked by ``RunSpec``)."""
    tr.add_argument(
        "--hidden",
        default="16",
        metavar="SIZES",
        help="hidden layer sizes, e.g. 16,16; 'none' for no hidden layer",
    )
    tr.add_argument(
        "--activation",
        default="tanh",
        metavar="NAMES",
        help="sigmoid, tanh, relu, leaky_relu or identity; or one per layer: relu,tanh",
    )
    tr.add_argument(
        "--head", help=f"output layer and loss: {', '.join(HEADS)} (default: the task's)"
    )
    tr.add_argument("--epochs", type=int, default=20, help="passes over the training split")
    tr.add_argument("--lr", type=float, default=0.1, help="learning rate")
    tr.add_argument("--batch-size", type=int, default=32, metavar="N", help="minibatch size")
    tr.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd", help="update rule")
    tr.add_argument("--momentum", type=float, default=0.0, help="SGD momentum")
    tr.add_argument(
        "--init",
        choices=INITS,
        default="default",
        help="weight initialisation (default: 'default', torch's own U(±1/sqrt(fan_in)))",
    )


def load_training_data(args: argparse.Namespace, dtype: str) -> tuple[Dataset, str, str]:
    """The split, standardised data for ``train``; returns (dataset, source, target name).

    The dataset is named by its source: a built-in dataset's name or the file's path."""
    from ..data import load_dataset, split_dataset
    from ..files import load_training

    if args.dataset is not None:
        if args.target is not None:
            raise UsageError("--target goes with --data FILE; a built-in dataset has its own")
        if args.dataset not in DATASETS:
            raise UsageError(
                f"unknown dataset {args.dataset!r}; valid datasets: {', '.join(DATASETS)}"
            )
        return load_dataset(args.dataset, seed=args.seed, dtype=dtype), args.dataset, BUILTIN_TARGET
    if args.target is None:
        raise UsageError("--data FILE needs --target COLUMN, the column to predict")
    if args.head is not None and args.head not in HEADS:
        raise UsageError(f"unknown head {args.head!r}; valid: {', '.join(HEADS)}")
    task = HEADS[args.head][0] if args.head else None
    path = Path(args.data)
    with user_input():
        loaded = load_training(path, target=args.target, task=task, dtype=dtype)
        data = split_dataset(
            str(path), loaded.task, loaded.X, loaded.y, seed=args.seed, dtype=dtype,
            feature_names=loaded.feature_names, classes=loaded.classes,
        )  # fmt: skip
    if loaded.note:  # e.g. integer labels that look like a quantity: suggests --head regression
        print(f"note: {loaded.note}", file=sys.stderr)
    return data, str(path), args.target


def train_spec(args: argparse.Namespace, task: str) -> RunSpec:
    """The ``RunSpec`` of a ``train`` command for data of ``task`` (validates every
    network/training option)."""
    hidden, activation = parse_hidden(args.hidden), parse_activation(args.activation)
    with user_input():
        return RunSpec(
            task=task,
            hidden=hidden,
            activation=activation,
            head=args.head,
            optimizer=args.optimizer,
            lr=args.lr,
            momentum=args.momentum,
            init=args.init,
            batch_size=args.batch_size,
            epochs=args.epochs,
            seed=args.seed,
            dtype=args.dtype,
            device=args.device,
        )


def train_backends(
    spec: RunSpec,
    data: Dataset,
    backends: Sequence[Implementation],
    stream: TextIO | None = sys.stderr,
) -> tuple[Setup, dict[str, SideResult]]:
    """Train the chosen backends from one initial state dict and one batch order (those of
    ``parity.run`` for the same spec), each side on its own, one after the other; each side
    draws its own progress bar (``scratch 600/600``, then ``torch 600/600``) on ``stream``.
    Returns the shared setup and each backend's result by name, in ``backends``' order."""
    from .._util.progress import Progress
    from ..runner import prepare, train_side

    setup = prepare(spec, data)
    results = {}
    for impl in backends:
        with Progress(impl.name, setup.steps, stream) as bar:
            results[impl.name] = train_side(impl, setup, validation=True, progress=bar)
    return setup, results


def run(args: argparse.Namespace) -> int:
    """``nn-parity train``: train one network, save weights, description, history, plot."""
    from ..runner import compare_results

    backends = BACKENDS[args.backend]
    data, source, target = load_training_data(args, args.dtype)
    spec = train_spec(args, task=data.task)
    name = Path(source).stem if args.data is not None else source
    out = check_out_dir(Path(args.out) if args.out else Path("runs") / name)
    with limit_threads(args.threads, torch_threads=TORCH in backends):
        device = resolve_device(args.device)
        print(
            f"training {spec.label()} on {source} ({len(data.X_train)} train / "
            f"{len(data.X_test)} test rows, {data.n_features} features) with "
            f"{' and '.join(impl.name for impl in backends)} on {device}"
        )
        setup, results = train_backends(spec, data, backends, sys.stderr)
        print(epoch_table(results, spec))
        verdict = None
        if len(results) == 2:  # the candidate (scratch) against the reference (torch)
            candidate, reference = results.values()
            verdict = compare_results(setup, candidate, reference)
            print(verdict.summary())
        metric = "test MSE (standardised target)" if spec.task == "regression" else "test accuracy"
        for backend, res in results.items():
            print(f"{backend}: {metric} {res.test_metric:.4f} ({res.seconds:.1f}s)")
        source_key = "file" if args.data is not None else "dataset"
        card = ModelCard.from_training(
            spec, data, source={source_key: source}, target=target, device=device,
            weights={b: f"weights_{b}.npz" for b in results},
            test_metric={b: r.test_metric for b, r in results.items()},
        )  # fmt: skip
        written, stale = save_run(out, card, results, verdict, spec, device)
    print(f"saved {', '.join(p.name for p in written)} in {out}")
    if stale:
        print(
            f"removed {', '.join(p.name for p in stale)}: left from an earlier run, not "
            f"trained this time"
        )
    return 0 if verdict is None or verdict.ok else 1


def save_run(
    out: Path,
    card: ModelCard,
    results: dict[str, SideResult],
    verdict: ParityResult | None,
    spec: RunSpec,
    device: str,
) -> tuple[list[Path], list[Path]]:
    """Write the weights, model.json, history.json and the plot into ``out`` as one
    transaction, then remove the weights of a backend not trained this time. Returns the
    files written and the files removed."""
    import scratch

    from .._util.atomic import publish, staging_dir

    title = f"{spec.label()} on {card.source}"
    with staging_dir(out) as staged:
        for backend, res in results.items():
            scratch.save_weights(staged / card.weights[backend], res.final_state)
        (staged / "model.json").write_text(card.to_json())
        history = history_json(results, spec.epochs, verdict)
        (staged / "history.json").write_text(json.dumps(history, indent=1) + "\n")
        plot_history(results, spec, title, staged / "training_curve.png", device)
        written = publish(staged, out)
    return written, remove_stale_weights(out, trained=list(results))


def remove_stale_weights(out: Path, trained: Sequence[str]) -> list[Path]:
    """Delete ``out/weights_<backend>.npz`` of each backend not in ``trained`` (left by an
    earlier ``train`` into the same directory, they would not match ``model.json``); only
    those exact names, nothing else. Returns the files removed."""
    removed = []
    for backend in IMPLEMENTATIONS:
        path = out / f"weights_{backend}.npz"
        if backend not in trained and path.is_file():
            path.unlink()
            removed.append(path)
    return removed
