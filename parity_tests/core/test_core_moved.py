"""Module paths that moved still import, as the same module, with a DeprecationWarning."""

import importlib
import sys

import pytest

from parity._util.moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_gives_the_new_module_and_warns(old):
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=rf"{old} is now {MOVED[old]}"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(MOVED[old])
    sys.modules.pop(old, None)


def test_every_new_path_exists_and_no_old_path_does():
    for old, new in MOVED.items():
        assert importlib.util.find_spec(new) is not None, new
        parent, _, leaf = old.rpartition(".")
        path = importlib.import_module(parent).__path__[0]
        assert not (importlib.util.find_spec(new).origin or "").startswith(f"{path}/{leaf}.py")


def test_from_import_of_an_old_path_works():
    sys.modules.pop("parity.files", None)
    with pytest.warns(DeprecationWarning):
        from parity.files import load_arrays
    from parity.data.files import load_arrays as new

    assert load_arrays is new
