"""``nn-parity train``: train one network on a built-in dataset or a user's CSV/.npz file.

``--backend`` picks the implementations by a dict lookup (``BACKENDS``); with both, they
train from one initial state dict and one batch order (those of ``parity.run`` for the same
spec) and the command ends with the parity verdict, exit status 1 when it failed (a chaotic run,
where parity is not decidable at the tolerance past some step, is flagged and exits 0). The
output directory gets ``weights_<backend>.npz``, ``model.json``, ``history.json`` and
``training_curve.png``, written as one transaction. A scratch-only run imports neither torch
nor (for a file, or ``xor``, ``spirals``, ``sine``) scikit-learn.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from parity._util.publish import output_dir, shown
from parity._util.signals import signal_number
from parity._util.threads import limit_threads
from parity.cli.common import (
    DEVICES,
    add_command,
    check_number,
    check_out_dir,
    output_path,
    parse_activation,
    parse_hidden,
    resolve_device,
    seed,
    user_input,
)
from parity.cli.model_card import ModelCard
from parity.cli.train_outputs import epoch_table, history_json, plot_history
from parity.data import DATASETS
from parity.errors import Diverged, Failure, Interrupted, OptionError, UsageError
from parity.harness.sides import SCRATCH, TORCH, Implementation
from parity.spec import HEADS, INITS, OPTIMIZERS, RunSpec

if TYPE_CHECKING:
    from parity.data import Dataset
    from parity.harness.runner import ParityResult, SideResult

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
        "--out",
        type=output_path,
        metavar="DIR",
        help="output directory (default: runs/<dataset or file name>)",
    )
    tr.set_defaults(handler=run)


def _network_options(tr: argparse.ArgumentParser) -> None:
    """The network's and the optimizer's options (checked by ``RunSpec``)."""
    tr.add_argument(
        "--hidden",
        default="16",
        metavar="SIZES",
        help="hidden layer sizes, e.g. 16,16; 'none' for no hidden layer (an empty value is "
        "refused)",
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


def check_options(args: argparse.Namespace) -> None:
    """Every check that needs only the command line, before any file is read or written:
    option values and ranges, worded with the options' names. The network's options are
    checked again by ``RunSpec`` once the data's task is known."""
    if args.dataset is not None:
        if args.target is not None:
            raise UsageError("--target goes with --data FILE; a built-in dataset has its own")
        if args.dataset not in DATASETS:
            raise UsageError(
                f"unknown dataset {args.dataset!r}; valid datasets: {', '.join(DATASETS)}"
            )
    elif args.target is None:
        raise UsageError("--data FILE needs --target COLUMN, the column to predict")
    if args.head is not None and args.head not in HEADS:
        raise OptionError(f"--head: unknown head {args.head!r}; valid: {', '.join(HEADS)}",
                          "train")  # fmt: skip
    check_number("--lr", args.lr, "train", strict=True)
    if not 0 <= args.momentum < 1:  # the range check's --momentum has (nan fails too)
        raise OptionError(f"--momentum must be in [0, 1), got {args.momentum}", "train")
    if args.momentum != 0 and args.optimizer != "sgd":
        raise OptionError(
            f"--momentum applies to --optimizer sgd only, not {args.optimizer}; drop it", "train"
        )
    for option, value in (("--epochs", args.epochs), ("--batch-size", args.batch_size)):
        if value < 1:
            raise OptionError(f"{option} must be an integer >= 1, got {value}", "train")
    # parsed once, here: train_spec builds the RunSpec from these values
    args.hidden = parse_hidden(args.hidden)
    args.activation = parse_activation(args.activation, args.hidden)


def load_training_data(args: argparse.Namespace, dtype: str) -> tuple[Dataset, str, str]:
    """The split, standardised data for ``train``; returns (dataset, source, target name).

    The dataset is named by its source: a built-in dataset's name or the file's path."""
    from parity.data import load_dataset, split_dataset
    from parity.data.files import load_training

    if args.dataset is not None:
        return load_dataset(args.dataset, seed=args.seed, dtype=dtype), args.dataset, BUILTIN_TARGET
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
    network/training option; ``check_options`` has checked and parsed each one's own value)."""
    if args.head is not None and HEADS[args.head][0] != task:
        heads = ", ".join(h for h, v in HEADS.items() if v[0] == task)
        raise OptionError(
            f"--head {args.head!r} is for {HEADS[args.head][0]} tasks, but the data poses a "
            f"{task} task; heads for {task}: {heads}",
            "train",
        )
    with user_input():
        return RunSpec(
            task=task,
            hidden=args.hidden,
            activation=args.activation,
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
) -> tuple[dict[str, SideResult], ParityResult | None]:
    """Train the chosen backends from one initial state dict and one batch order (those of
    ``parity.run`` for the same spec): with both, ``parity.harness.runner.run``, which also
    compares them; with one, ``parity.harness.runner.train``. Each side draws its own
    progress bar (``scratch 600/600``, then ``torch 600/600``) on ``stream``. Returns each
    backend's result by name, in ``backends``' order, and the verdict (None for one side).
    A side that diverges ends the command: ``Failure`` naming the side, step and loss."""
    from parity._util.progress import Progress
    from parity.harness import runner

    def bars(name: str, steps: int) -> Progress:
        return Progress(name, steps, stream)

    try:
        with user_input():  # a network too large to build, refused by build_model
            if len(backends) == 2:
                candidate, _ = backends
                verdict = runner.run(
                    spec, data, candidate=candidate, bars=bars, on_divergence="raise",
                    validation=True,
                )  # fmt: skip
                return verdict.sides, verdict
            _, side = runner.train(backends[0], spec, data, bars=bars, validation=True)
            return {side.name: side}, None
    except Diverged as err:
        raise Failure(f"{err}; lower --lr (now {spec.lr:g})") from err


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux's MemAvailable), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def memory_estimate(spec: RunSpec, data: Dataset, sides: int) -> int:
    """Bytes a training run of ``spec`` on ``data`` needs, roughly, for ``sides`` backends:
    per side the weights, their gradients, the optimizer's state (SGD momentum: one copy,
    Adam: two), the initial state dict and the final copy; and the activations and their
    gradients of the largest forward pass (a batch, or a whole split when evaluating)."""
    import itertools

    import numpy as np

    widths = [data.n_features, *spec.hidden, data.n_outputs]
    params = sum((a + 1) * b for a, b in itertools.pairwise(widths))
    copies = 4 + (2 if spec.optimizer == "adam" else 1 if spec.momentum else 0)
    rows = max(spec.batch_size, len(data.X_train), len(data.X_test))
    activations = 3 * rows * sum(widths)  # pre-activation, output and gradient of each layer
    return sides * (copies * params + activations) * np.dtype(spec.dtype).itemsize


