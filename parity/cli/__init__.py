"""The ``nn-parity`` command: ``report``, ``train``, ``predict``, ``bench`` and ``check``.

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
    nn-parity bench   [--configs tiny,small,medium,large] [--repeats N] [--dtype both]
                      [--device cpu|cuda] [--out DIR] [--quick]
    nn-parity check   FILE.py[:NAME] | --self | --demo [NAME]   (see parity.cli.check)
    nn-parity --version

One module per command (``report``, ``train``, ``predict``, ``bench`` here; ``check`` in
``parity.cli.check``), each with ``add_parser(subparsers)`` and ``run(args)``; ``main``
lists them in ``COMMANDS``. ``common`` holds what they share, ``outputs`` where they write,
``model_card`` the typed ``model.json``.

Every command but ``check`` takes ``--threads N`` (default 1: the networks are small, and
thread pools spinning up for tiny matrices make torch several times slower on a few cores;
``bench`` defaults to every core, the machine it measures);
``--help`` shows every option's default.

Bad input (a mistyped option or value, an unknown dataset or activation, a missing or
malformed file, a target column that is absent, has NaNs, a single value or a class with
a single row, weights that do not fit the network, CUDA where there is none) ends with one
line ``nn-parity: error: ...`` on stderr (for an option, ``(see nn-parity COMMAND --help)``
after it) and exit status 2, before anything is written: it is a ``UsageError`` (a library
call on the user's input turns its ValueError into one with ``user_input()``) or an OSError.
A training run that diverges ends with one such line (which side, at which step, the loss,
``lower --lr (now ...)``) and exit status 1, writing nothing. Any other exception is a bug
and keeps its traceback. Every output is published by one helper (``parity._util.publish``),
which settles where a command writes before any work: ``--out`` and ``--output`` must be
writable and must not be one of the inputs, an existing ``--out`` must be empty or an
earlier output of the same command (its ``.nn-parity.json`` marker), and the output is
locked for the whole command (a concurrent command on it is refused, exit 2). Outputs are
staged under a hidden name and moved into place by rename: an ``--out`` directory is
swapped in whole, so it is all new or all old, never mixed; Ctrl-C and SIGTERM (exit 130 /
143) leave the previous output intact and nothing beside it. ``report`` exits 1 when a
parity check failed (the report is still written: it says what failed), 0 otherwise; so
does ``train --backend both`` when the two sides disagree.

torch, scikit-learn and matplotlib are imported only once a command needs them: ``--help``
and argument errors are immediate, ``train --backend scratch`` never imports torch, nor
scikit-learn for a file or for ``xor``, ``spirals`` and ``sine``, and matplotlib loads only
to draw a figure.
"""

from parity.cli.common import PROG, user_input
from parity.cli.main import COMMANDS, build_parser, installed_version, main
from parity.errors import UsageError

__all__ = ["COMMANDS", "PROG", "UsageError", "build_parser", "installed_version", "main",
           "user_input"]  # fmt: skip
