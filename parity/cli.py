"""The ``nn-parity`` command: ``report``, ``train``, ``predict`` and ``bench``.

::

    nn-parity report  [--quick] [--out DIR] [--device auto|cpu|cuda] [--dtype float64|float32|both]
                      [--seed N]
    nn-parity train   (--dataset NAME | --data FILE --target COLUMN) [--hidden 16,16]
                      [--activation tanh[,relu...]] [--head HEAD] [--epochs N] [--lr LR]
                      [--batch-size N] [--optimizer sgd|adam] [--momentum M] [--init INIT]
                      [--backend scratch|torch|both] [--dtype float64|float32]
                      [--device auto|cpu|cuda] [--seed N] [--out DIR]
    nn-parity predict --model DIR --data FILE [--backend scratch|torch] [--weights FILE]
                      [--device auto|cpu|cuda] [--output FILE]
    nn-parity bench   [--configs small,medium,large] [--repeats N] [--dtype float64|float32]
    nn-parity --version

Every command takes ``--threads N`` (default 1: the networks are small, and thread pools
spinning up for tiny matrices make torch several times slower on a few cores); ``--help``
shows every option's default.

Bad input (a mistyped option or value, an unknown dataset or activation, a missing or
malformed file, a target column that is absent, has NaNs, a single value or classes not
numbered 0..K-1, weights that do not fit the network, CUDA where there is none) ends with one
line ``nn-parity: error: ...`` on stderr (for an option, ``(see nn-parity COMMAND --help)``
after it) and exit status 2, before anything is written; outputs are staged and moved into
place by rename (``parity.atomic``), so an interrupted command leaves no half-written files.
``report`` exits 1 when a parity check failed (the report is still written: it says what
failed), 0 otherwise; so does ``train --backend both`` when the two sides disagree.

torch, scikit-learn and matplotlib are imported only once a command runs, so ``--help`` and
argument errors are immediate.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import numpy as np

from .data import DATASETS
from .spec import DATASET_FOR_TASK, HEADS, INITS, OPTIMIZERS, RunSpec
from .threads import limit_threads

if TYPE_CHECKING:
    from .data import Dataset
    from .runner import SideResult

PROG = "nn-parity"
MODEL_FORMAT = "nn-parity-model"
MODEL_VERSION = 1
BUILTIN_TARGET = "y"  # the target column's name for a built-in dataset (features as in DATASETS)


# --------------------------------------------------------------------------------------------
# shared helpers


def resolve_device(name: str) -> str:
    """``auto`` -> ``cuda`` when available else ``cpu``; ``cuda`` without CUDA -> ValueError
    worded for the command line (``--device``), not for the Python API."""
    import torch

    import torch_impl

    try:
        return torch_impl.resolve_device(name).type
    except ValueError:
        if not name.startswith("cuda") or torch.cuda.is_available():
            raise
    why = (
        f"this torch {torch.__version__} is a CPU-only build"
        if torch.version.cuda is None
        else f"torch {torch.__version__} (CUDA {torch.version.cuda}) finds no GPU"
    )
    raise ValueError(
        f"--device {name}: no CUDA device is available ({why}); use --device cpu, "
        f"or --device auto to take CUDA only where there is one"
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"16,16"`` -> ``(16, 16)``; ``""`` or ``"none"`` -> ``()`` (no hidden layer)."""
    if text.strip().lower() in ("", "none"):
        return ()
    sizes = []
    for part in text.split(","):
        try:
            size = int(part)
        except ValueError:
            size = 0
        if size < 1:
            raise ValueError(
                f"--hidden must be comma-separated positive sizes like 16,16 (or 'none'), "
                f"got {text!r}"
            )
        sizes.append(size)
    return tuple(sizes)


def parse_activation(text: str) -> str | tuple[str, ...]:
    """``"tanh"`` -> ``"tanh"`` for every layer; ``"relu,tanh"`` -> one name per layer."""
    names = tuple(n.strip() for n in text.split(","))
    return names[0] if len(names) == 1 else names


def _check_out_dir(path: Path, option: str = "--out") -> Path:
    if path.exists() and not path.is_dir():
        raise ValueError(f"{option} {str(path)!r} exists and is not a directory")
    return path


# --------------------------------------------------------------------------------------------
# report


