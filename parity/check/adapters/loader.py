"""Load ``FILE.py[:NAME]``: a zero-argument callable in your file returning the implementation.

Every way this can fail is a ``LoadError`` (a ValueError) with one line that says what to
change: no such file, not a ``.py`` file, the file raised while loading, no ``NAME`` in it,
``NAME`` not callable, ``NAME()`` raised, either called ``sys.exit`` (a ``SystemExit``;
a KeyboardInterrupt still propagates), or it returned something other than a
``parity.check.Functional``, ``Layers`` or ``Torch`` (a ``Torch`` is a ``Layers``).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.check.inputs import InputError

DEFAULT_NAME = "implementation"


class LoadError(InputError):
    """Your file or its callable cannot give an implementation; the message says why."""


def split_spec(spec: str) -> tuple[Path, str]:
    """``"net.py:build"`` -> ``(Path("net.py"), "build")``; the name defaults to
    ``implementation``."""
    match = re.fullmatch(r"(.+\.py):([A-Za-z_]\w*)", spec)
    if match:
        return Path(match.group(1)), match.group(2)
    return Path(spec), DEFAULT_NAME


def _exited(what: str, err: SystemExit, when: str) -> str:
    """The line for a ``sys.exit(code)`` in your file (an ``if __name__ == "__main__"``
    guard missing, usually), which must not end ``nn-parity check`` with your code."""
    return (
        f"{what} called sys.exit({err.code!r}) {when}; nn-parity check imports your file, so "
        "put script code under if __name__ == '__main__':"
    )


def load_implementation(spec: str) -> Functional | Layers:
    """The implementation ``FILE.py[:NAME]`` returns (see the module docstring)."""
    path, name = split_spec(spec)
    if not path.is_file():
        raise LoadError(f"no such file: {path}")
    if path.suffix != ".py":
        raise LoadError(f"{path} is not a Python file; pass FILE.py[:NAME]")
    module_name = f"_nn_parity_check_{abs(hash(path.resolve()))}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise LoadError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(loader_spec)
    with _on_path(path.resolve().parent):  # your file imports its neighbours, then or later
        return _check(_call(module, path, name, loader_spec), path, name)


@contextmanager
def _on_path(folder: Path) -> Iterator[None]:
    """``folder`` first on ``sys.path`` while your file loads and builds its implementation."""
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))


def _call(module: Any, path: Path, name: str, loader_spec: Any) -> Any:
    """Run your file, then ``NAME()``; a ``LoadError`` for each way that fails."""
    try:
        loader_spec.loader.exec_module(module)
    except SystemExit as err:
        raise LoadError(_exited(str(path), err, "while loading")) from None
    except Exception as err:
        raise LoadError(f"{path} raised {type(err).__name__} while loading: {err}") from None
    factory = getattr(module, name, None)
    if factory is None:
        raise LoadError(
            f"{path} has no {name!r}; define def {name}(): return Functional(...), "
            f"Layers(...) or Torch(...), or name another with {path}:NAME"
        )
    if not callable(factory):
        raise LoadError(f"{path}:{name} is a {type(factory).__name__}, not a function")
    try:
        return factory()
    except SystemExit as err:
        raise LoadError(_exited(f"{path}:{name}()", err, "when called")) from None
    except Exception as err:
        raise LoadError(f"{path}:{name}() raised {type(err).__name__}: {err}") from None


def _check(impl: Any, path: Path, name: str) -> Functional | Layers:
    if not isinstance(impl, (Functional, Layers)):
        raise LoadError(
            f"{path}:{name}() returned a {type(impl).__name__}; it must return a "
            f"parity.check.Functional, Layers or Torch"
        )
    return impl
