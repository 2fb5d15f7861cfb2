"""Step 3: autograd computes the backward; the forward and the update stay ours.

2 inputs -> 16 tanh -> 16 tanh -> 1 sigmoid, binary cross-entropy, minibatch SGD.
Run: python examples/port/step3_autograd.py
"""

import torch

from common import LR, PRINT_EVERY, batch_order, initial_weights, moons

X, y, X_test, y_test = (torch.tensor(a) for a in moons())  # float64 stays float64
params = {name: torch.tensor(w, requires_grad=True) for name, w in initial_weights().items()}


def forward(X: torch.Tensor, params: dict) -> torch.Tensor:
    h1 = torch.tanh(X @ params["W1"] + params["b1"])  # (N, 16)
    h2 = torch.tanh(h1 @ params["W2"] + params["b2"])  # (N, 16)
    p = 1 / (1 + torch.exp(-(h2 @ params["W3"] + params["b3"])))  # (N, 1): P(y = 1)
    return p[:, 0]


def loss_of(X: torch.Tensor, y: torch.Tensor, params: dict) -> torch.Tensor:
    p = forward(X, params)
    return -torch.mean(y * torch.log(p) + (1 - y) * torch.log(1 - p))


def main() -> None:
    for step, rows in enumerate(batch_order()):
        loss = loss_of(X[rows], y[rows], params)
        loss.backward()  # fills params[name].grad
        with torch.no_grad():  # the update is not part of the graph
            for name in params:
                params[name] -= LR * params[name].grad
                params[name].grad = None  # gradients add up otherwise
        if step % PRINT_EVERY == 0:
            print(f"step {step:3d}  loss {loss.item():.6g}")
    with torch.no_grad():
        p = forward(X_test, params)
    print(f"test accuracy {torch.mean(((p > 0.5) == y_test).double()):.3f}")


if __name__ == "__main__":
    main()
