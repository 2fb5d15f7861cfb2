"""The finite-difference oracle on your own loss, and the three-way verdict it supports.

For a sample of entries ``k`` of each parameter, ``(L(p + eps e_k) - L(p - eps e_k)) /
(2 eps)`` with ``L`` *your* loss, compared with *your* gradient at those entries (float64,
``eps = 1e-6``; error relative to your largest gradient, ``tolerance("finite_difference")``).
So the oracle tells apart:

* a backward bug: your gradients disagree with your own loss;
* a different definition: your gradients are right for your loss, but your loss is not
  torch's (a sum instead of a mean, a penalty torch's loss does not have);
* agreement: your loss is torch's and your gradients are its gradients.

Kinks. At a ReLU input exactly 0 (zero biases on an all-zero row) your loss has a kink: its
derivative is not defined there, and the central difference is the average of the two
one-sided slopes, which no mask reproduces. An entry is at a kink when the central
differences at ``eps`` and ``eps/2`` disagree, or when the one-sided differences
``D(h) = (L(p+h) - 2 L(p) + L(p-h)) / h`` do not shrink with ``h`` as a smooth loss's do
(``D(h) = h L''``; at a kink ``D(h) = J + h L''`` with ``J`` the jump in slope, so
``D(eps/2) - D(eps)/2 = J/2``). There your gradient must lie between the two one-sided
slopes (any mask choice at 0 does: torch's ``x > 0`` and a ``x >= 0`` alike); a smooth
entry taken for a kink by rounding noise gets an interval of width ~0, so nothing is lost.

The oracle judges your code only; it never overrides agreement with torch row for row (see
``verdict``). It needs float64 arithmetic: code that computes in float32 whatever it is
given is recognised (float32 gradients, or losses that are all float32 numbers) and the
oracle says so instead of blaming the backward.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.rows import FAILS, OK, Row
from parity.compare import Comparison
from parity.tolerances import tolerance

EPS = 1e-6
SAMPLES = 12  # entries per parameter: the largest gradients and a random few
# --oracle: entries per parameter (on top of the focus entries, at most half as many)
MODES = {"full": SAMPLES, "quick": 3, "off": 0}
# A loss summed over a batch is a few roundings off in its last bits; the kink statistics
# combine up to six such values divided by eps/2, so 16 roundings bound their noise.
NOISE_ULPS = 16
FLOAT32 = (
    "your code computes in float32 even when given float64 ({why}; {cause}); the "
    "finite-difference oracle needs float64 arithmetic, so it cannot judge your gradients "
    "({fix} to get its verdict)"
)
# why your code computes in float32, and the fix (diagnose/precision.py words other causes)
CASTS = ("it casts to float32", "remove the cast to float32")


@dataclass(frozen=True)
class Differences:
    """Your loss around the probed entries of one parameter: ``L(p)`` and, per entry,
    ``L(p + eps)``, ``L(p - eps)``, ``L(p + eps/2)``, ``L(p - eps/2)``."""

    base: float
    plus: np.ndarray
    minus: np.ndarray
    plus_half: np.ndarray
    minus_half: np.ndarray

    def central(self) -> np.ndarray:
        return (self.plus_half - self.minus_half) / EPS

    def kinks(self, allow: float) -> np.ndarray:
        """Entries at a kink of your loss (see the module docstring); ``allow`` is the
        absolute error the comparison tolerates. Differences below the rounding noise of
        the loss values (``NOISE_ULPS`` roundings of the largest, over ``eps/2``) are not
        evidence of a kink."""
        noise = NOISE_ULPS * np.finfo(np.float64).eps * np.abs(self.values()).max() / (EPS / 2)
        wide = (self.plus - self.minus) / (2 * EPS)
        d_eps = (self.plus - 2 * self.base + self.minus) / EPS
        d_half = (self.plus_half - 2 * self.base + self.minus_half) / (EPS / 2)
        return (np.abs(wide - self.central()) > max(allow / 2, noise)) | (
            np.abs(d_half - d_eps / 2) > max(allow, noise)
        )

    def one_sided(self) -> tuple[np.ndarray, np.ndarray]:
        """The lower and upper of the two one-sided slopes, each extrapolated to ``h = 0``
        from ``h = eps`` and ``eps/2`` (``2 R(eps/2) - R(eps)``: a one-sided difference is off
        by ``h L''/2``, more than the tolerance, and the extrapolation removes that)."""
        right = 2 * (self.plus_half - self.base) / (EPS / 2) - (self.plus - self.base) / EPS
        left = 2 * (self.base - self.minus_half) / (EPS / 2) - (self.base - self.minus) / EPS
        return np.minimum(left, right), np.maximum(left, right)

    def values(self) -> np.ndarray:
        return np.concatenate([[self.base], self.plus, self.minus, self.plus_half, self.minus_half])


def _entries(
    grad: np.ndarray, rng: np.random.Generator, focus: np.ndarray, samples: int = SAMPLES
) -> np.ndarray:
    """Flat indices to probe: ``focus`` (where yours and torch's differ most, at most
    ``samples // 2`` of them), then half of ``samples`` with the largest |gradient|, the rest
    at random."""
    flat = np.abs(grad).ravel()
    n = min(samples, flat.size)
    focus = focus[: max(1, samples // 2)]
    top = np.argsort(flat)[::-1][: n // 2]
    rest = rng.permutation(flat.size)
    first = [int(i) for i in focus]
    order = list(dict.fromkeys([*first, *(int(i) for i in np.concatenate([top, rest]))]))
    return np.array(order[: len(first) + n], dtype=np.int64)


def _fresh(impl: Functional | Layers) -> Functional | Layers:
    """A copy of a ``Layers`` implementation, so the oracle's many calls leave your objects
    (and whatever state they keep) as they were; ``Functional`` works on copies already."""
    if isinstance(impl, Layers):
        try:
            return copy.deepcopy(impl)
        except Exception:  # an object that cannot be copied: the restored originals will do
            return impl
    return impl


def float32_inside(
    grads: dict[str, np.ndarray], losses: np.ndarray, cause: tuple[str, str] = CASTS
) -> str:
    """Why your code evidently computes in float32 although given float64, or "";
    ``cause``: what makes it, and the fix (default: your code casts)."""
    fill = {"cause": cause[0], "fix": cause[1]}
    low = [
        k
        for k, g in grads.items()
        if np.issubdtype(np.asarray(g).dtype, np.floating) and np.asarray(g).dtype.itemsize < 8
    ]
    if low:
        why = f"your gradient of {low[0]} comes back {grads[low[0]].dtype}"
        return FLOAT32.format(why=why, **fill)
    distinct = np.unique(losses)
    if len(distinct) > 2 and np.array_equal(distinct.astype(np.float32), distinct):
        return FLOAT32.format(why="every loss it returns is a float32 number", **fill)
    return ""


def oracle_rows(
    impl: Functional | Layers,
    X: np.ndarray,
    y: np.ndarray,
    seed: int,
    grads: dict[str, np.ndarray] | None = None,
    focus: dict[str, np.ndarray] | None = None,
    samples: int = SAMPLES,
    float32: tuple[str, str] = CASTS,
) -> tuple[list[Row], str, int]:
    """Per parameter, your gradient against differences of your own loss (float64).

    ``grads``: your float64 gradients from the check's first call (default: a fresh call
    here). ``focus``: flat entries to probe first, per parameter (where yours and torch's
    differ most). ``samples``: entries per parameter (``MODES``). Returns the rows, a
    one-line reason when the oracle could not judge, and how many times it called your loss.
    ``float32``: why your code would compute in float32, and the fix (``float32_inside``).
    """
    focus = focus or {}
    calls = [0]
    run = _fresh(impl).bind("float64")
    X64 = X.astype(np.float64)
    y_in = y.astype(np.float64) if np.issubdtype(y.dtype, np.floating) else y
    try:
        if grads is None:
            _, grads = run.loss_and_grads(X64, y_in)
        yours = run.oracle_loss(X64, y_in)

        def loss() -> float:
            calls[0] += 1
            return yours()

        base = loss()
        arrays = run.arrays()
        rng = np.random.default_rng([seed, 11])
        picked = {
            k: _entries(np.asarray(g), rng, focus.get(k, np.zeros(0, np.int64)), samples)
            if np.shape(g) == arrays[k].shape
            else None
            for k, g in grads.items()
        }
        numeric = {
            k: _differences(loss, base, arrays[k], idx)
            for k, idx in picked.items()
            if idx is not None
        }
    except Exception as err:  # your code raised: the earlier stages show where
        return [], f"your loss raised {type(err).__name__}: {err}", calls[0]
    finally:
        run.restore()
    values = np.concatenate([[base]] + [d.values() for d in numeric.values()])
    why = float32_inside(grads, values, float32)
    if why:
        return [], why, calls[0]
    return _rows(grads, arrays, picked, numeric), "", calls[0]


def _rows(
    grads: dict[str, np.ndarray],
    arrays: dict[str, np.ndarray],
    picked: dict[str, np.ndarray | None],
    numeric: dict[str, Differences],
) -> list[Row]:
    numbers = [np.abs(np.asarray(g, np.float64)).max() for g in grads.values()]
    numbers += [np.abs(d.central()).max() for d in numeric.values() if len(d.plus)]
    scale = max([float(x) for x in numbers] + [1e-300])
    rows = []
    for k, g in grads.items():
        m = _measure(np.asarray(g, np.float64), arrays[k].shape, picked[k], numeric.get(k), scale)
        status = OK if m.ok else FAILS
        rows.append(
            Row("oracle", k, "gradient vs your own loss", "finite differences", m, status=status)
        )
    return rows


def _entry_words(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


def _measure(
    g: np.ndarray,
    shape: tuple[int, ...],
    idx: np.ndarray | None,
    numeric: Differences | None,
    scale: float,
) -> Comparison:
    """Your gradient at the probed entries against the central differences there, or at a
    kink against the interval between the one-sided differences."""
    tol = tolerance("finite_difference", "float64").value
    if idx is None or numeric is None:
        return Comparison.failed(
            "oracle", tol, f"your gradient has shape {g.shape}, the parameter {shape}"
        )
    allow = tol * scale
    kink = numeric.kinks(allow)
    low, high = numeric.one_sided()
    central = numeric.central()
    low, high = np.where(kink, low, central), np.where(kink, high, central)
    yours = g.ravel()[idx]
    diff = np.maximum(0.0, np.maximum(low - yours, yours - high))
    err = float(diff.max()) / scale
    n = int(kink.sum())
    note = (
        f"{_entry_words(n)} at a kink of your loss (a ReLU input at 0, or within eps = "
        f"{EPS:g} of it): judged between the one-sided slopes"
        if n
        else ""
    )
    return Comparison("oracle", float(diff.max()), math.inf, err, tol, err <= tol, note=note)


def _differences(
    loss: Callable[[], float], base: float, arr: np.ndarray, idx: np.ndarray
) -> Differences:
    """Your loss at ``p +- eps`` and ``p +- eps/2`` for the flat entries ``idx`` of ``arr``,
    perturbing in place and restoring exactly. Indexing by ``unravel_index`` works on any
    view (``W.T`` too), where ``arr.reshape(-1)`` of a non-contiguous array would perturb a
    copy."""
    out = np.empty((4, len(idx)))
    for j, k in enumerate(idx):
        at = np.unravel_index(int(k), arr.shape)
        orig = arr[at]
        for row, step in enumerate((EPS, -EPS, EPS / 2, -EPS / 2)):
            arr[at] = orig + step
            out[row, j] = loss()
        arr[at] = orig
    return Differences(base, *out)


def _kinks_explain(oracle: list[Row], rows: list[Row]) -> bool:
    """Your failing gradients' oracle rows all found kinks (and agree there)."""
    failing = {r.name for r in rows if not r.ok}
    probed = [r for r in oracle if r.name in failing]
    return bool(probed) and all(r.note for r in probed)


