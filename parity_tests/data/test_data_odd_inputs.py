"""Inputs whose message used to be wrong: a subnormal feature column in float64 (refused with
"use --dtype float64" though it already was), a weights or data path that is a link to a
device (reported as "not found", or read forever)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from parity.data.files import load_training
from parity.data.npz import read_npz


def _subnormal_csv(tmp_path):
    path = tmp_path / "tiny.csv"
    rows = "".join(f"{1e-320 * (r % 3)},{r},{r % 2}\n" for r in range(8))
    path.write_text("a,b,y\n" + rows)
    return path


def test_a_subnormal_column_is_kept_in_float64(tmp_path):
    data = load_training(_subnormal_csv(tmp_path), target="y")
    assert data.X[:, 0].max() == 2e-320 and data.X.dtype == np.float64


def test_a_subnormal_column_is_refused_in_float32_with_the_float64_hint(tmp_path):
    with pytest.raises(ValueError, match=r"column 'a' has values at most 2e-320 .* not fit "
                       r"float32 .*use --dtype float64"):  # fmt: skip
        load_training(_subnormal_csv(tmp_path), target="y", dtype="float32")


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [(lambda p: os.symlink("/dev/zero", p), ValueError, "is not a regular file"),
     (lambda p: os.mkdir(p), ValueError, "is a directory"),
     (lambda p: None, FileNotFoundError, "not found")],
    ids=["link-to-dev-zero", "directory", "missing"],
)  # fmt: skip
def test_read_npz_names_what_is_there_instead_of_a_file(make, error, message, tmp_path):
    path = tmp_path / "weights.npz"
    make(path)
    with pytest.raises(error, match=f"weights.npz: {message}"):
        read_npz(path)
