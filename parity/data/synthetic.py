"""NumPy copies of scikit-learn's ``make_moons``, ``make_circles`` and ``make_blobs``.

``parity.data``'s synthetic sets came from scikit-learn, whose import alone costs most of a
scratch-only command's start-up (~0.75 s). These copies make the same
``np.random.RandomState`` draws, in the same order, with the same arithmetic, so they return
*bit-identical* arrays (``parity_tests/data/test_data_samples.py`` compares them with
scikit-learn's for many seeds and sizes). Each follows scikit-learn 1.x's
``sklearn/datasets/_samples_generator.py`` for an integer ``n_samples`` and an integer
``random_state``:

* the points are laid out class by class, then shuffled as ``sklearn.utils.shuffle`` does
  (``idx = arange(n); rng.shuffle(idx)``), with the same ``RandomState``;
* moons and circles then add ``rng.normal(scale=noise, size=X.shape)`` when noise is given;
* blobs draws its centers ``rng.uniform(box, size=(centers, n_features))`` first and each
  cluster's points ``rng.normal(loc=center, scale=std, size=(n_k, n_features))``.

Labels are int64 (scikit-learn's ``intp``, the same on 64-bit platforms).
"""

from __future__ import annotations

import numpy as np

Arrays = tuple[np.ndarray, np.ndarray]


def _halves(n_samples: int) -> tuple[int, int]:
    """scikit-learn's split of ``n_samples``: the outer half first, the inner one gets the
    odd point."""
    n_out = n_samples // 2
    return n_out, n_samples - n_out


def _shuffle(X: np.ndarray, y: np.ndarray, rng: np.random.RandomState) -> Arrays:
    """``sklearn.utils.shuffle(X, y, random_state=rng)``: one permutation of the rows."""
    idx = np.arange(X.shape[0])
    rng.shuffle(idx)
    return X[idx], y[idx]


def _finish(
    X: np.ndarray,
    n_out: int,
    n_in: int,
    rng: np.random.RandomState,
    shuffle: bool,
    noise: float | None,
) -> Arrays:
    """Labels 0 (outer) and 1 (inner), the shuffle, then the noise, in scikit-learn's order."""
    y = np.hstack([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    if shuffle:
        X, y = _shuffle(X, y, rng)
    if noise is not None:
        X += rng.normal(scale=noise, size=X.shape)
    return X, y


def make_moons(
    n_samples: int = 100, *, shuffle: bool = True, noise: float | None = None,
    random_state: int | None = None,
) -> Arrays:  # fmt: skip
    """Two interleaving half circles: ``X (n_samples, 2)`` float64, ``y (n_samples,)`` int64.

    Twin of ``sklearn.datasets.make_moons`` (integer ``n_samples`` and seed), bit for bit.
    """
    n_out, n_in = _halves(n_samples)
    rng = np.random.RandomState(random_state)
    outer_x = np.cos(np.linspace(0, np.pi, n_out))
    outer_y = np.sin(np.linspace(0, np.pi, n_out))
    inner_x = 1 - np.cos(np.linspace(0, np.pi, n_in))
    inner_y = 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5
    X = np.vstack([np.append(outer_x, inner_x), np.append(outer_y, inner_y)]).T  # (n, 2)
    return _finish(X, n_out, n_in, rng, shuffle, noise)


def make_circles(
    n_samples: int = 100, *, shuffle: bool = True, noise: float | None = None,
    random_state: int | None = None, factor: float = 0.8,
) -> Arrays:  # fmt: skip
    """A large circle containing a smaller one (radius ``factor``): ``X (n_samples, 2)``
    float64, ``y (n_samples,)`` int64 (1 = inner).

    Twin of ``sklearn.datasets.make_circles`` (integer ``n_samples`` and seed), bit for bit.
    """
    n_out, n_in = _halves(n_samples)
    rng = np.random.RandomState(random_state)
    # endpoint=False so that the first point is not also the last
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer_x, outer_y = np.cos(t_out), np.sin(t_out)
    inner_x, inner_y = np.cos(t_in) * factor, np.sin(t_in) * factor
    X = np.vstack([np.append(outer_x, inner_x), np.append(outer_y, inner_y)]).T  # (n, 2)
    return _finish(X, n_out, n_in, rng, shuffle, noise)


def make_blobs(
    n_samples: int = 100, n_features: int = 2, *, centers: int = 3, cluster_std: float = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0), shuffle: bool = True,
    random_state: int | None = None,
) -> Arrays:  # fmt: skip
    """Isotropic Gaussian blobs around ``centers`` random centers in ``center_box``:
    ``X (n_samples, n_features)`` float64, ``y (n_samples,)`` int64 (the blob).

    Twin of ``sklearn.datasets.make_blobs`` for an integer ``n_samples``, ``centers`` and
    seed and a scalar ``cluster_std``, bit for bit: the first ``n_samples % centers`` blobs
    get one point more.
    """
    rng = np.random.RandomState(random_state)
    center_points = rng.uniform(center_box[0], center_box[1], size=(centers, n_features))
    stds = np.full(centers, cluster_std)
    sizes = [n_samples // centers + (k < n_samples % centers) for k in range(centers)]
    ends = np.cumsum(sizes)
    X = np.empty((n_samples, n_features), dtype=np.float64)
    y = np.empty(n_samples, dtype=np.int64)
    for k, n_k in enumerate(sizes):
        start = ends[k - 1] if k > 0 else 0
        X[start : ends[k]] = rng.normal(loc=center_points[k], scale=stds[k], size=(n_k, n_features))
        y[start : ends[k]] = k
    if shuffle:
        X, y = _shuffle(X, y, rng)
    return X, y
