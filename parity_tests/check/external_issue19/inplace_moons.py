"""Layers that update themselves in backward(grad, lr), no gradients kept; a 2-logit softmax
classifier on a binary dataset (moons)."""

import numpy as np


class Linear:
    def __init__(self, n_in, n_out, rng, bug=None):
        self.W = rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out))
        self.b = np.zeros(n_out)
        self.bug = bug

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad, lr):
        dx = grad @ self.W.T
        self.W -= lr * self.x.T @ grad
        if self.bug == "bias_without_lr":
            self.b -= grad.sum(axis=0)  # BUG: no lr
        else:
            self.b -= lr * grad.sum(axis=0)
        return dx


class LeakyReLU:
    def __init__(self, slope=0.01, backward_slope=None):
        self.slope = slope
        self.backward_slope = slope if backward_slope is None else backward_slope

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.slope * x)

    def backward(self, grad, lr):
        return np.where(self.x > 0, grad, self.backward_slope * grad)


class SoftmaxCE:
    def forward(self, logits, y):
        e = np.exp(logits - logits.max(1, keepdims=True))
        self.p, self.y = e / e.sum(1, keepdims=True), y
        return float(-np.mean(np.log(self.p[np.arange(len(y)), y])))

    def backward(self):
        g = self.p.copy()
        g[np.arange(len(self.y)), self.y] -= 1
        return g / len(self.y)


def network(bug=None, seed=7):
    rng = np.random.default_rng(seed)
    act = LeakyReLU(backward_slope=0.1 if bug == "slope" else None)
    return [Linear(2, 12, rng, bug), act, Linear(12, 2, rng)], SoftmaxCE()
