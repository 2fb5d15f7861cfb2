"""Check your own network against PyTorch: find the first wrong layer and name the mistake.

>>> from parity.check import Functional, Layers, check, assert_matches_torch
>>> report = check(Functional(loss_fn, params, activation="relu", head="multiclass"),
...                dataset="digits", rows=64)  # doctest: +SKIP
>>> print(report.table())  # doctest: +SKIP

``Functional`` wraps a CS231n-style ``loss_fn(X, y, params) -> (loss, grads)``; ``Layers``
wraps layer objects with ``forward``/``backward`` and a loss object; ``Torch`` your PyTorch
port (``nn.Module``, loss, optimizer). ``check`` runs the
stages (structure, forward, backward, a finite-difference oracle on your own loss, training)
against ``torch_impl`` and returns a ``CheckReport``. Importing this package does not import
torch or matplotlib; they load when a check runs or a figure is written. See docs/CHECK.md.
"""

from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.adapters.torch_port import Torch
from parity.check.adapters.wrappers import Wrapped, WrappedLoss
from parity.check.api import assert_matches_torch, check
from parity.check.report import CheckReport
from parity.check.rows import Diagnosis, Divergence, Row

__all__ = [
    "CheckReport",
    "Diagnosis",
    "Divergence",
    "Functional",
    "Layers",
    "Row",
    "Torch",
    "Wrapped",
    "WrappedLoss",
    "assert_matches_torch",
    "check",
]
