"""The seed's feed-forward network from scratch: NumPy only, hand-written backprop. Names,
arguments, defaults and parameter layouts are torch's, so a torch state dict loads unchanged."""

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
    make_activation,
    sigmoid,
    softmax,
)
from .batches import BatchOrder, batch_order
from .gradcheck import gradcheck, gradcheck_errors, gradients
from .inference import TASKS, evaluate, infer_task, predict, predict_proba
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
from .train import EXPLODING, History, TrainingDiverged, fit, train_step

__all__ = [
    "ACTIVATIONS", "DTYPES", "EXPLODING", "INITS", "LOSSES", "OPTIMIZERS", "SGD", "TASKS",
    "Activation", "Adam", "BCELoss", "BCEWithLogitsLoss", "BatchOrder", "CrossEntropyLoss",
    "History", "Identity", "LeakyReLU", "Linear", "Loss", "MSELoss", "Module", "Parameter",
    "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh", "TrainingDiverged", "batch_order",
    "build_model", "calculate_gain", "evaluate", "fit", "gradcheck", "gradcheck_errors",
    "gradients", "infer_task", "init_state_dict", "kaiming_normal", "kaiming_uniform",
    "load_weights", "make_activation", "make_loss", "make_optimizer", "predict", "predict_proba",
    "save_weights", "sigmoid", "softmax", "train_step", "xavier_normal", "xavier_uniform",
]  # fmt: skip