def cmd_report(args: argparse.Namespace) -> int:
    """``nn-parity report``: see ``parity.report``."""
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    out = _check_out_dir(Path(args.out))
    dtypes = ("float64", "float32") if args.dtype == "both" else (args.dtype,)
    with limit_threads(args.threads):
        device = resolve_device(args.device)
        from .report import ReportOptions, generate

        options = ReportOptions(
            out=out,
            quick=args.quick,
            device=device,
            dtypes=dtypes,
            seed=args.seed,
            command=args.command,
        )
        result = generate(options, stream=sys.stderr)
    verdict = "all agree" if result.ok else "PARITY FAILURES, see the report"
    print(
        f"wrote {result.path} and {result.path.parent / 'figures'}/ "
        f"({result.cells} grid cells: {verdict}; {result.seconds['total']:.0f}s)"
    )
    return 0 if result.ok else 1


# --------------------------------------------------------------------------------------------
# train


def load_training_data(args: argparse.Namespace, dtype: str) -> tuple[Dataset, str, str]:
    """The split, standardised data for ``train``; returns (dataset, source, target name)."""
    from .data import load_arrays, load_dataset, split_dataset

    if args.dataset is not None:
        if args.target is not None:
            raise ValueError("--target goes with --data FILE; a built-in dataset has its own")
        if args.dataset not in DATASETS:
            raise ValueError(
                f"unknown dataset {args.dataset!r}; valid datasets: {', '.join(DATASETS)}"
            )
        return load_dataset(args.dataset, seed=args.seed, dtype=dtype), args.dataset, BUILTIN_TARGET
    if args.target is None:
        raise ValueError("--data FILE needs --target COLUMN, the column to predict")
    if args.head is not None and args.head not in HEADS:
        raise ValueError(f"unknown head {args.head!r}; valid: {', '.join(HEADS)}")
    task = HEADS[args.head][0] if args.head else None
    path = Path(args.data)
    X, y, task, names = load_arrays(path, target=args.target, task=task, dtype=dtype)
    data = split_dataset(path.stem, task, X, y, seed=args.seed, dtype=dtype, feature_names=names)
    return data, str(path), args.target


def train_spec(args: argparse.Namespace, task: str | None = None) -> RunSpec:
    """The ``RunSpec`` of a ``train`` command (validates every network/training option)."""
    # RunSpec validates its dataset against the registry; a user's file is described by the
    # registered dataset of its task (only the task is read from it, the arrays are passed in)
    dataset = args.dataset if args.dataset is not None else DATASET_FOR_TASK[task or "binary"]
    return RunSpec(
        dataset=dataset,
        hidden=parse_hidden(args.hidden),
        activation=parse_activation(args.activation),
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
    spec: RunSpec, data: Dataset, backends: Sequence[str], stream: TextIO | None = sys.stderr
) -> dict[str, SideResult]:
    """Train the chosen backends from one initial state dict and one batch order (those of
    ``parity.run`` for the same spec), each side on its own, one after the other; each side
    draws its own progress bar (``scratch 600/600``, then ``torch 600/600``) on ``stream``."""
    from .progress import Progress
    from .runner import build_networks, shared_batches, train_side

    nets = build_networks(spec, data)
    batches = shared_batches(spec, len(data.X_train))
    n_steps = sum(len(e) for e in batches)
    results = {}
    for backend in backends:
        with Progress(backend, n_steps, stream) as bar:
            results[backend] = train_side(
                backend, spec, nets, batches, validation=True, progress=bar
            )
    return results


EPOCH_COLUMNS = (  # (group heading, history attribute, format) of the per-epoch table
    ("train loss", "train_loss", "{:.6f}"),
    ("test loss", "val_loss", "{:.6f}"),
    ("test acc", "val_acc", "{:.4f}"),
)


