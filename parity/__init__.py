"""The parity harness: joins ``scratch`` and ``torch_impl`` and proves they agree.

>>> from parity import RunSpec, run
>>> result = run(RunSpec(dataset="moons", hidden=(16, 16), activation="tanh"))
>>> print(result.summary())  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .spec import RunSpec

if TYPE_CHECKING:
    from .runner import ParityResult

__all__ = ["ParityResult", "RunSpec", "run"]


def run(spec: RunSpec, **kwargs: Any) -> ParityResult:
    """Run ``spec`` on both implementations and compare them (see ``parity.runner.run``).

    Imported lazily so that ``import parity`` (and the CLI's ``--help``) does not pay for
    ``import torch``.
    """
    from .runner import run as _run

    return _run(spec, **kwargs)
