"""Integer class labels beyond +-2**53, which float64 cannot hold apart, are refused by name
(a .csv's text and an .npz's int64 / uint64 alike) instead of merging with a neighbour:
``9007199254740993`` read back as ``9007199254740992``, ``2**53`` and ``2**53 + 1`` taken as
one value."""

from __future__ import annotations

import numpy as np
import pytest

from parity.data.files import load_training

BIG = {  # id: the two labels, alternating over 6 rows
    "2**53+1": (2**53 + 1, 5),
    "2**53-and-2**53+1": (2**53, 2**53 + 1),
    "below-int64": (-(2**63) - 1, 5),
    "int64-min": (-(2**63), 5),
    "uint64-max": (2**64 - 1, 5),
}


def _write(tmp_path, kind, labels):
    y = [labels[r % 2] for r in range(6)]
    if kind == "csv":
        path = tmp_path / "big.csv"
        path.write_text("x,y\n" + "".join(f"{r},{v}\n" for r, v in enumerate(y)))
        return path
    dtype = np.uint64 if min(labels) >= 0 else np.int64
    path = tmp_path / "big.npz"
    np.savez(path, x=np.arange(6.0), y=np.array(y, dtype=dtype))
    return path


FILES = [(case, kind) for case in BIG for kind in ("csv", "npz") if BIG[case][0] >= -(2**63)]
FILES.append(("below-int64", "csv"))  # no int64 holds it: only a .csv can


@pytest.mark.parametrize(("case", "kind"), FILES, ids=[f"{c}-{k}" for c, k in FILES])
def test_labels_float64_cannot_hold_apart_are_refused(case, kind, tmp_path):
    labels = BIG[case]
    path = _write(tmp_path, kind, labels)
    big = next(v for v in labels if abs(v) > 2**53)
    with pytest.raises(ValueError, match=rf"column 'y': class label {big} is beyond \+-2\*\*53"):
        load_training(path, target="y")


@pytest.mark.parametrize("kind", ["csv", "npz"])
def test_labels_up_to_2_53_are_read_exactly(kind, tmp_path):
    data = load_training(_write(tmp_path, kind, (2**53, -(2**53))), target="y")
    assert data.classes == (-(2**53), 2**53)
    assert data.y.tolist() == [1, 0, 1, 0, 1, 0]


def test_a_big_integer_regression_target_is_still_a_number(tmp_path):
    data = load_training(_write(tmp_path, "csv", (2**60 + 1, 5)), target="y", task="regression")
    assert data.task == "regression" and data.y[0] == float(2**60)