def verdict(rows: list[Row], oracle: list[Row], training: list[Row], why: str = "") -> str:
    """The three-way verdict from the forward/backward rows and the oracle rows (and a word
    on the training steps, when they are what failed). Agreement with torch row for row is
    never overridden by the oracle: your gradients are then torch's autograd of your loss,
    and an oracle disagreement can only be the differences' own limit."""
    torch_ok = all(r.ok for r in rows)
    crash = next((r.problem for r in training if r.raised), "")
    train = (
        f"; your code {crash} (a crash, not another update rule)"
        if crash
        else ""
        if all(r.ok for r in training)
        else "; your training steps are not torch's"
    )
    if torch_ok:
        head = "agrees in one pass" if train else "agrees"
        head += ": your loss is torch's and your gradients are its gradients" + train
        if not oracle:
            return f"{head} (row for row; no verdict from the oracle: {why})"
        bad = [r.name for r in oracle if not r.ok]
        if bad:
            head += (
                f" (row for row; the finite differences of your loss disagree at "
                f"{', '.join(bad)}, which only their own limits explain, so they do not count)"
            )
        return head
    if not oracle:
        return f"no verdict: the oracle did not run: {why or 'no parameters'}"
    if not all(r.ok for r in oracle):
        return "backward bug: your gradients disagree with your own loss (finite differences)"
    if all(r.ok for r in rows if r.stage == "forward") and _kinks_explain(oracle, rows):
        return (
            "a choice at a kink: your loss is torch's and your gradients agree with its "
            "finite differences, but not with torch's: they differ where your loss has a kink "
            "(a ReLU input exactly 0), where the derivative is not defined and torch's "
            "gradient is 0 by convention"
        )
    return (
        "different definition: your gradients are right for your own loss, but your loss "
        "is not torch's"
    )