def epoch_table(results: dict[str, SideResult], spec: RunSpec) -> str:
    """Per-epoch metrics of every trained side, side by side: for each of train loss, test
    loss and (classification only) test accuracy, one column per side.

    ::

                        train loss               test loss
          epoch      scratch       torch      scratch       torch
            1/3     0.700436    0.700436     0.684374    0.684374
    """
    sides = list(results)
    columns = [c for c in EPOCH_COLUMNS if spec.task != "regression" or c[1] != "val_acc"]
    width = 11
    group = len(sides) * (width + 1) - 1  # one group's columns, one space apart
    first_width = max(7, 2 * len(str(spec.epochs)) + 1)

    def row(first: str, groups: Sequence[str]) -> str:
        return f"{first:>{first_width}}" + "".join(f"  {g:>{group}}" for g in groups)

    if len(sides) == 1:
        lines = [row("epoch", [name for name, _, _ in columns])]
    else:
        lines = [
            row("", [f"{name:^{group}}" for name, _, _ in columns]).rstrip(),
            row("epoch", [" ".join(f"{s:>{width}}" for s in sides)] * len(columns)),
        ]
    for i in range(spec.epochs):
        values = [
            " ".join(f"{fmt.format(getattr(results[s].history, a)[i]):>{width}}" for s in sides)
            for _, a, fmt in columns
        ]
        lines.append(row(f"{i + 1}/{spec.epochs}", values))
    return "\n".join(lines)


def model_description(
    spec: RunSpec, data: Dataset, source: str, target: str, device: str, weights: dict[str, str]
) -> dict[str, Any]:
    """What ``predict`` needs to rebuild the network and transform raw inputs (model.json)."""
    assert data.x_mean is not None and data.x_std is not None
    training = spec.to_dict()
    for key in ("dataset", "n_samples", "device"):
        training.pop(key)
    return {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "task": spec.task,
        "head": spec.head_name,
        "loss": spec.loss,
        "in_features": data.n_features,
        "hidden": list(spec.hidden),
        "out_features": data.n_outputs,
        "activations": list(spec.activations),
        "output_activation": spec.output_activation,
        "dtype": spec.dtype,
        "features": list(data.feature_names),
        "target": target,
        "n_classes": data.n_classes,
        "standardize": {
            "x_mean": data.x_mean.tolist(),
            "x_std": data.x_std.tolist(),
            "y_mean": data.y_mean,
            "y_std": data.y_std,
        },
        "weights": weights,
        "data": {"dataset": source} if source in DATASETS else {"file": source},
        "training": {**training, "device": device},
    }


def plot_history(
    results: dict[str, SideResult], spec: RunSpec, title: str, path: Path, device: str = "cpu"
) -> None:
    """Per-step loss of each backend, per-epoch metrics, and with both backends their per-step
    difference drawn as in the report (``parity.report.plot_loss_difference``: exact zeros as
    ticks at the floor, the curve tolerance on ``device`` as a dotted line)."""
    from .report import plot_loss_difference
    from .style import DPI, SIDES, use_agg
    from .tolerances import tolerance

    plt = use_agg()
    from matplotlib.ticker import MaxNLocator

    both = len(results) == 2
    fig, axes = plt.subplots(1, 3 if both else 2, figsize=(15 if both else 10.5, 4.2))
    classify = spec.task != "regression"
    for name, res in results.items():
        style = SIDES[name]
        steps = np.arange(1, len(res.losses) + 1)
        axes[0].plot(steps, res.losses, lw=1.2, **style)
        h, epochs = res.history, np.arange(1, spec.epochs + 1)
        train, test = (h.train_acc, h.val_acc) if classify else (h.train_loss, h.val_loss)
        axes[1].plot(
            epochs,
            train,
            color=style["color"],
            ls=style["linestyle"],
            marker="o",
            ms=3,
            label=f"{style['label']}, train",
        )
        axes[1].plot(
            epochs,
            test,
            color=style["color"],
            ls=style["linestyle"],
            marker="s",
            ms=3,
            mfc="white",
            label=f"{style['label']}, test",
        )
    axes[0].set(xlabel="step", ylabel=f"minibatch loss ({spec.loss})", title="training loss")
    axes[1].set(
        xlabel="epoch",
        ylabel="accuracy" if classify else f"loss ({spec.loss})",
        title="accuracy per epoch" if classify else "loss per epoch (whole split)",
    )
    axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[:2]:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    if both:
        s, t = results["scratch"].losses, results["torch"].losses
        plot_loss_difference(axes[2], s, t, tolerance("curve", spec.dtype, device).value)
        axes[2].legend(fontsize=8, loc="center right")
        axes[2].grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)


