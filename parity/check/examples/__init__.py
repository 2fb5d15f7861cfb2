"""Shipped examples for ``nn-parity check --demo [NAME]``, the tests and docs/CHECK.md.

``functional`` (CS231n style), ``layers`` (layer objects) and ``torch-port`` (a PyTorch
port, ``Torch``) are correct; every other example plants one mistake and says which first
divergence and diagnosis the check must report (``Example.expect``: stage, your name,
pattern). An example with ``against`` compares the port it builds with the original that
``build`` returns (``check(original, against=port)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.api import check
from parity.check.examples import functional_net as F
from parity.check.examples import layers_net as L
from parity.check.examples import library_layers as LL
from parity.check.examples import torch_port as T
from parity.check.report import CheckReport


@dataclass(frozen=True)
class Example:
    """One implementation, how to check it, and what the check must find."""

    name: str
    planted: str  # the mistake, in words ("" for a correct one)
    build: Callable[[], Functional | Layers]
    expect: tuple[str, str, str] | None  # (stage, name, pattern); None: must pass
    check: dict[str, Any] = field(default_factory=dict)
    against: Callable[[], Functional | Layers] | None = None

    def run(self, **defaults: Any) -> CheckReport:
        """``check`` this example with its settings (over ``defaults``)."""
        kwargs = {**defaults, **self.check}
        if self.against is not None:
            kwargs["against"] = self.against()
        return check(self.build(), **kwargs)


def _f(
    mistake: str | None = None,
    act: str = "relu",
    update: str | None = None,
    sizes: tuple[int, ...] = (64, 32, 10),
) -> Callable[[], Functional]:
    return lambda: Functional(
        F.make_loss(act, mistake),
        F.init_params(sizes),
        activation=act,
        head="multiclass",
        update=None if update is None else F.make_update(update),
    )


def _l(
    update: str | None = None,
    head: str = "multiclass",
    sizes: tuple[int, ...] = (64, 32, 16, 10),
    **parts: Any,
) -> Callable[[], Layers]:
    """A ``layers_net`` network; ``parts`` swap in classes: ``linear``, ``act``, ``output``,
    ``loss``."""

    def build() -> Layers:
        default_loss = L.MeanSquaredError if head == "regression" else L.SoftmaxCrossEntropy
        layers = L.build(
            sizes,
            linear=parts.get("linear", L.Linear),
            act=parts.get("act"),
            output=parts.get("output"),
            linear_at=parts.get("linear_at"),
        )
        return Layers(
            layers,
            parts.get("loss", default_loss)(),
            head=head,
            update=None if update is None else L.update_rule(update),
        )

    return build


TRAIN = {"steps": 4}
EXAMPLE_LIST = [
    Example("functional", "", _f(), None, TRAIN),
    Example(
        "functional-missing-mean",
        "dscores not divided by N",
        _f("missing_mean"),
        ("backward", "W2", "factor"),
    ),
    Example(
        "functional-sum-loss",
        "loss and gradients summed, not averaged",
        _f("sum_loss"),
        ("forward", "loss", "factor"),
    ),
    Example(
        "functional-transposed-dW",
        "dW2 computed as dscores.T @ h",
        _f("transposed_dW"),
        ("backward", "W2", "transposed"),
    ),
    Example(
        "functional-relu-mask",
        "ReLU mask from the gradient's sign",
        _f("relu_mask"),
        ("backward", "W1", "relu_mask"),
    ),
    Example(
        "functional-tanh-from-input",
        "tanh' = 1 - z² from the input",
        _f("tanh_from_input", "tanh"),
        ("backward", "W1", "derivative_from_input"),
    ),
    Example(
        "functional-sigmoid-missing-factor",
        "sigmoid' = h without (1 - h)",
        _f("sigmoid_missing_factor", "sigmoid"),
        ("backward", "W1", "derivative_missing_factor"),
    ),
    Example(
        "functional-transposed-forward",
        "square W2 used as h @ W2.T",
        _f("transposed_forward", sizes=(64, 10, 10)),
        ("forward", "loss", "transposed"),
    ),
    Example(
        "functional-bias-not-summed",
        "db2 = dscores, not summed",
        _f("bias_not_summed"),
        ("backward", "b2", "bias_not_summed"),
    ),
    Example(
        "functional-softmax-before-ce",
        "softmax before the cross-entropy",
        _f("softmax_before_ce"),
        ("forward", "loss", "softmax_before_cross_entropy"),
    ),
    Example(
        "functional-l2-in-loss",
        "an L2 penalty in the loss",
        _f("l2_in_loss"),
        ("forward", "loss", "l2_regulariser"),
    ),
    Example(
        "functional-l2-and-missing-mean",
        "an L2 penalty in the loss and dscores not divided by N",
        _f("l2_and_missing_mean"),
        ("forward", "loss", "l2_regulariser"),
    ),
    Example(
        "functional-accumulate",
        "update keeps a running sum of gradients",
        _f(update="accumulate"),
        ("training", "W1", "accumulated_gradients"),
        TRAIN,
    ),
    Example(
        "functional-ema-momentum",
        "momentum as v = 0.9 v + 0.1 g",
        _f(update="ema_momentum"),
        ("training", "W1", "update_rule"),
        {**TRAIN, "momentum": 0.9},
    ),
    Example(
        "functional-adam-no-bias-correction",
        "Adam without bias correction",
        _f(update="adam_no_bias_correction"),
        ("training", "W1", "update_rule"),
        {**TRAIN, "optimizer": "adam", "lr": 0.01},
    ),
    Example(
        "functional-bias-without-lr",
        "the update steps the biases without lr",
        _f(update="bias_without_lr"),
        ("training", "b1", "update_rule"),
        TRAIN,
    ),
    Example("layers", "", _l(), None, TRAIN),
    Example(
        "layers-relu-mask",
        "ReLU backward masks by the gradient's sign",
        _l(act=L.ReLUMaskFromGradient),
        ("backward", "layers[3]", "relu_mask"),
    ),
    Example(
        "layers-leaky-relu-mask",
        "Leaky ReLU backward with ReLU's mask",
        _l(act=L.LeakyReLUAsReLU),
        ("backward", "layers[3]", "leaky_relu_mask"),
    ),
    Example(
        "layers-tanh-from-input",
        "tanh backward from the cached input",
        _l(act=L.TanhFromInput),
        ("backward", "layers[3]", "derivative_from_input"),
    ),
    Example(
        "layers-sigmoid-missing-factor",
        "sigmoid backward without (1 - y)",
        _l(act=L.SigmoidMissingFactor),
        ("backward", "layers[3]", "derivative_missing_factor"),
    ),
    Example(
        "layers-bias-not-summed",
        "Linear db = dy",
        _l(linear=L.LinearBiasNotSummed),
        ("backward", "layers[4].b", "bias_not_summed"),
    ),
    Example(
        "layers-transposed-dW",
        "Linear dW = dy.T @ x",
        _l(linear=L.LinearTransposedGrad),
        ("backward", "layers[4].W", "transposed"),
    ),
    Example(
        "layers-transposed-forward",
        "square Linear computes x @ W.T",
        _l(sizes=(64, 16, 16, 10), linear_at={1: L.LinearTransposedForward}),
        ("forward", "layers[2]", "transposed"),
    ),
    Example(
        "layers-missing-mean",
        "cross-entropy backward without 1/N",
        _l(loss=L.CrossEntropyMissingMean),
        ("backward", "loss", "factor"),
    ),
    Example(
        "layers-softmax-before-ce",
        "a Softmax layer before a logits cross-entropy",
        _l(output=L.Softmax),
        ("forward", "loss", "softmax_before_cross_entropy"),
    ),
    Example(
        "layers-half-mse",
        "½·MSE, with a matching gradient",
        _l(head="regression", sizes=(10, 16, 1), loss=L.HalfMeanSquaredError),
        ("forward", "loss", "factor"),
        {"dataset": "diabetes"},
    ),
    Example(
        "layers-no-zero-grad",
        "accumulating layers, update never clears",
        _l("sgd_no_zero", linear=L.LinearAccumulating),
        ("training", "layers[0].W", "accumulated_gradients"),
        TRAIN,
    ),
    Example(
        "layers-adam-eps-inside",
        "Adam with eps inside the square root",
        _l("adam_eps_inside"),
        ("training", "layers[0].W", "update_rule"),
        {**TRAIN, "optimizer": "adam", "lr": 0.01},
    ),
    Example(
        "layers-l2-in-backward",
        "Linear backward adds 0.01·W (an L2 regulariser)",
        _l(linear=L.LinearL2),
        ("backward", "layers[4].W", "l2_regulariser"),
    ),
    Example(
        "layers-logit-grad-after-softmax",
        "a Softmax layer, and a loss backward returning (p - y)/N",
        _l(output=L.Softmax, loss=L.ProbsCrossEntropyLogitGrad),
        ("backward", "loss", "loss_derivative_includes_activation"),
    ),
    Example(
        "layers-quadratic-cost",
        "a quadratic cost on the softmax output",
        _l(output=L.Softmax, loss=L.QuadraticCost),
        ("forward", "loss", "other_loss"),
    ),
    Example(
        "layers-tanh-at-output",
        "tanh backward evaluated at the output: 1 - tanh(y)²",
        _l(act=L.TanhAtOutput),
        ("backward", "layers[3]", "derivative_at_output"),
    ),
    Example(
        "layers-bce-on-every-output",
        "a BCE on every softmax output",
        _l(output=L.Softmax, loss=L.BCEOnEveryOutput),
        ("forward", "loss", "other_loss"),
    ),
    Example(
        "layers-mse-on-sigmoid",
        "MSE on the sigmoid output of a binary net",
        _l(head="binary", sizes=(30, 16, 1), output=L.Sigmoid, loss=L.MeanSquaredErrorOnProbs),
        ("forward", "loss", "other_loss"),
        {"dataset": "breast_cancer"},
    ),
    Example(
        "layers-casts-to-float32",
        "a Linear that casts its input to float32",
        _l(linear=L.LinearCastsToFloat32),
        ("forward", "layers[0]", "float32_arithmetic"),
    ),
    Example(
        "layers-float32-params",
        "parameters created in float32, gradients written into float32 buffers",
        _l(linear=L.LinearFloat32Params),
        ("backward", "layers[4].W", "float32_arithmetic"),
    ),
    Example("library-stored", "", LL.stored, None, TRAIN),
    Example("library-renamed", "", LL.renamed, None, TRAIN),
    Example("library-in-place", "", LL.in_place, None, TRAIN),
    Example("library-optimizer-inside", "", LL.optimizer_inside, None, TRAIN),
    Example(
        "library-stored-bias-not-summed",
        "nnfs Layer_Dense: dbiases kept per example",
        lambda: LL.stored("bias_not_summed"),
        ("backward", "layers[0].biases", "bias_not_summed"),
    ),
    Example(
        "library-in-place-bias-not-summed",
        "backward(grad, lr) updating b with the per-example gradient",
        lambda: LL.in_place("bias_not_summed"),
        ("backward", "layers[0].b", "bias_not_summed"),
    ),
    Example("torch-port", "", T.port, None, TRAIN),
    Example(
        "torch-port-equals-original",
        "",
        T.original,
        None,
        TRAIN,
        against=T.port,
    ),
    Example(
        "torch-port-no-transpose",
        "NumPy (in, out) weights loaded without .T (square W2)",
        lambda: T.original((64, 10, 10)),
        ("structure", "layers[2].weight", "transposed"),
        against=lambda: T.port("no_transpose", (64, 10, 10)),
    ),
    Example(
        "torch-port-softmax-before-ce",
        "nn.Softmax before nn.CrossEntropyLoss",
        lambda: T.port("softmax_before_ce"),
        ("forward", "loss", "softmax_before_cross_entropy"),
    ),
    Example(
        "torch-port-sigmoid-before-bce",
        "nn.Sigmoid before nn.BCEWithLogitsLoss",
        lambda: T.binary_port(sigmoid_first=True),
        ("forward", "loss", "sigmoid_before_bce_with_logits"),
        {"dataset": "breast_cancer"},
    ),
    Example(
        "torch-port-sum-reduction",
        'CrossEntropyLoss(reduction="sum")',
        lambda: T.port("sum_reduction"),
        ("forward", "loss", "factor"),
    ),
    Example(
        "torch-port-no-zero-grad",
        "optimizer.step() without zero_grad()",
        lambda: T.port("no_zero_grad"),
        ("training", "layers[0].weight", "accumulated_gradients"),
        TRAIN,
    ),
    Example(
        "torch-port-float32-model",
        "a float32 model fed float64 rows",
        lambda: T.port("float32_model"),
        ("forward", "layers[0]", "model_dtype"),
    ),
    Example(
        "torch-port-manual-rebind",
        "manual update p = p - lr * p.grad (rebinds)",
        lambda: T.port("manual_rebind"),
        ("training", "layers[0].weight", "update_rule"),
        TRAIN,
    ),
    Example(
        "torch-port-vs-original-sum",
        "the port's loss summed, compared with the NumPy original",
        T.original,
        ("forward", "loss", "factor"),
        against=lambda: T.port("sum_reduction"),
    ),
]
EXAMPLES = {e.name: e for e in EXAMPLE_LIST}
CORRECT = [e.name for e in EXAMPLE_LIST if e.expect is None]
