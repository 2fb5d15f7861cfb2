"""A learner's PyTorch port: a custom nn.Module with named layers, NumPy weights loaded by
hand, a loss, and the body of their training loop after loss.backward()."""

import numpy as np
import torch
from torch import nn


def numpy_weights(seed=6):
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0, 0.1, (30, 16)),
        "b1": np.zeros(16),
        "W2": rng.normal(0, 0.1, (16, 16)),
        "b2": np.zeros(16),
        "W3": rng.normal(0, 0.1, (16, 1)),
        "b3": np.zeros(1),
    }


def numpy_original(X, y, P):
    """The NumPy network the port was ported from: 30-16-16-1, tanh, sigmoid + BCE."""
    h1 = np.tanh(X @ P["W1"] + P["b1"])
    h2 = np.tanh(h1 @ P["W2"] + P["b2"])
    z = (h2 @ P["W3"] + P["b3"]).ravel()
    p = 1 / (1 + np.exp(-z))
    n = len(y)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    dz = ((p - y) / n)[:, None]
    g = {"W3": h2.T @ dz, "b3": dz.sum(0)}
    d2 = (dz @ P["W3"].T) * (1 - h2**2)
    g |= {"W2": h1.T @ d2, "b2": d2.sum(0)}
    d1 = (d2 @ P["W2"].T) * (1 - h1**2)
    g |= {"W1": X.T @ d1, "b1": d1.sum(0)}
    return loss, g


class Net(nn.Module):
    def __init__(self, bug=None):
        super().__init__()
        dt = torch.float32 if bug == "float32" else torch.float64
        self.fc1, self.act1 = nn.Linear(30, 16, dtype=dt), nn.Tanh()
        self.fc2, self.act2 = nn.Linear(16, 16, dtype=dt), nn.Tanh()
        self.fc3 = nn.Linear(16, 1, dtype=dt)
        self.out = nn.Sigmoid() if bug == "sigmoid_then_logits_loss" else nn.Identity()
        P = numpy_weights()
        with torch.no_grad():
            for k, fc in enumerate((self.fc1, self.fc2, self.fc3), start=1):
                W = P[f"W{k}"]
                square = W.shape[0] == W.shape[1]
                fc.weight.copy_(torch.from_numpy(W if bug == "no_transpose" and square else W.T))
                fc.bias.copy_(torch.from_numpy(P[f"b{k}"]))

    def forward(self, x):
        x = self.act1(self.fc1(x))
        x = self.act2(self.fc2(x))
        return self.out(self.fc3(x))


def port(bug=None):
    from parity.check import Torch

    model = Net(bug)
    loss = nn.BCEWithLogitsLoss(reduction="sum" if bug == "sum" else "mean")
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def after_backward(model, lr):
        opt.step()
        if bug != "no_zero_grad":
            opt.zero_grad()

    return Torch(model, loss, head="binary", update=after_backward)
