"""Per-example code: a loop over the rows accumulating gradients one example at a time, the
last layer a weight vector w2 (n,) with a scalar bias; regression on a sine."""

import numpy as np


def init(seed=8):
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0, 1, (1, 10)),
        "b1": rng.normal(0, 0.5, 10),
        "w2": rng.normal(0, 0.3, 10),
        "b2": 0.0,
    }


def make_loss(bug=None):
    def loss_fn(X, y, p):
        n = len(X)
        total = 0.0
        g = {k: np.zeros_like(np.asarray(v, dtype=float)) for k, v in p.items()}
        for x, t in zip(X, y, strict=True):
            z = x @ p["W1"] + p["b1"]
            h = np.tanh(z)
            out = h @ p["w2"] + p["b2"]
            err = out - t
            total += err**2
            d_out = 2 * err
            g["w2"] += d_out * h
            g["b2"] += d_out
            dz = d_out * p["w2"] * (1 - h**2)
            g["W1"] += np.outer(x, dz)
            g["b1"] += dz
        if bug == "half_mse":
            return total / (2 * n), {k: v / (2 * n) for k, v in g.items()}  # BUG: 1/2 MSE
        if bug == "no_mean":
            return total / n, g  # BUG: gradients summed, loss averaged
        return total / n, {k: v / n for k, v in g.items()}

    return loss_fn