def check_memory(spec: RunSpec, data: Dataset, sides: int) -> None:
    """OptionError, naming the estimate, when the run would need more memory than is free
    (rather than a MemoryError or an OOM kill half-way)."""
    need, free = memory_estimate(spec, data, sides), available_memory()
    if free is not None and need > free:
        raise OptionError(
            f"this run needs about {need / 1e9:.1f} GB of memory (weights, gradients, optimizer "
            f"state and copies for {sides} backend(s), plus the activations of "
            f"{max(spec.batch_size, len(data.X_train), len(data.X_test))} rows), more than the "
            f"{free / 1e9:.1f} GB available; give smaller --hidden sizes",
            "train",
        )


def default_out(args: argparse.Namespace) -> Path:
    """``--out``, or ``runs/<dataset name or data file's stem>``."""
    if args.out is not None:
        return Path(args.out)
    return Path("runs") / (Path(args.data).stem if args.data is not None else args.dataset)


def run(args: argparse.Namespace) -> int:
    """``nn-parity train``: train one network, save weights, description, history, plot, as
    one transaction (``parity._util.publish.output_dir``)."""
    check_options(args)
    out = check_out_dir(default_out(args))
    inputs = {} if args.data is None else {shown("--data", args.data): Path(args.data)}
    with output_dir(out, "--out", "train", inputs) as run_dir:
        data, source, target = load_training_data(args, args.dtype)
        spec = train_spec(args, task=data.task)
        check_memory(spec, data, len(BACKENDS[args.backend]))
        ok = train_and_save(args, spec, data, source, target, run_dir.staged)
        written, dropped = run_dir.commit()
    try:  # the run is in place: an interrupt from here on says so
        print(f"saved {', '.join(written)} in {out}")
        if dropped:
            print(f"removed {', '.join(dropped)}: left from an earlier run, not trained this time")
    except KeyboardInterrupt as err:
        raise Interrupted(signal_number(err), written=str(out)) from None
    return 0 if ok else 1


def train_and_save(
    args: argparse.Namespace, spec: RunSpec, data: Dataset, source: str, target: str,
    staged: Path,
) -> bool:  # fmt: skip
    """Train the backends of ``args``, print the table and the verdict, write the run's files
    into ``staged``; returns whether the parity verdict (if any) is ok."""
    backends = BACKENDS[args.backend]
    with limit_threads(args.threads, torch_threads=TORCH in backends):
        device = resolve_device(args.device)
        print(
            f"training {spec.label()} on {source} ({len(data.X_train)} train / "
            f"{len(data.X_test)} test rows, {data.n_features} features) with "
            f"{' and '.join(impl.name for impl in backends)} on {device}"
        )
        results, verdict = train_backends(spec, data, backends, sys.stderr)
        print(epoch_table(results, spec))
        if verdict is not None:  # the candidate (scratch) against the reference (torch)
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
        write_run(staged, card, results, verdict, spec, device)
    # a chaotic run is flagged in the summary, not failed: parity is not decidable past step k
    return verdict is None or verdict.outcome in ("agree", "chaotic")


def write_run(
    staged: Path,
    card: ModelCard,
    results: dict[str, SideResult],
    verdict: ParityResult | None,
    spec: RunSpec,
    device: str,
) -> None:
    """Write the weights, model.json, history.json and the plot into the staging directory
    ``staged`` (strict JSON: no NaN or Infinity)."""
    import dataclasses

    import scratch
    from parity._util import strict_json
    from parity.cli.model_card import sha256

    for backend, res in results.items():
        scratch.save_weights(staged / card.weights[backend], res.final_state)
    digests = {name: sha256((staged / name).read_bytes()) for name in card.weights.values()}
    card = dataclasses.replace(card, weights_sha256=digests)  # predict checks it: one snapshot
    (staged / "model.json").write_text(card.to_json(), encoding="utf-8")
    history = history_json(results, spec.epochs, verdict)
    (staged / "history.json").write_text(strict_json.dumps(history, indent=1), encoding="utf-8")
    plot_history(results, spec, f"{spec.label()} on {card.source}",
                 staged / "training_curve.png", device)  # fmt: skip
