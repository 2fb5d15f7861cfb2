"""Andrew Ng's course style: X (n_x, m), parameters W1 (n_h, n_x), b1 (n_h, 1), a dict cache,
separate forward_propagation / compute_cost / backward_propagation functions."""

import numpy as np


def initialize_parameters(n_x, n_h, n_y, seed=2):
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.standard_normal((n_h, n_x)) * 0.5,
        "b1": np.zeros((n_h, 1)),
        "W2": rng.standard_normal((n_y, n_h)) * 0.5,
        "b2": np.zeros((n_y, 1)),
    }


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    return float(-np.sum(logprobs) / m)


def backward_propagation(parameters, cache, X, Y, bug=None):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    if bug == "derivative_at_z":
        dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(cache["Z1"], 2))  # BUG
    else:
        dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(A1, 2))
    dW1 = np.dot(dZ1, X.T) if bug == "no_m_dW1" else np.dot(dZ1, X.T) / m  # BUG (no_m_dW1)
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def make_loss(bug=None):
    def loss(X, Y, parameters):
        A2, cache = forward_propagation(X, parameters)
        grads = backward_propagation(parameters, cache, X, Y, bug)
        return compute_cost(A2, Y), {k: grads["d" + k] for k in parameters}

    return loss
