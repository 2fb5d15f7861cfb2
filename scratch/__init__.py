"""The seed's feed-forward network from scratch: NumPy only, hand-written backprop.

Names, arguments, defaults and parameter layouts follow ``torch.nn`` / ``torch.optim``, so
the same code reads the same on both sides and a torch state dict loads unchanged.

>>> import numpy as np, scratch
>>> model = scratch.build_model(2, [8], 1, "tanh", rng=np.random.default_rng(0))
>>> sorted(model.state_dict())
['0.bias', '0.weight', '2.bias', '2.weight']
"""

from ._checks import DTYPES
from .activations import (
    ACTIVATIONS,
    Activation,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    log_softmax,
    make_activation,
    sigmoid,
    softmax,
)
from .batches import BatchOrder, batch_order
from .gradcheck import gradcheck, gradcheck_errors, gradients
from .init import (
    INITS,
    calculate_gain,
    init_state_dict,
    kaiming_normal,
    kaiming_uniform,
    xavier_normal,
    xavier_uniform,
)
from .io import load_weights, save_weights
from .layers import Linear
from .losses import LOSSES, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss, make_loss
from .model import Sequential, build_model
from .module import Module, Parameter
from .optim import OPTIMIZERS, SGD, Adam, make_optimizer
from .train import (
    EXPLODING,
    TASKS,
    History,
    TrainingDiverged,
    evaluate,
    fit,
    infer_task,
    predict,
    predict_proba,
    train_step,
)

__all__ = [
    "ACTIVATIONS", "DTYPES", "EXPLODING", "INITS", "LOSSES", "OPTIMIZERS", "SGD", "TASKS",
    "Activation", "Adam",
    "BCELoss", "BCEWithLogitsLoss", "BatchOrder", "CrossEntropyLoss", "History", "Identity",
    "LeakyReLU", "Linear", "Loss", "MSELoss", "Module", "Parameter", "ReLU", "Sequential",
    "Sigmoid", "Softmax", "Tanh", "TrainingDiverged", "batch_order", "build_model",
    "calculate_gain", "evaluate", "fit", "gradcheck", "gradcheck_errors", "gradients",
    "infer_task", "init_state_dict", "kaiming_normal", "kaiming_uniform", "load_weights",
    "log_softmax", "make_activation", "make_loss", "make_optimizer", "predict", "predict_proba",
    "save_weights",
    "sigmoid", "softmax", "train_step", "xavier_normal", "xavier_uniform",
]  # fmt: skip
