"""A blog-post MLP: layer objects with ``w``, ``b`` (in, out) and gradients ``grad_w``,
``grad_b`` accumulated with ``+=``; ReLU then sigmoid hidden layers; a final ``Softmax``
layer and a negative log-likelihood on the probabilities; its own Adam step that clears the
gradients. Multiclass (iris).

Planted mistakes: ``bug_relu_inverted`` (ReLU backward keeps x < 0), ``bug_never_cleared``
(the step forgets to clear the accumulated gradients), ``bug_adam_paper_eps`` (Adam with eps
added before the bias correction).
"""

import numpy as np

from parity.check import Layers


class FullyConnected:
    def __init__(self, n_in, n_out, rng):
        self.w = rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out))
        self.b = np.zeros(n_out) + 0.01
        self.grad_w = np.zeros_like(self.w)
        self.grad_b = np.zeros_like(self.b)

    def forward(self, x):
        self.cache = x
        return np.dot(x, self.w) + self.b

    def backward(self, d_out):
        self.grad_w += np.dot(self.cache.T, d_out)
        self.grad_b += d_out.sum(axis=0)
        return np.dot(d_out, self.w.T)


class Relu:
    def __init__(self, inverted=False):
        self.inverted = inverted

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0.0)

    def backward(self, d_out):
        keep = self.x < 0 if self.inverted else self.x > 0
        return d_out * keep


class Logistic:
    def forward(self, x):
        self.out = 1.0 / (1.0 + np.exp(-x))
        return self.out

    def backward(self, d_out):
        return d_out * self.out * (1.0 - self.out)


class Softmax:
    def forward(self, x):
        shifted = np.exp(x - x.max(axis=-1, keepdims=True))
        self.p = shifted / shifted.sum(axis=-1, keepdims=True)
        return self.p

    def backward(self, d_out):
        inner = (d_out * self.p).sum(axis=-1, keepdims=True)
        return self.p * (d_out - inner)


class NegativeLogLikelihood:
    def forward(self, probs, labels):
        self.probs, self.labels = probs, labels
        return float(-np.mean(np.log(probs[np.arange(len(labels)), labels])))

    def backward(self):
        grad = np.zeros_like(self.probs)
        rows = np.arange(len(self.labels))
        grad[rows, self.labels] = -1.0 / (self.probs[rows, self.labels] * len(self.labels))
        return grad


def adam_step(clear=True, paper_eps=False, b1=0.9, b2=0.999, eps=1e-8):
    moments = {}

    def step(layers, lr):
        for layer in layers:
            if not hasattr(layer, "w"):
                continue
            for name in ("w", "b"):
                g = getattr(layer, "grad_" + name)
                t, m, v = moments.get((id(layer), name), (0, 0.0, 0.0))
                t, m, v = t + 1, b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
                moments[(id(layer), name)] = (t, m, v)
                if paper_eps:
                    lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
                    getattr(layer, name)[...] -= lr_t * m / (np.sqrt(v) + eps)
                else:
                    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
                    getattr(layer, name)[...] -= lr * m_hat / (np.sqrt(v_hat) + eps)
                if clear:
                    g[...] = 0.0

    return step


def _net(relu_inverted=False, clear=True, paper_eps=False):
    rng = np.random.default_rng(2024)
    layers = [
        FullyConnected(4, 16, rng),
        Relu(relu_inverted),
        FullyConnected(16, 8, rng),
        Logistic(),
        FullyConnected(8, 3, rng),
        Softmax(),
    ]
    return Layers(
        layers,
        NegativeLogLikelihood(),
        head="multiclass",
        weight="w",
        bias="b",
        grad_weight="grad_w",
        grad_bias="grad_b",
        update=adam_step(clear=clear, paper_eps=paper_eps),
    )


def implementation():
    return _net()


def bug_relu_inverted():
    return _net(relu_inverted=True)


def bug_never_cleared():
    return _net(clear=False)


def bug_adam_paper_eps():
    return _net(paper_eps=True)
