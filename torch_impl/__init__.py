"""The network in idiomatic PyTorch: ``nn.Sequential``, ``torch.optim``, a textbook loop.

The twin of ``scratch``, file for file (``activations``, ``losses``, ``model``, ``optim``,
``init``, ``train``, ``inference``, ``io``; the same layout, state-dict keys and names), plus
``device`` (device, dtype and TF32). It checks its inputs at the model boundary, each error
naming the argument. Imports only torch and NumPy, never ``scratch`` or ``parity``.
"""

from torch_impl.activations import ACTIVATIONS, make_activation
from torch_impl.device import DTYPES, parity_mode, resolve_device, resolve_dtype
from torch_impl.inference import TASKS, evaluate, infer_task, predict, predict_proba
from torch_impl.init import INITS, init_state_dict
from torch_impl.io import load_numpy_state_dict, load_weights, numpy_state_dict, save_weights
from torch_impl.losses import LOSSES, make_loss
from torch_impl.model import build_model
from torch_impl.optim import OPTIMIZERS, make_optimizer
from torch_impl.train import EXPLODING, History, TrainingDiverged, fit

__all__ = [
    "ACTIVATIONS", "DTYPES", "EXPLODING", "INITS", "LOSSES", "OPTIMIZERS", "TASKS", "History",
    "TrainingDiverged", "build_model", "evaluate", "fit", "infer_task", "init_state_dict",
    "load_numpy_state_dict", "load_weights", "make_activation", "make_loss", "make_optimizer",
    "numpy_state_dict", "parity_mode", "predict", "predict_proba", "resolve_device",
    "resolve_dtype", "save_weights",
]  # fmt: skip
