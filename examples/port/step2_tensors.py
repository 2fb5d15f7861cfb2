"""Step 2: the same network on torch tensors, with the same hand-written backward.

2 inputs -> 16 tanh -> 16 tanh -> 1 sigmoid, binary cross-entropy, minibatch SGD.
Run: python examples/port/step2_tensors.py
"""

import torch

from common import LR, PRINT_EVERY, batch_order, initial_weights, moons

X, y, X_test, y_test = (torch.tensor(a) for a in moons())  # float64 stays float64
params = {name: torch.tensor(w) for name, w in initial_weights().items()}


def forward(X: torch.Tensor, params: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    h1 = torch.tanh(X @ params["W1"] + params["b1"])  # (N, 16)
    h2 = torch.tanh(h1 @ params["W2"] + params["b2"])  # (N, 16)
    p = 1 / (1 + torch.exp(-(h2 @ params["W3"] + params["b3"])))  # (N, 1): P(y = 1)
    return h1, h2, p[:, 0]


def loss_and_grads(X: torch.Tensor, y: torch.Tensor, params: dict) -> tuple[torch.Tensor, dict]:
    h1, h2, p = forward(X, params)
    loss = -torch.mean(y * torch.log(p) + (1 - y) * torch.log(1 - p))
    dz3 = (p - y)[:, None] / len(y)  # (N, 1): sigmoid and cross-entropy together
    dh2 = dz3 @ params["W3"].T  # (N, 16)
    dz2 = dh2 * (1 - h2**2)  # tanh'(z) = 1 - tanh(z)^2, from the cached output
    dh1 = dz2 @ params["W2"].T
    dz1 = dh1 * (1 - h1**2)
    grads = {
        "W1": X.T @ dz1, "b1": dz1.sum(dim=0),
        "W2": h1.T @ dz2, "b2": dz2.sum(dim=0),
        "W3": h2.T @ dz3, "b3": dz3.sum(dim=0),
    }
    return loss, grads


def main() -> None:
    for step, rows in enumerate(batch_order()):
        loss, grads = loss_and_grads(X[rows], y[rows], params)
        for name in params:
            params[name] -= LR * grads[name]
        if step % PRINT_EVERY == 0:
            print(f"step {step:3d}  loss {loss.item():.6g}")
    p = forward(X_test, params)[2]
    print(f"test accuracy {torch.mean(((p > 0.5) == y_test).double()):.3f}")


if __name__ == "__main__":
    main()
