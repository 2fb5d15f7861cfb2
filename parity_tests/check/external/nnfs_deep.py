"""The "Neural Networks from Scratch" (nnfs) style: ``Layer_Dense`` with ``weights`` (in, out),
``biases`` of shape (1, n), ``dweights`` / ``dbiases`` (``keepdims=True``), ``Activation_ReLU``
caching its input, a combined softmax + cross-entropy loss; three hidden ReLU layers
(64-48-32-16-10), and nnfs's own SGD with momentum. Multiclass (digits).

Planted mistakes: ``bug_relu_class_cache`` (the ReLU keeps its input on the class, so every
ReLU masks with the last forward's input: on layers of different widths the backward raises
an IndexError) and ``bug_relu_class_cache_same_widths`` (the same on equal widths: nothing
raises, each layer is right on its own and wrong only in the chain).
"""

import numpy as np

from parity.check import Layers


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons, rng):
        self.weights = 0.1 * rng.standard_normal((n_inputs, n_neurons))
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases
        return self.output

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = np.dot(dvalues, self.weights.T)
        return self.dinputs


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)
        return self.output

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0
        return self.dinputs


class Activation_ReLU_ClassCache(Activation_ReLU):
    def forward(self, inputs):
        Activation_ReLU_ClassCache.inputs = inputs  # MISTAKE: on the class, shared by all
        return np.maximum(0, inputs)

    def backward(self, dvalues):
        d = dvalues.copy()
        d[Activation_ReLU_ClassCache.inputs <= 0] = 0
        return d


class Loss_SoftmaxCCE:
    def forward(self, inputs, y_true):
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=1, keepdims=True)
        self.y_true = y_true
        return float(np.mean(-np.log(self.output[range(len(y_true)), y_true])))

    def backward(self):
        self.dinputs = self.output.copy()
        self.dinputs[range(len(self.output)), self.y_true] -= 1
        return self.dinputs / len(self.output)


class Optimizer_SGD:
    """nnfs's momentum: ``update = momentum * m - lr * grad; param += update`` (torch's form
    with the learning rate folded into the buffer, the same numbers for a constant lr)."""

    def __init__(self, momentum=0.9):
        self.momentum = momentum

    def __call__(self, layers, lr):
        for layer in layers:
            if not hasattr(layer, "weights"):
                continue
            if not hasattr(layer, "weight_momentums"):
                layer.weight_momentums = np.zeros_like(layer.weights)
                layer.bias_momentums = np.zeros_like(layer.biases)
            layer.weight_momentums = self.momentum * layer.weight_momentums - lr * layer.dweights
            layer.bias_momentums = self.momentum * layer.bias_momentums - lr * layer.dbiases
            assert layer.biases.shape == layer.dbiases.shape == (1, layer.weights.shape[1])
            layer.weights += layer.weight_momentums
            layer.biases += layer.bias_momentums


def build(relu=Activation_ReLU, sizes=(64, 48, 32, 16, 10), update=None):
    rng = np.random.default_rng(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(Layer_Dense(sizes[i], sizes[i + 1], rng))
        if i < len(sizes) - 2:
            layers.append(relu())
    return Layers(layers, Loss_SoftmaxCCE(), weight="weights", bias="biases",
                  grad_weight="dweights", grad_bias="dbiases", update=update)  # fmt: skip


def implementation():
    return build(update=Optimizer_SGD(0.9))


def bug_relu_class_cache():
    return build(relu=Activation_ReLU_ClassCache)


def bug_relu_class_cache_same_widths():
    return build(relu=Activation_ReLU_ClassCache, sizes=(64, 32, 32, 32, 10))
