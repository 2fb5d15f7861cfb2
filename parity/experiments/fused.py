"""The two yardsticks of the bench, in plain NumPy: a hand-fused training step and the GEMMs
it cannot avoid.

``FusedStep`` is what a careful person writes for one known network (ReLU hidden layers,
softmax cross-entropy with the mean, plain SGD) when speed is all that matters: one function,
every buffer allocated once, every elementwise operation in place, no checks, no modules. It
does the same arithmetic as ``scratch.train_step`` (the same loss value, the same update),
so ``scratch / fused`` is the price of scratch's plain structure and checks.

``GemmSet`` is the matrix products of that step alone (per layer ``x W^T``, ``dz^T x`` and,
except in the first layer, ``dz W``), on preallocated operands: its best time is the step's
floor on this machine, the peak the bench measures a step's share against.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np


class FusedStep:
    """One SGD step of a ReLU MLP on softmax cross-entropy, hand-fused with fixed buffers.

    ``widths`` are ``(in, *hidden, classes)``, ``batch`` the rows of every batch, ``state``
    a state dict in torch's layout (``"0.weight"`` (out, in), ``"0.bias"``, ``"2.weight"``...),
    copied into this object's own arrays of ``dtype``.
    """

    def __init__(
        self,
        widths: Sequence[int],
        batch: int,
        dtype: str,
        state: Mapping[str, np.ndarray],
        lr: float,
    ) -> None:
        n = len(widths) - 1
        self.W = [np.array(state[f"{2 * i}.weight"], dtype) for i in range(n)]  # (out, in)
        self.b = [np.array(state[f"{2 * i}.bias"], dtype) for i in range(n)]  # (out,)
        self.a = [np.empty((batch, w), dtype) for w in widths[1:]]  # layer outputs (B, out)
        self.dz = [np.empty((batch, w), dtype) for w in widths[1:]]  # dL/d(pre-activation)
        self.gW = [np.empty_like(w) for w in self.W]
        self.gb = [np.empty_like(b) for b in self.b]
        self.rows = np.arange(batch)
        self.lr = lr

    def step(self, X: np.ndarray, y: np.ndarray) -> float:
        """Forward, loss, backward and update on ``X`` (B, in), ``y`` (B,) class indices;
        returns the mean cross-entropy before the update."""
        loss = self._forward_loss(X, y)
        self._backward(X)
        for w, g in zip(self.W + self.b, self.gW + self.gb, strict=True):
            g *= self.lr  # the gradient buffers are this object's: scale them in place
            w -= g
        return loss

    def _forward_loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Every layer into its buffer, then softmax cross-entropy; leaves ``dz[-1]`` =
        ``(softmax - onehot) / B``."""
        last = len(self.W) - 1
        x = X
        for i, (w, b, a) in enumerate(zip(self.W, self.b, self.a, strict=True)):
            np.matmul(x, w.T, out=a)  # (B, out)
            a += b
            if i < last:
                np.maximum(a, 0, out=a)  # ReLU in place
            x = a
        p = self.dz[-1]  # (B, C): shifted logits, then exp, then dL/dlogits
        np.subtract(x, x.max(axis=1, keepdims=True), out=p)
        picked = p[self.rows, y]  # (B,) shifted logit of the true class
        np.exp(p, out=p)
        total = p.sum(axis=1, keepdims=True)  # (B, 1)
        loss = (np.log(total[:, 0]) - picked).sum() / len(y)
        p /= total  # softmax
        p[self.rows, y] -= 1
        p *= 1.0 / len(y)
        return float(loss)

    def _backward(self, X: np.ndarray) -> None:
        """Every gradient into its buffer; the input gradient of the first layer is skipped."""
        for i in range(len(self.W) - 1, -1, -1):
            x = X if i == 0 else self.a[i - 1]  # this layer's input (B, in)
            np.matmul(self.dz[i].T, x, out=self.gW[i])  # (out, in)
            np.add.reduce(self.dz[i], axis=0, out=self.gb[i])  # (out,)
            if i:
                dx = self.dz[i - 1]
                np.matmul(self.dz[i], self.W[i], out=dx)  # (B, in)
                np.multiply(dx, x > 0, out=dx)  # through the ReLU that made x


def gemm_flops(widths: Sequence[int], batch: int) -> int:
    """Floating-point operations of the step's matrix products: ``2 B in out`` per product,
    three per layer (forward, weight gradient, input gradient), two in the first layer."""
    return sum(2 * batch * i * o * (2 if k == 0 else 3) for k, (i, o) in enumerate(_layers(widths)))


def _layers(widths: Sequence[int]) -> list[tuple[int, int]]:
    return list(itertools.pairwise(widths))


class GemmSet:
    """The step's matrix products on fixed random operands; ``run()`` computes them all."""

    def __init__(self, widths: Sequence[int], batch: int, dtype: str, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.ops: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for k, (i, o) in enumerate(_layers(widths)):
            x = rng.standard_normal((batch, i)).astype(dtype)  # (B, in)
            w = rng.standard_normal((o, i)).astype(dtype)  # (out, in)
            dz = rng.standard_normal((batch, o)).astype(dtype)  # (B, out)
            self.ops.append((x, w.T, np.empty((batch, o), dtype)))  # forward
            self.ops.append((dz.T, x, np.empty((o, i), dtype)))  # weight gradient
            if k:
                self.ops.append((dz, w, np.empty((batch, i), dtype)))  # input gradient

    def run(self) -> None:
        for a, b, out in self.ops:
            np.matmul(a, b, out=out)
