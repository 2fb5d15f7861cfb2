"""The network in idiomatic PyTorch: ``nn.Sequential``, ``torch.optim``, a textbook loop.

The twin of ``scratch`` (same layout, same state-dict keys and shapes); imports only torch and
NumPy, never ``scratch`` or ``parity``. ``model`` builds the network and resolves dtype and
device, ``io`` moves weights in and out, ``train`` fits and predicts.
"""

from torch_impl.io import load_numpy_state_dict, load_weights, numpy_state_dict, save_weights
from torch_impl.model import ACTIVATIONS, build_model, parity_mode, resolve_device, resolve_dtype
from torch_impl.train import History, fit, predict, predict_proba

__all__ = [
    "ACTIVATIONS",
    "History",
    "build_model",
    "fit",
    "load_numpy_state_dict",
    "load_weights",
    "numpy_state_dict",
    "parity_mode",
    "predict",
    "predict_proba",
    "resolve_device",
    "resolve_dtype",
    "save_weights",
]
