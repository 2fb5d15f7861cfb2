"""A class-based MLP whose optimizers follow Keras's defaults (Adam eps 1e-7, RMSprop rho 0.9)
or torch's; the network itself is correct. Weights (in, out), biases (out,)."""

import itertools

import numpy as np


class MLP:
    def __init__(self, sizes, seed=5):
        rng = np.random.default_rng(seed)
        self.params = {}
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            self.params[f"w{i}"] = rng.uniform(-1, 1, (a, b)) / np.sqrt(a)
            self.params[f"b{i}"] = np.zeros(b)

    def loss_and_grads(self, X, y, params):
        n_layers = len(params) // 2
        acts, h = [X], X
        for i in range(n_layers):
            z = h @ params[f"w{i}"] + params[f"b{i}"]
            h = np.maximum(z, 0) if i < n_layers - 1 else z
            acts.append(h)
        z = h - h.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        n = len(y)
        loss = -np.log(p[np.arange(n), y]).mean()
        d = p
        d[np.arange(n), y] -= 1
        d /= n
        grads = {}
        for i in reversed(range(n_layers)):
            grads[f"w{i}"] = acts[i].T @ d
            grads[f"b{i}"] = d.sum(axis=0)
            d = (d @ params[f"w{i}"].T) * (acts[i] > 0)
        return loss, grads


class Adam:
    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.b1, self.b2, self.eps, self.t, self.m, self.v = beta_1, beta_2, epsilon, 0, {}, {}

    def __call__(self, params, grads, lr):
        self.t += 1
        for k, g in grads.items():
            self.m[k] = self.b1 * self.m.get(k, 0) + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v.get(k, 0) + (1 - self.b2) * g**2
            m_hat = self.m[k] / (1 - self.b1**self.t)
            v_hat = self.v[k] / (1 - self.b2**self.t)
            params[k] -= lr * m_hat / (np.sqrt(v_hat) + self.eps)


class RMSprop:
    def __init__(self, rho=0.9, epsilon=1e-8):
        self.rho, self.eps, self.s = rho, epsilon, {}

    def __call__(self, params, grads, lr):
        for k, g in grads.items():
            self.s[k] = self.rho * self.s.get(k, 0) + (1 - self.rho) * g**2
            params[k] -= lr * g / (np.sqrt(self.s[k]) + self.eps)
