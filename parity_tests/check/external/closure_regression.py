"""A regression net built from closures, torch's (out, in) layout, Leaky ReLU, MSE; its own
names ("hidden.w", "hidden.b", "head.w", "head.b") and its own SGD-with-momentum closure.

Planted mistakes: ``bug_mse_no_two`` (the MSE gradient without its 2), ``bug_leaky_passes``
(Leaky ReLU backward passes the gradient unscaled where x <= 0), ``bug_plain_sgd`` (the
update ignores momentum while torch runs SGD with momentum 0.9).
"""

# ruff: noqa: B905, RUF007  (another person's style, on purpose)

import numpy as np

from parity.check import Functional


def make_net(seed=7, widths=(10, 12, 1)):
    rng = np.random.RandomState(seed)
    state = {}
    for name, (fi, fo) in zip(("hidden", "head"), zip(widths[:-1], widths[1:])):
        lim = np.sqrt(1.0 / fi)
        state[name + ".w"] = rng.uniform(-lim, lim, (fo, fi))
        state[name + ".b"] = rng.uniform(-lim, lim, (fo,))
    return state


def make_loss_fn(mse_two=True, leaky_scale_negative=True, alpha=0.01):
    def leaky(z):
        return np.where(z > 0, z, alpha * z)

    def loss_fn(X, y, p):
        z = X @ p["hidden.w"].T + p["hidden.b"]
        a = leaky(z)
        pred = (a @ p["head.w"].T + p["head.b"])[:, 0]
        err = pred - y
        value = np.mean(err**2)
        dpred = (2.0 if mse_two else 1.0) * err / len(y)
        dout = dpred[:, None]
        g = {"head.w": dout.T @ a, "head.b": dout.sum(axis=0)}
        da = dout @ p["head.w"]
        slope = np.where(z > 0, 1.0, alpha if leaky_scale_negative else 1.0)
        dz = da * slope
        g["hidden.w"] = dz.T @ X
        g["hidden.b"] = dz.sum(axis=0)
        return value, g

    return loss_fn


def make_momentum(mu=0.9, use_momentum=True):
    velocity = {}

    def update(params, grads, lr):
        for k in params:
            if use_momentum:
                velocity[k] = grads[k].copy() if k not in velocity else mu * velocity[k] + grads[k]
                params[k] -= lr * velocity[k]
            else:
                params[k] -= lr * grads[k]

    return update


def _impl(**kw):
    update = make_momentum(use_momentum=kw.pop("use_momentum", True))
    return Functional(
        make_loss_fn(**kw),
        make_net(),
        activation="leaky_relu",
        head="regression",
        layout="out_in",
        update=update,
    )


def implementation():
    return _impl()


def bug_mse_no_two():
    return _impl(mse_two=False)


def bug_leaky_passes():
    return _impl(leaky_scale_negative=False)


def bug_plain_sgd():
    return _impl(use_momentum=False)
