"""``nn-parity`` itself: the parser built from the command modules, option errors as one
line and exit 2, ``--help`` and ``--version``, and what ``--help`` imports."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from cli_support import assert_one_line_error, cli, imported_by, nothing_written

from parity.cli import COMMANDS, build_parser, installed_version, main


def test_help_imports_neither_torch_nor_matplotlib():
    code = (
        "import sys\n"
        "from parity.cli import build_parser\n"
        "build_parser().format_help()\n"
        "print(sorted(m for m in ('torch', 'matplotlib', 'sklearn') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    helped = subprocess.run(
        [sys.executable, "-m", "parity.cli", "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0
    assert "report" in helped.stdout and "predict" in helped.stdout


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("command", ["train", "report"])
def test_cuda_requested_without_cuda(command, tmp_path, capsys):
    out = tmp_path / "out"
    extra = ["--dataset", "moons"] if command == "train" else []
    status, stdout, err = cli(capsys, command, *extra, "--device", "cuda", "--out", out)
    assert_one_line_error(status, stdout, err, "--device cuda: no CUDA device is available")
    assert "use --device cpu, or --device auto" in err and "device='cpu'" not in err
    nothing_written(tmp_path, out)


ARGPARSE_ERRORS = {
    "backend": (["train", "--dataset", "moons", "--backend", "jax"],
                "argument --backend: invalid choice: 'jax'", "train"),
    "init": (["train", "--dataset", "moons", "--init", "foo"],
             "argument --init: invalid choice: 'foo'", "train"),
    "device": (["train", "--dataset", "moons", "--device", "gpu"],
               "argument --device: invalid choice: 'gpu'", "train"),
    "threads": (["train", "--dataset", "moons", "--threads", "0"],
                "argument --threads: expected a positive integer, got '0'", "train"),
    "repeats": (["bench", "--repeats", "0"],
                "argument --repeats: expected a positive integer, got '0'", "bench"),
    "data-and-dataset": (["train", "--data", "x.csv", "--dataset", "moons"],
                         "argument --dataset: not allowed with argument --data", "train"),
    "unknown-option": (["predict", "--model", "m", "--data", "d.csv", "--bogus"],
                       "unrecognized arguments: --bogus", "predict"),
    "no-command": ([], "the following arguments are required: COMMAND", None),
    "unknown-command": (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'", None),
}  # fmt: skip


@pytest.mark.parametrize("case", ARGPARSE_ERRORS, ids=list(ARGPARSE_ERRORS))
def test_argparse_errors_are_one_line_and_exit_2(case, capsys):
    argv, message, command = ARGPARSE_ERRORS[case]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    hint = f"nn-parity {command} --help" if command else "nn-parity --help"
    assert out == ""
    assert err.startswith(f"nn-parity: error: {message}") and err.endswith(f" (see {hint})\n")
    assert err.count("\n") == 1 and "usage:" not in err


def _help(capsys, *argv):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # unwrapped


def test_help_shows_defaults_and_bench_configs(capsys):
    train = _help(capsys, "train")
    for default in (
        "passes over the training split (default: 20)",
        "learning rate (default: 0.1)",
        "minibatch size (default: 32)",
        "update rule (default: sgd)",
        "SGD momentum (default: 0.0)",
        "(default: both)",
        "(default: float64)",
    ):
        assert default in train, default
    assert "(default: None)" not in train
    predict = _help(capsys, "predict")
    assert "trained the weights (default: scratch)" in predict
    bench = _help(capsys, "bench")
    for config in (
        "tiny (2-16-16-2, batch 32)",
        "small (64-128-128-10, batch 64)",
        "large (784-1024-1024-10, batch 256)",
        "interleaved repeats (default: 5)",
    ):
        assert config in bench, config


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    from importlib.metadata import version

    assert capsys.readouterr().out == f"nn-parity {version('nn-parity')}\n"
    assert installed_version() == version("nn-parity")
    assert isinstance(build_parser().format_help(), str)


@pytest.mark.parametrize("command", ["", *build_parser().commands])
def test_every_help_imports_no_heavy_library(command):
    """``nn-parity [COMMAND] --help`` in a fresh interpreter: no torch, matplotlib, sklearn."""
    argv = [command, "--help"] if command else ["--help"]
    code = f"from parity.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    assert imported_by(code) == "[]"


@pytest.mark.parametrize(
    ("argv", "module"),
    [
        (["report"], "parity.cli.report"),
        (["train", "--dataset", "xor"], "parity.cli.train"),
        (["predict", "--model", "m", "--data", "d.csv"], "parity.cli.predict"),
        (["bench"], "parity.cli.bench"),
        (["check", "--self"], "parity.cli.check"),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else None,
)
def test_each_command_module_registers_its_run(argv, module):
    """The parser is built from ``COMMANDS``: each sub-command runs its own module's ``run``."""
    import importlib

    assert build_parser().commands == ("report", "train", "predict", "bench", "check")
    assert module in {m.__name__ for m in COMMANDS}
    assert build_parser().parse_args(argv).handler is importlib.import_module(module).run


def test_the_process_entry_leaves_its_objects_to_the_os(monkeypatch, tmp_path, capsys):
    """Run as the program (argv from sys.argv), ``main`` freezes the live objects once the
    command has finished, so that the interpreter's shutdown does not collect them one by
    one (~1 s with torch loaded); called with an argv (a library call, these tests) it
    leaves the collector alone."""
    import gc
    import signal

    model = tmp_path / "run"
    monkeypatch.setattr(sys, "argv", ["nn-parity", "--version"])
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit):  # --version exits from the parser: no command ran
            main()
        assert gc.get_freeze_count() == 0
        args = ["train", "--dataset", "xor", "--epochs", "1", "--backend", "scratch"]
        assert main([*args, "--out", str(model)]) == 0
        assert gc.get_freeze_count() == 0  # a library call
        monkeypatch.setattr(sys, "argv", ["nn-parity", *args, "--out", str(model / "again")])
        assert main() == 0
        assert gc.get_freeze_count() > 0  # the program: frozen for the exit
    finally:
        gc.unfreeze()
        for signum, handler in handlers.items():  # the program's exit handlers: not ours
            signal.signal(signum, handler)
    capsys.readouterr()
