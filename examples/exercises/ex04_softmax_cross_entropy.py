"""Exercise 4: the gradient of softmax and cross-entropy together.

The loss is the mean over the batch of ``-log p[i, y_i]``, with ``p = softmax(logits)``
row by row (torch's ``nn.CrossEntropyLoss``). Write ``CrossEntropy.backward``: return
``dL/dlogits`` (N, C). The lines there now are wrong. Run

    nn-parity check examples/exercises/ex04_softmax_cross_entropy.py

and correct the backward until the check says "no divergence".
A solution: solutions/ex04_softmax_cross_entropy.py.
"""

import numpy as np

from parity.check import Layers

from parts import ReLU, layered, network


class CrossEntropy:
    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        e = np.exp(logits - logits.max(axis=1, keepdims=True))  # shifted: exp <= 1
        self.p, self.y = e / e.sum(axis=1, keepdims=True), y  # (N, C), (N,)
        return float(-np.log(self.p[np.arange(len(y)), y]).mean())

    def backward(self) -> np.ndarray:
        # YOUR CODE: dL/dlogits (N, C)
        d = self.p.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return d


def implementation() -> Layers:
    return layered(network(ReLU), CrossEntropy())
