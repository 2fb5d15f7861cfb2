"""Column-major layer classes (one example per column), weights (out, in), biases (out, 1),
softmax cross-entropy with labels as indices; a multiclass classifier."""

import numpy as np


class Dense:
    def __init__(self, fan_in, fan_out, rng, bug=None):
        self.W = rng.normal(0, np.sqrt(2 / fan_in), (fan_out, fan_in))
        self.b = np.zeros((fan_out, 1))
        self.bug = bug

    def forward(self, A_prev):
        self.A_prev = A_prev
        return self.W @ A_prev + self.b

    def backward(self, dZ):
        if self.bug == "dW_transposed":
            self.dW = self.A_prev @ dZ.T  # BUG: (in, out)
        else:
            self.dW = dZ @ self.A_prev.T
        if self.bug == "db_per_example":
            self.db = dZ  # BUG: not summed
        elif self.bug == "db_wrong_axis":
            self.db = dZ.sum(axis=0, keepdims=True)  # BUG: over the units, not the examples
        elif self.bug == "db_scalar":
            self.db = np.sum(dZ)  # BUG: over everything
        else:
            self.db = dZ.sum(axis=1, keepdims=True)
        return self.W.T @ dZ


class ReLU:
    def forward(self, Z):
        self.Z = Z
        return np.maximum(Z, 0)

    def backward(self, dA):
        return np.where(self.Z > 0, dA, 0.0)


class SoftmaxCrossEntropy:
    def forward(self, Z, labels):
        Z = Z - Z.max(axis=0, keepdims=True)
        self.P = np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)
        self.labels = labels
        m = Z.shape[1]
        return float(-np.log(self.P[labels, np.arange(m)]).sum() / m)

    def backward(self):
        m = self.P.shape[1]
        dZ = self.P.copy()
        dZ[self.labels, np.arange(m)] -= 1
        return dZ / m


def network(bug=None, bug_at=2, seed=3):
    rng = np.random.default_rng(seed)
    sizes = [(64, 24), (24, 10)]
    layers = []
    for k, (i, o) in enumerate(sizes):
        layers.append(Dense(i, o, rng, bug if 2 * k == bug_at else None))
        layers.append(ReLU())
    return layers[:-1], SoftmaxCrossEntropy()