def cmd_train(args: argparse.Namespace) -> int:
    """``nn-parity train``: train one network, save weights, description, history, plot."""
    from .atomic import publish, staging_dir

    backends = ("scratch", "torch") if args.backend == "both" else (args.backend,)
    train_spec(args, task=HEADS[args.head][0] if args.head in HEADS else None)  # fail fast
    data, source, target = load_training_data(args, args.dtype)
    spec = train_spec(args, task=data.task)
    name = Path(source).stem if args.data is not None else source
    out = _check_out_dir(Path(args.out) if args.out else Path("runs") / name)
    with limit_threads(args.threads):
        device = resolve_device(args.device)
        print(
            f"training {spec.label()} on {source} ({len(data.X_train)} train / "
            f"{len(data.X_test)} test rows, {data.n_features} features) with "
            f"{' and '.join(backends)} on {device}"
        )
        results = train_backends(spec, data, backends, sys.stderr)
        print(epoch_table(results, spec))
        verdict = None
        if len(results) == 2:
            from .runner import ParityResult, compare_sides

            s_res, t_res = results["scratch"], results["torch"]
            parity = ParityResult(spec, s_res, t_res, compare_sides(spec, s_res, t_res, device))
            # the summary names spec.dataset, which for a user's file is only its stand-in
            print(parity.summary().replace(f" on {spec.dataset}:", f" on {source}:", 1))
            verdict = parity
        metric = "test MSE (standardised target)" if spec.task == "regression" else "test accuracy"
        for backend, res in results.items():
            print(f"{backend}: {metric} {res.test_metric:.4f} ({res.seconds:.1f}s)")

        import scratch

        weights = {b: f"weights_{b}.npz" for b in results}
        description = model_description(spec, data, source, target, device, weights)
        description["test_metric"] = {b: r.test_metric for b, r in results.items()}
        history = {
            b: {
                "losses": r.losses.tolist(),
                "epochs": [
                    {
                        "epoch": i + 1,
                        **{
                            k: getattr(r.history, k)[i]
                            for k in ("train_loss", "train_acc", "val_loss", "val_acc")
                        },
                    }
                    for i in range(spec.epochs)
                ],
            }
            for b, r in results.items()
        }
        if verdict is not None:
            history["parity"] = {
                "ok": verdict.ok,
                "comparisons": [
                    {
                        "name": c.name,
                        "scaled": c.scaled,
                        "max_abs": c.max_abs,
                        "max_rel": c.max_rel,
                        "tol": c.tol,
                        "ok": c.ok,
                    }
                    for c in verdict.comparisons
                ],
            }
        with staging_dir(out) as staged:
            for backend, res in results.items():
                scratch.save_weights(staged / weights[backend], res.final_state)
            (staged / "model.json").write_text(json.dumps(description, indent=2) + "\n")
            (staged / "history.json").write_text(json.dumps(history, indent=1) + "\n")
            plot_history(
                results,
                spec,
                f"{spec.label()} on {source}",
                staged / "training_curve.png",
                device,
            )
            written = publish(staged, out)
        stale = remove_stale_weights(out, trained=list(results))
    print(f"saved {', '.join(p.name for p in written)} in {out}")
    if stale:
        print(
            f"removed {', '.join(p.name for p in stale)}: left from an earlier run, not "
            f"trained this time"
        )
    return 0 if verdict is None or verdict.ok else 1


def remove_stale_weights(out: Path, trained: Sequence[str]) -> list[Path]:
    """Delete ``out/weights_<backend>.npz`` of each backend not in ``trained`` (left by an
    earlier ``train`` into the same directory, they would not match ``model.json``); only
    those exact names, nothing else. Returns the files removed."""
    removed = []
    for backend in ("scratch", "torch"):
        path = out / f"weights_{backend}.npz"
        if backend not in trained and path.is_file():
            path.unlink()
            removed.append(path)
    return removed


# --------------------------------------------------------------------------------------------
# predict


def read_model(model_dir: Path) -> dict[str, Any]:
    """``model.json`` from a ``train`` output directory, checked for what ``predict`` needs."""
    path = model_dir / "model.json"
    if not model_dir.is_dir():
        raise FileNotFoundError(f"no such model directory: {model_dir}")
    if not path.is_file():
        raise FileNotFoundError(f"{model_dir} has no model.json (write one with nn-parity train)")
    try:
        desc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(desc, dict) or desc.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path}: not an nn-parity model description")
    needed = (
        "task",
        "in_features",
        "hidden",
        "out_features",
        "activations",
        "dtype",
        "features",
        "standardize",
        "weights",
    )
    missing = [k for k in needed if k not in desc]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}")
    if len(desc["features"]) != desc["in_features"]:
        raise ValueError(
            f"{path}: {len(desc['features'])} feature names for {desc['in_features']} inputs"
        )
    return desc


