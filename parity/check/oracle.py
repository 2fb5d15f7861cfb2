"""The finite-difference oracle on your own loss, and the three-way verdict it supports.

For a sample of entries ``k`` of each parameter, ``(L(p + eps e_k) - L(p - eps e_k)) /
(2 eps)`` with ``L`` *your* loss, compared with *your* gradient at those entries (float64,
``eps = 1e-6``; error relative to your largest gradient, ``tolerance("finite_difference")``).
So the oracle tells apart:

* a backward bug: your gradients disagree with your own loss;
* a different definition: your gradients are right for your loss, but your loss is not
  torch's (a sum instead of a mean, a penalty torch's loss does not have);
* agreement: your loss is torch's and your gradients are its gradients.
"""

from __future__ import annotations

import numpy as np

from parity.tolerances import tolerance

from .functional import Functional
from .layers import Layers
from .measure import Measure
from .rows import FAILS, OK, Row

EPS = 1e-6
SAMPLES = 12  # entries per parameter: the largest gradients and a random few


def _entries(grad: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Flat indices to probe: the half with the largest |gradient|, the rest at random."""
    flat = np.abs(grad).ravel()
    n = min(SAMPLES, flat.size)
    top = np.argsort(flat)[::-1][: n // 2]
    rest = rng.permutation(flat.size)[:n]
    return np.unique(np.concatenate([top, rest]))[:n]


def oracle_rows(
    impl: Functional | Layers, X: np.ndarray, y: np.ndarray, seed: int
) -> tuple[list[Row], str]:
    """Per parameter, your gradient against differences of your own loss (float64).

    Returns the rows and a one-line problem when the oracle could not run (your code raised).
    """
    run = impl.bind("float64")
    X64 = X.astype(np.float64)
    y_in = y.astype(np.float64) if np.issubdtype(y.dtype, np.floating) else y
    try:
        _, grads = run.loss_and_grads(X64, y_in)
        loss = run.oracle_loss(X64, y_in)
        arrays = run.arrays()
        rng = np.random.default_rng([seed, 11])
        picked = {
            k: _entries(np.asarray(g), rng) if np.shape(g) == arrays[k].shape else None
            for k, g in grads.items()
        }
        numeric = {
            k: _differences(loss, arrays[k], idx) for k, idx in picked.items() if idx is not None
        }
    except Exception as err:  # your code raised: the earlier stages show where
        return [], f"the oracle could not run your loss: {type(err).__name__}: {err}"
    finally:
        run.restore()
    numbers = [np.abs(np.asarray(g, np.float64)).max() for g in grads.values()]
    numbers += [np.abs(d[0]).max() for d in numeric.values() if len(d[0])]
    scale = max([float(x) for x in numbers] + [1e-300])
    rows = []
    for k, g in grads.items():
        m = _measure(np.asarray(g, np.float64), arrays[k].shape, picked[k], numeric.get(k), scale)
        rows.append(
            Row(
                "oracle",
                k,
                "gradient vs your own loss",
                "finite differences",
                m,
                status=OK if m.ok else FAILS,
            )
        )
    return rows, ""


def _measure(
    g: np.ndarray,
    shape: tuple[int, ...],
    idx: np.ndarray | None,
    numeric: tuple[np.ndarray, np.ndarray] | None,
    scale: float,
) -> Measure:
    """Your gradient at the probed entries against the central differences there.

    An entry where the differences at ``eps`` and ``eps/2`` disagree lies at a kink of your
    loss (a ReLU input within ``eps`` of 0): differences cannot resolve a derivative there,
    so it is skipped rather than blamed.
    """
    tol = tolerance("finite_difference", "float64").value
    if idx is None or numeric is None:
        return Measure.failed(f"your gradient has shape {g.shape}, the parameter {shape}", tol)
    at_eps, at_half = numeric
    smooth = np.abs(at_eps - at_half) <= tol * scale / 2
    if not smooth.any():
        return Measure.failed("every probed entry sits at a kink of your loss", tol)
    diff = np.abs(g.ravel()[idx][smooth] - at_half[smooth])
    err = float(diff.max()) / scale
    skipped = int((~smooth).sum())
    return Measure(
        err,
        tol,
        err <= tol,
        float(diff.max()),
        problem=f"{skipped} entries at a kink skipped" if skipped and err > tol else "",
    )


def _differences(loss: object, arr: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of ``loss()`` at the flat entries ``idx`` of ``arr`` with ``EPS`` and
    ``EPS / 2``, perturbing in place and restoring exactly. Indexing by ``unravel_index``
    works on any view (``W.T`` too), where ``arr.reshape(-1)`` of a non-contiguous array
    would perturb a copy."""
    out = np.empty((2, len(idx)))
    for j, k in enumerate(idx):
        at = np.unravel_index(int(k), arr.shape)
        orig = arr[at]
        for row, eps in enumerate((EPS, EPS / 2)):
            arr[at] = orig + eps
            plus = loss()  # type: ignore[operator]
            arr[at] = orig - eps
            minus = loss()  # type: ignore[operator]
            arr[at] = orig
            out[row, j] = (plus - minus) / (2 * eps)
    return out[0], out[1]


def verdict(rows: list[Row], oracle: list[Row], training: list[Row]) -> str:
    """The three-way verdict from the forward/backward rows and the oracle rows (and a word
    on the training steps, when they are what failed)."""
    if not oracle:
        return "no verdict: the oracle did not run"
    own_ok = all(r.ok for r in oracle)
    torch_ok = all(r.ok for r in rows if r.stage in ("forward", "backward"))
    if torch_ok and own_ok:
        if not all(r.ok for r in training):
            return ("agrees in one pass: your loss is torch's and your gradients are its "
                    "gradients; your training steps are not torch's")  # fmt: skip
        return "agrees: your loss is torch's and your gradients are its gradients"
    if not own_ok:
        return "backward bug: your gradients disagree with your own loss (finite differences)"
    return (
        "different definition: your gradients are right for your own loss, but your loss "
        "is not torch's"
    )
