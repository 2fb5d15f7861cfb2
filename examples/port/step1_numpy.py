"""Step 1: the network in NumPy, forward and backward written by hand.

2 inputs -> 16 tanh -> 16 tanh -> 1 sigmoid, binary cross-entropy, minibatch SGD.
Run: python examples/port/step1_numpy.py
"""

import numpy as np

from common import LR, PRINT_EVERY, batch_order, initial_weights, moons

X, y, X_test, y_test = moons()
params = initial_weights()  # W1 (2, 16), b1 (16,), W2 (16, 16), b2, W3 (16, 1), b3 (1,)


def forward(X: np.ndarray, params: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h1 = np.tanh(X @ params["W1"] + params["b1"])  # (N, 16)
    h2 = np.tanh(h1 @ params["W2"] + params["b2"])  # (N, 16)
    p = 1 / (1 + np.exp(-(h2 @ params["W3"] + params["b3"])))  # (N, 1): P(y = 1)
    return h1, h2, p[:, 0]


def loss_and_grads(X: np.ndarray, y: np.ndarray, params: dict) -> tuple[float, dict]:
    h1, h2, p = forward(X, params)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    dz3 = (p - y)[:, None] / len(y)  # (N, 1): sigmoid and cross-entropy together
    dh2 = dz3 @ params["W3"].T  # (N, 16)
    dz2 = dh2 * (1 - h2**2)  # tanh'(z) = 1 - tanh(z)^2, from the cached output
    dh1 = dz2 @ params["W2"].T
    dz1 = dh1 * (1 - h1**2)
    grads = {
        "W1": X.T @ dz1, "b1": dz1.sum(axis=0),
        "W2": h1.T @ dz2, "b2": dz2.sum(axis=0),
        "W3": h2.T @ dz3, "b3": dz3.sum(axis=0),
    }
    return loss, grads


def main() -> None:
    for step, rows in enumerate(batch_order()):
        loss, grads = loss_and_grads(X[rows], y[rows], params)
        for name in params:
            params[name] -= LR * grads[name]
        if step % PRINT_EVERY == 0:
            print(f"step {step:3d}  loss {loss:.6g}")
    p = forward(X_test, params)[2]
    print(f"test accuracy {np.mean((p > 0.5) == y_test):.3f}")


if __name__ == "__main__":
    main()
