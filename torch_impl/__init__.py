"""The network in idiomatic PyTorch: ``nn.Sequential``, ``torch.optim``, a textbook loop.

The twin of ``scratch``, file for file (``model``, ``losses``, ``init``, ``tasks``,
``train``, ``io``; same layout, same state-dict keys and shapes, same names and the same
errors for bad input), plus ``device`` (device, dtype and TF32). Imports only torch and
NumPy, never ``scratch`` or ``parity``.
"""

from torch_impl.device import DTYPES, parity_mode, resolve_device, resolve_dtype
from torch_impl.divergence import EXPLODING, TrainingDiverged
from torch_impl.init import INITS, init_state_dict
from torch_impl.io import load_numpy_state_dict, load_weights, numpy_state_dict, save_weights
from torch_impl.losses import LOSSES, make_loss
from torch_impl.model import ACTIVATIONS, build_model, make_activation
from torch_impl.tasks import TASKS, infer_task
from torch_impl.train import History, evaluate, fit, predict, predict_proba

__all__ = [
    "ACTIVATIONS",
    "DTYPES",
    "EXPLODING",
    "INITS",
    "LOSSES",
    "TASKS",
    "History",
    "TrainingDiverged",
    "build_model",
    "evaluate",
    "fit",
    "infer_task",
    "init_state_dict",
    "load_numpy_state_dict",
    "load_weights",
    "make_activation",
    "make_loss",
    "numpy_state_dict",
    "parity_mode",
    "predict",
    "predict_proba",
    "resolve_device",
    "resolve_dtype",
    "save_weights",
]