def read_inputs(
    path: Path, features: Sequence[str], target: str | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Raw features ``(N, D)`` in the model's column order, and the target column if present.

    ``.csv``: a header row and numeric rows; columns are matched by name, others ignored.
    ``.npz``: named 1-D columns, or a 2-D ``X`` whose columns are the features in training
    order (plus an optional 1-D target array).
    """
    from .data import read_csv

    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        columns, values = read_csv(path)
        table = {c: values[:, j] for j, c in enumerate(columns)}
    elif suffix == ".npz":
        table = _read_npz_columns(path, features)
    else:
        raise ValueError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .npz")
    missing = [f for f in features if f not in table]
    if missing:
        raise ValueError(
            f"{path}: missing feature column(s) {missing}; "
            f"the model was trained on {list(features)}"
        )
    X = np.column_stack([np.asarray(table[f], dtype=np.float64) for f in features])
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise ValueError(
            f"{path}: feature {features[col]!r} is missing or not finite at data row {row + 1}"
        )
    if len(X) == 0:
        raise ValueError(f"{path}: no data rows")
    y = table.get(target) if target is not None else None
    return X, None if y is None else np.asarray(y, dtype=np.float64)


def _read_npz_columns(path: Path, features: Sequence[str]) -> dict[str, np.ndarray]:
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path}: not a readable .npz archive of arrays ({err})") from None
    if "X" in arrays and arrays["X"].ndim == 2:
        X = arrays.pop("X")
        if X.shape[1] != len(features):
            raise ValueError(f"{path}: X has {X.shape[1]} columns, the model takes {len(features)}")
        table = {f: X[:, j] for j, f in enumerate(features)}
        table.update({k: v for k, v in arrays.items() if v.ndim == 1 and len(v) == len(X)})
        return table
    bad = {k: v.shape for k, v in arrays.items() if v.ndim != 1}
    if bad or len({len(v) for v in arrays.values()}) > 1:
        raise ValueError(
            f"{path}: expected a 2-D 'X' or 1-D columns of equal length; got shapes "
            f"{ {k: v.shape for k, v in arrays.items()} }"
        )
    return arrays


def cmd_predict(args: argparse.Namespace) -> int:
    """``nn-parity predict``: run a saved network on a file, write predictions as CSV."""
    model_dir = Path(args.model)
    desc = read_model(model_dir)
    weights = Path(args.weights) if args.weights else model_dir / _pick_weights(desc, args.backend)
    output = Path(args.output) if args.output else None
    if output is not None and not output.parent.is_dir():
        raise FileNotFoundError(f"--output: no such directory: {output.parent}")
    if output is not None and output.is_dir():
        raise ValueError(f"--output {str(output)!r} is a directory; give a file name")
    X_raw, y = read_inputs(Path(args.data), desc["features"], desc.get("target"))
    std = desc["standardize"]
    X = ((X_raw - np.asarray(std["x_mean"])) / np.asarray(std["x_std"])).astype(desc["dtype"])
    task = desc["task"]
    with limit_threads(args.threads):
        device = resolve_device(args.device)
        state = _load_weights(weights, args.backend)
        pred, proba = _predict(desc, state, X, args.backend, device, weights)
    if task == "regression":
        pred = pred.reshape(-1).astype(np.float64)
        if std.get("y_std") is not None:
            pred = pred * std["y_std"] + std["y_mean"]
    text = predictions_csv(pred, proba, task)
    if output is None:
        sys.stdout.write(text)
    else:
        from .atomic import write_text_atomic

        write_text_atomic(output, text)
        print(f"wrote {len(pred)} predictions to {output}", file=sys.stderr)
    if y is not None:
        if not np.isfinite(y).all():
            print(f"target column {desc['target']!r} has missing values: no score", file=sys.stderr)
        elif task == "regression":
            mse = float(np.mean((pred - y) ** 2))
            print(
                f"MSE on these {len(y)} rows (target units): {mse:.6g}, "
                f"RMSE {float(np.sqrt(mse)):.6g}",
                file=sys.stderr,
            )
        else:
            print(f"accuracy over {len(y)} rows: {float(np.mean(pred == y)):.4f}", file=sys.stderr)
    return 0


def _pick_weights(desc: dict[str, Any], backend: str) -> str:
    """The backend's own weights file if it was trained, else the other (same keys/shapes)."""
    files = desc["weights"]
    if not isinstance(files, dict) or not files:
        raise ValueError("model.json lists no weights files")
    return str(files.get(backend, next(iter(files.values()))))


def _load_weights(path: Path, backend: str) -> dict[str, np.ndarray]:
    if backend == "scratch":
        import scratch

        return scratch.load_weights(path)
    import torch_impl

    return torch_impl.load_weights(path)


def _predict(
    desc: dict[str, Any],
    state: dict[str, np.ndarray],
    X: np.ndarray,
    backend: str,
    device: str,
    weights: Path,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Predictions ``(N,)`` labels or ``(N, out)`` values, and class probabilities or None."""
    args = (
        desc["in_features"],
        desc["hidden"],
        desc["out_features"],
        desc["activations"],
        desc.get("output_activation"),
    )
    task = desc["task"]
    predict: Callable[..., np.ndarray]
    predict_proba: Callable[..., np.ndarray]
    load: Callable[[Any, dict[str, np.ndarray]], None]
    if backend == "scratch":
        import scratch

        model: Any = scratch.build_model(*args, dtype=desc["dtype"], rng=np.random.default_rng(0))
        load = scratch.Sequential.load_state_dict
        predict, predict_proba = scratch.predict, scratch.predict_proba
    else:
        import torch_impl

        model = torch_impl.build_model(*args, dtype=desc["dtype"], device=device)
        load = torch_impl.load_numpy_state_dict
        predict, predict_proba = torch_impl.predict, torch_impl.predict_proba
    check_weights(state, {k: tuple(v.shape) for k, v in model.state_dict().items()}, weights)
    load(model, state)
    proba = None if task == "regression" else predict_proba(model, X, task)
    return predict(model, X, task), proba


def check_weights(
    state: dict[str, np.ndarray], expected: dict[str, tuple[int, ...]], path: Path
) -> None:
    """ValueError, one sentence, unless ``state`` has exactly the keys and shapes of
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
        raise ValueError(
            f"{path}: weights do not fit the network in model.json: {'; '.join(problems)}"
        )


def predictions_csv(pred: np.ndarray, proba: np.ndarray | None, task: str) -> str:
    """CSV text: ``prediction`` (a class label, or a value in the target's units) and, for
    classification, ``p_<class>`` per class; floats written with full round-trip precision."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if proba is not None and task == "binary":
        proba = np.hstack([1 - proba, proba])
    header = ["prediction"] + (
        [f"p_{k}" for k in range(proba.shape[1])] if proba is not None else []
    )
    writer.writerow(header)
    for i, p in enumerate(pred):
        row = [str(int(p))] if task != "regression" else [repr(float(p))]
        if proba is not None:
            row += [repr(float(v)) for v in proba[i]]
        writer.writerow(row)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# argument parsing and the entry point


def cmd_bench(args: argparse.Namespace) -> int:
    """``nn-parity bench``: see ``parity.bench``."""
    from .bench import bench

    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    with limit_threads(args.threads):
        print(bench(names, repeats=args.repeats, dtype=args.dtype))
    return 0


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose option errors are one line, as every other error of the
    command: ``nn-parity: error: MESSAGE (see nn-parity COMMAND --help)``, exit status 2."""

    help_hint: str | None = None  # the help to point to; default: this parser's own

    def error(self, message: str) -> NoReturn:
        hint = self.help_hint or f"{self.prog} --help"
        self.exit(2, f"{PROG}: error: {message} (see {hint})\n")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` after each option's help, except where there is no default
    to show (None, a flag) or the help already explains it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def installed_version() -> str:
    """The installed ``nn-parity`` distribution's version, or ``"unknown"``."""
    import importlib.metadata

    try:
        return importlib.metadata.version("nn-parity")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> _Parser:
    """The ``nn-parity`` argument parser with its four sub-commands."""
    from .bench import CONFIGS

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--threads",
        type=_positive_int,
        default=1,
        metavar="N",
        help="torch and BLAS threads (default: 1, the fastest for these small networks)",
    )
    devices = ("auto", "cpu", "cuda")
    kw: dict[str, Any] = {"parents": [common], "formatter_class": _HelpFormatter}

    parser = _Parser(
        prog=PROG,
        description="One feed-forward network written twice (NumPy from scratch, PyTorch), "
        "proven equal.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    sub = parser.add_subparsers(dest="command_name", required=True, metavar="COMMAND")

    rep = sub.add_parser(
        "report",
        help="run the parity grid and write reports/REPORT.md",
        description="Run the parity grid, the dataset runs and the claim experiments; "
        "write REPORT.md and figures/ into --out (atomically). The default --out is the "
        "committed reports/, rewritten in place; give another directory to keep a checkout "
        "clean.",
        **kw,
    )
    rep.add_argument(
        "--quick", action="store_true", help="a representative subset with fewer steps (under 30 s)"
    )
    rep.add_argument("--out", default="reports", metavar="DIR", help="output directory")
    rep.add_argument(
        "--device",
        choices=devices,
        default="cpu",
        help="where the torch side runs (auto: CUDA if available, else cpu)",
    )
    rep.add_argument(
        "--dtype",
        choices=("float64", "float32", "both"),
        default="both",
        help="the grid's dtype(s); the dataset runs use the first",
    )
    rep.add_argument("--seed", type=int, default=0, help="seed of weights, batches and data")
    rep.set_defaults(handler=cmd_report)

    tr = sub.add_parser(
        "train",
        help="train one network on a dataset or a CSV/.npz file",
        description="Train one network and save weights_<backend>.npz, model.json, "
        "history.json and training_curve.png into --out.",
        **kw,
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
    tr.add_argument(
        "--backend",
        choices=("scratch", "torch", "both"),
        default="both",
        help="which implementation trains; both: each side from the same initial weights and "
        "batch order, then the parity verdict",
    )
    tr.add_argument(
        "--dtype", choices=("float64", "float32"), default="float64", help="parameter dtype"
    )
    tr.add_argument("--device", choices=devices, default="cpu", help="where the torch side runs")
    tr.add_argument(
        "--seed", type=int, default=0, help="seed of weights, batch order and train/test split"
    )
    tr.add_argument(
        "--out", metavar="DIR", help="output directory (default: runs/<dataset or file name>)"
    )
    tr.set_defaults(handler=cmd_train)

    pr = sub.add_parser(
        "predict",
        help="predict with saved weights",
        description="Load a network saved by 'train' and predict for a CSV/.npz "
        "file; writes CSV (prediction, class probabilities) to --output or stdout.",
        **kw,
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
        choices=("scratch", "torch"),
        default="scratch",
        help="which implementation runs inference, whichever one trained the weights",
    )
    pr.add_argument(
        "--weights",
        metavar="FILE",
        help="a weights .npz (default: the backend's file in --model, else the other's)",
    )
    pr.add_argument("--device", choices=devices, default="cpu", help="where the torch backend runs")
    pr.add_argument("--output", metavar="FILE", help="CSV file to write (default: stdout)")
    pr.set_defaults(handler=cmd_predict)

    configs = ", ".join(
        f"{name} (hidden {'x'.join(map(str, hidden))}, batch {batch})"
        for name, (hidden, batch) in CONFIGS.items()
    )
    be = sub.add_parser(
        "bench",
        help="time scratch against torch (ratios within one run)",
        description="Median time per training step and per inference pass of both "
        "implementations on digits (relu, SGD), interleaved repeat by repeat; prints the "
        f"scratch/torch ratios. Configs: {configs}.",
        **kw,
    )
    be.add_argument(
        "--configs", default=",".join(CONFIGS), help=f"comma list of configs: {', '.join(CONFIGS)}"
    )
    be.add_argument(
        "--repeats", type=_positive_int, default=5, metavar="N", help="interleaved repeats"
    )
    be.add_argument(
        "--dtype", choices=("float64", "float32"), default="float64", help="parameter dtype"
    )
    be.set_defaults(handler=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``nn-parity`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in ("report", "train", "predict", "bench"):
        # errors the main parser reports (an unknown option) belong to the command
        parser.help_hint = f"{PROG} {argv[0]} --help"
    args = parser.parse_args(argv)  # exits 2 with one line on a bad option (_Parser.error)
    args.command = shlex.join([PROG, *argv])
    try:
        return int(args.handler(args))
    except BrokenPipeError:  # stdout closed early (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (ValueError, TypeError, KeyError, OSError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
