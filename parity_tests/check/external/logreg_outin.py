"""Logistic regression (no hidden layer) as a plain function: ``theta`` = {"weights": (1, D),
"intercept": (1,)}, torch's (out, in) layout; a binary head.

Planted mistakes: ``bug_gradient_ascent_sign`` (the gradient of y - p instead of p - y),
``bug_intercept_rows`` (the intercept gradient per example, not summed).
"""

import numpy as np

from parity.check import Functional


def logistic(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def make_objective(sign=1.0, sum_intercept=True):
    def objective(features, labels, theta):
        logits = features @ theta["weights"].T + theta["intercept"]
        probs = logistic(logits)[:, 0]
        eps = 1e-300
        nll = -np.mean(labels * np.log(probs + eps) + (1 - labels) * np.log(1 - probs + eps))
        residual = sign * (probs - labels)[:, None] / len(labels)
        gradient = {
            "weights": residual.T @ features,
            "intercept": residual.sum(axis=0) if sum_intercept else residual,
        }
        return nll, gradient

    return objective


def _theta(n_features=30, seed=5):
    rng = np.random.default_rng(seed)
    return {"weights": rng.normal(0, 0.1, (1, n_features)), "intercept": np.array([0.05])}


def implementation():
    return Functional(make_objective(), _theta(), head="binary")


def bug_gradient_ascent_sign():
    return Functional(make_objective(sign=-1.0), _theta(), head="binary")


def bug_intercept_rows():
    return Functional(make_objective(sum_intercept=False), _theta(), head="binary")
