"""Seven networks written from issue 19's descriptions, as their users would write them, in
styles the suite did not have: the column layout (functions and layer classes), nnfs's
classes as published (stored outputs, a linear activation ending a regression), Keras-style
optimizers, a PyTorch port as a custom nn.Module (alone and against its NumPy original),
layers that update themselves in backward(grad, lr) on a binary dataset with two logits, and
per-example loops. Each is adapted only as docs/CHECK.md says; ``CASES`` lists the correct
ones and the planted mistakes, with what the check should find (``Example.expect``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import column_layers
import inplace_moons
import keras_optimizers
import ng_columns
import nnfs_regression
import per_example_loop
import torch_port_module

from parity.check import Functional, Layers, Wrapped, WrappedLoss
from parity.check.examples import Example


def ng(bug=None):
    params = ng_columns.initialize_parameters(2, 4, 1)
    return Functional(ng_columns.make_loss(bug), params, activation="tanh", head="binary")


def columns_layers(bug=None):
    layers, loss = column_layers.network(bug)
    return Layers(layers, loss)


def nnfs(bug=None):
    layers, loss = nnfs_regression.network(bug)
    wrapped = [Wrapped(layer, output="output", dinput="dinputs") for layer in layers]
    loss = WrappedLoss(loss, forward="calculate", dinput="dinputs", backward_args=True)
    return Layers(wrapped, loss, head="regression", weight="weights", bias="biases",
                  grad_weight="dweights", grad_bias="dbiases")  # fmt: skip


def keras(optimizer=None):
    mlp = keras_optimizers.MLP((64, 32, 10))
    return Functional(mlp.loss_and_grads, mlp.params, activation="relu", update=optimizer)


def inplace(bug=None, lr=1.0):
    layers, loss = inplace_moons.network(bug)
    return Layers([Wrapped(layer, in_place_lr=lr) for layer in layers], loss,
                  kinds=["leaky_relu"], grad_weight="grad_W", grad_bias="grad_b")  # fmt: skip


def loop(bug=None):
    return Functional(per_example_loop.make_loss(bug), per_example_loop.init(),
                      activation="tanh", head="regression")  # fmt: skip


def original():
    P = torch_port_module.numpy_weights()
    return Functional(torch_port_module.numpy_original, P, activation="tanh", head="binary")


STEPS = {"steps": 3}
MOONS = {"dataset": "moons"}
BC = {"dataset": "breast_cancer"}
ADAM = {"steps": 3, "optimizer": "adam", "lr": 0.01}
SINE = {"dataset": "sine", "oracle": "quick"}  # a Python loop per row: the cheaper oracle
CASES = [
    Example("ng_columns", "", ng, None, {**MOONS, **STEPS}),
    Example("ng_columns:derivative_at_z", "tanh' evaluated at Z1, not at A1",
            lambda: ng("derivative_at_z"), ("backward", "W1", "derivative_from_input"), MOONS),
    Example("ng_columns:no_m_dW1", "dW1 without the 1/m", lambda: ng("no_m_dW1"),
            ("backward", "W1", "factor"), MOONS),
    Example("column_layers", "", columns_layers, None, STEPS),
    Example("column_layers:dW_transposed", "dW = A_prev @ dZ.T, (in, out)",
            lambda: columns_layers("dW_transposed"), ("backward", "layers[2].W", "transposed")),
    Example("column_layers:db_per_example", "db = dZ, not summed over the columns",
            lambda: columns_layers("db_per_example"),
            ("backward", "layers[2].b", "bias_not_summed")),
    Example("column_layers:db_wrong_axis", "db = dZ.sum(axis=0): over the units",
            lambda: columns_layers("db_wrong_axis"),
            ("backward", "layers[2].b", "bias_wrong_axis")),
    Example("column_layers:db_scalar", "db = np.sum(dZ): one number",
            lambda: columns_layers("db_scalar"), ("backward", "layers[2].b", "bias_summed_all")),
    Example("nnfs_regression", "", nnfs, None, {"dataset": "diabetes", **STEPS}),
    Example("nnfs_regression:no_2", "MSE backward without the 2", lambda: nnfs("no_2"),
            ("backward", "loss", "factor"), {"dataset": "diabetes"}),
    Example("nnfs_regression:sigmoid_twice", "sigmoid derivative applied twice",
            lambda: nnfs("sigmoid_twice"), ("backward", "layers[3]", "derivative_twice"),
            {"dataset": "diabetes"}),
    Example("keras_optimizers", "", lambda: keras(keras_optimizers.Adam(epsilon=1e-8)), None,
            ADAM),
    Example("keras_optimizers:adam_eps", "Keras's Adam, epsilon 1e-7",
            lambda: keras(keras_optimizers.Adam()), ("training", "w0", "update_rule"), ADAM),
    Example("keras_optimizers:rmsprop_rho", "Keras's RMSprop, rho 0.9",
            lambda: keras(keras_optimizers.RMSprop()), ("training", "w0", "update_rule"),
            {**ADAM, "optimizer": "rmsprop"}),
    Example("torch_port_module", "", torch_port_module.port, None, {**BC, **STEPS,
            "momentum": 0.9}),
    Example("torch_port_module:vs_original", "", original, None, {**BC, **STEPS,
            "momentum": 0.9}, against=torch_port_module.port),
    Example("torch_port_module:sigmoid", "nn.Sigmoid before BCEWithLogitsLoss",
            lambda: torch_port_module.port("sigmoid_then_logits_loss"),
            ("forward", "loss", "sigmoid_before_bce_with_logits"), BC),
    Example("torch_port_module:sum", "BCEWithLogitsLoss(reduction='sum')",
            lambda: torch_port_module.port("sum"), ("forward", "loss", "factor"), BC),
    Example("torch_port_module:float32", "a float32 model fed float64 rows",
            lambda: torch_port_module.port("float32"), ("forward", "layers[0]", "model_dtype"),
            BC),
    Example("torch_port_module:no_zero_grad", "the loop's zero_grad() left out",
            lambda: torch_port_module.port("no_zero_grad"),
            ("training", "layers[0].weight", "accumulated_gradients"),
            {**BC, **STEPS, "momentum": 0.9}),
    Example("torch_port_module:no_transpose", "square W2 loaded without .T, vs the original",
            original, ("structure", "layers[2].weight", "transposed"), BC,
            against=lambda: torch_port_module.port("no_transpose")),
    Example("inplace_moons", "", inplace, None, {**MOONS, **STEPS}),
    Example("inplace_moons:bias_without_lr", "b -= db, without the lr (checked at lr 0.5)",
            lambda: inplace("bias_without_lr", lr=0.5), ("backward", "layers[0].b", "factor"),
            MOONS),
    Example("inplace_moons:slope", "Leaky ReLU backward with slope 0.1",
            lambda: inplace("slope"), ("backward", "layers[1]", "leaky_relu_slope"), MOONS),
    Example("per_example_loop", "", loop, None, {**SINE, **STEPS}),
    Example("per_example_loop:half_mse", "1/2 MSE with its gradient", lambda: loop("half_mse"),
            ("forward", "loss", "factor"), SINE),
    Example("per_example_loop:no_mean", "gradients summed over the rows",
            lambda: loop("no_mean"), ("backward", "w2", "factor"), SINE),
]  # fmt: skip
