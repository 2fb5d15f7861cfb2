"""Load ``FILE.py[:NAME]``: a zero-argument callable in your file returning the implementation.

Every way this can fail is a ``LoadError`` (a ValueError) with one line that says what to
change: no such file, not a ``.py`` file, the file raised while loading, no ``NAME`` in it,
``NAME`` not callable, ``NAME()`` raised, either called ``sys.exit`` (a ``SystemExit``;
a KeyboardInterrupt still propagates), or it returned something other than a
``parity.check.Functional``, ``Layers`` or ``Torch`` (a ``Torch`` is a ``Layers``).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path

from parity.check.adapters.functional import Functional
from parity.check.adapters.layers import Layers
from parity.errors import LoadError

DEFAULT_NAME = "implementation"


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


# Imported before your folder goes on sys.path, so that a module of yours cannot replace them;
# a file of yours with one of these names, or of SHADOWS, beside your file is refused by name
# (scipy and sklearn are imported later, by the built-in datasets: importing them first would
# slow every check down by seconds).
DEPENDENCIES = ("numpy", "torch", "scratch", "torch_impl", "parity")
SHADOWS = (*DEPENDENCIES, "scipy", "sklearn")


_LOADED: set[str] = set()  # the modules this loader made (a later file may take a name)


def _shadows(folder: Path) -> list[str]:
    """Files in ``folder`` that would stand in for a package nn-parity check uses."""
    return [
        dep
        for dep in SHADOWS
        if (folder / f"{dep}.py").is_file() or (folder / dep / "__init__.py").is_file()
    ]


def load_implementation(spec: str) -> Functional | Layers:
    """The implementation ``FILE.py[:NAME]`` returns (see the module docstring).

    The file is imported as the module of its own name (in ``sys.modules``, so dataclasses,
    pickling and lazy imports work as in a script), with its folder first on ``sys.path``
    from now on; the packages nn-parity uses are imported before, and a module of yours that
    would shadow one of them (``torch.py`` beside your file) is refused by name."""
    path, name = split_spec(spec)
    if not path.is_file():
        raise LoadError(f"no such file: {path}")
    if path.suffix != ".py":
        raise LoadError(f"{path} is not a Python file; pass FILE.py[:NAME]")
    path = path.resolve()
    folder, module_name = path.parent, path.stem
    for dep in DEPENDENCIES:
        importlib.import_module(dep)  # before your folder goes on sys.path
    shadows = [d for d in _shadows(folder) if d != module_name]
    if shadows:
        names = ", ".join(f"{d}.py" for d in shadows)
        raise LoadError(
            f"{names} beside {path.name} would shadow what nn-parity check imports "
            f"({', '.join(shadows)}); rename your module or move your file"
        )
    if module_name in sys.modules and module_name not in _LOADED:
        raise LoadError(
            f"{path.name} has the name of the module {module_name!r}, which nn-parity check "
            "has imported already; rename your file"
        )
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise LoadError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(loader_spec)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # so the file can import its neighbours, at any time
    sys.modules[module_name] = module
    _LOADED.add(module_name)
    try:
        loader_spec.loader.exec_module(module)
    except SystemExit as err:
        del sys.modules[module_name]
        raise LoadError(_exited(str(path), err, "while loading")) from None
    except Exception as err:
        del sys.modules[module_name]
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
        impl = factory()
    except SystemExit as err:
        raise LoadError(_exited(f"{path}:{name}()", err, "when called")) from None
    except Exception as err:
        raise LoadError(f"{path}:{name}() raised {type(err).__name__}: {err}") from None
    if not isinstance(impl, (Functional, Layers)):
        raise LoadError(
            f"{path}:{name}() returned a {type(impl).__name__}; it must return a "
            f"parity.check.Functional, Layers or Torch"
        )
    return impl
