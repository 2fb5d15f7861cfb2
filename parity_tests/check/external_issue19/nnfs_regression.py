"""The nnfs book's classes as published: forward/backward store self.output / self.dinputs and
return nothing, biases (1, n), an Activation_Linear ending a regression network, and
Loss_MeanSquaredError with backward(dvalues, y_true)."""

import numpy as np


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons, rng):
        self.weights = 0.1 * rng.standard_normal((n_inputs, n_neurons))
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = np.dot(dvalues, self.weights.T)


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class Activation_Sigmoid:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = 1 / (1 + np.exp(-inputs))

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output) * self.output


class Activation_Sigmoid_Twice(Activation_Sigmoid):
    def backward(self, dvalues):  # BUG: the derivative applied twice
        self.dinputs = dvalues * ((1 - self.output) * self.output) ** 2


class Activation_Linear:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = inputs

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()


class Loss_MeanSquaredError:
    def __init__(self, bug=None):
        self.bug = bug

    def calculate(self, output, y):
        y = y.reshape(output.shape)
        return float(np.mean(np.mean((y - output) ** 2, axis=-1)))

    def backward(self, dvalues, y_true):
        samples, outputs = len(dvalues), len(dvalues[0])
        y_true = y_true.reshape(dvalues.shape)
        if self.bug == "no_2":
            self.dinputs = -(y_true - dvalues) / outputs  # BUG: d(x^2) = 2x, the 2 dropped
        else:
            self.dinputs = -2 * (y_true - dvalues) / outputs
        self.dinputs = self.dinputs / samples


def network(bug=None, seed=4):
    rng = np.random.default_rng(seed)
    act = Activation_Sigmoid_Twice() if bug == "sigmoid_twice" else Activation_Sigmoid()
    layers = [
        Layer_Dense(10, 16, rng),
        Activation_ReLU(),
        Layer_Dense(16, 8, rng),
        act,
        Layer_Dense(8, 1, rng),
        Activation_Linear(),
    ]
    return layers, Loss_MeanSquaredError("no_2" if bug == "no_2" else None)
