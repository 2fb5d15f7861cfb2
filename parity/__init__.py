"""The parity harness: joins ``scratch`` and ``torch_impl`` and proves they agree.

>>> from parity import RunSpec, run
>>> result = run(RunSpec(task="binary", hidden=(16, 16), activation="tanh"), data="moons")
>>> print(result.summary())  # doctest: +SKIP

``data`` is a built-in dataset's name (``parity.data.DATASETS``) or a ``parity.data.Dataset``;
``run(..., candidate=...)`` compares another ``parity.harness.sides.Implementation`` with torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parity._util import moved
from parity.spec import RunSpec

if TYPE_CHECKING:
    from parity.data import Dataset
    from parity.harness.runner import ParityResult

__all__ = ["ParityResult", "RunSpec", "run"]

moved.install()  # old module paths (parity.files, parity.sides...) keep working, with a warning


def run(spec: RunSpec, data: Dataset | str, **kwargs: Any) -> ParityResult:
    """Run ``spec`` on ``data`` with both implementations and compare them (see
    ``parity.harness.runner.run``).

    Imported lazily so that ``import parity`` (and the CLI's ``--help``) does not pay for
    ``import torch``.
    """
    from parity.harness.runner import run as _run

    return _run(spec, data, **kwargs)
