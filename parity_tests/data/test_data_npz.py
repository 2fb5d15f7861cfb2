"""parity.data.npz: hostile .npz archives, tiny on disk, refused before they cost memory.

The archives are built here byte by byte: a .npy header that declares 10**12 elements, a zip
entry that lies about its size, compressed zeros that expand a thousandfold, truncated and
corrupt members, and every dtype a user could save (complex, object, bytes, records, dates).
"""

import io
import re
import struct
import tracemalloc
import zipfile

import numpy as np
import numpy.lib.format as npy
import pytest

from parity.data.files import MAX_BYTES, load_training, read_features, read_table
from parity.data.npz import read_npz, size_text

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning", "error::UserWarning")


def npy_member(shape, descr="<f8", data=None, version=(1, 0), fortran=False):
    """A .npy file's bytes: a header declaring ``shape`` and ``descr``, then ``data`` (default:
    zeros of the declared size)."""
    f = io.BytesIO()
    header = {"descr": descr, "fortran_order": fortran, "shape": shape}
    (npy.write_array_header_1_0 if version == (1, 0) else npy.write_array_header_2_0)(f, header)
    if data is None:
        data = bytes(int(np.prod(shape)) * np.dtype(descr).itemsize)
    return f.getvalue() + data


def archive(path, members, compression=zipfile.ZIP_STORED):
    """Write a zip of ``members`` (name -> bytes, or a callable writing to a stream)."""
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, content in members.items():
            if callable(content):
                with zf.open(name, "w", force_zip64=True) as stream:
                    content(stream)
            else:
                zf.writestr(name, content)
    return path


def patch_central(path, offset, fmt, value):
    """Overwrite a field of the (first) central-directory entry: the zip's own claims."""
    raw = bytearray(path.read_bytes())
    at = raw.index(b"PK\x01\x02") + offset
    raw[at : at + struct.calcsize(fmt)] = struct.pack(fmt, value)
    path.write_bytes(bytes(raw))
    return path


def zeros_stream(n_bytes, header):
    def write(stream):
        stream.write(header)
        chunk = bytes(1 << 20)
        for start in range(0, n_bytes, len(chunk)):
            stream.write(chunk[: min(len(chunk), n_bytes - start)])

    return write


GOOD_X = npy_member((4, 2), data=np.arange(8.0).tobytes())


def hostile(tmp_path, case):
    """The archive of ``case`` in ``tmp_path`` (see HOSTILE)."""
    path = tmp_path / "h.npz"
    y4 = npy_member((4,), data=np.array([0.0, 1, 0, 1]).tobytes())
    members = {
        "tera": {"X.npy": GOOD_X, "y.npy": npy_member((10**12,), data=b"")},
        "tall-X": {"X.npy": npy_member((50_000_000, 3), data=bytes(1 << 16)), "y.npy": y4},
        "truncated": {"X.npy": GOOD_X, "y.npy": npy_member((1000,), data=bytes(80))},
        "complex": {"X.npy": GOOD_X, "y.npy": npy_member((4,), "<c16")},
        "bytes": {"X.npy": GOOD_X, "y.npy": npy_member((4,), "|S3")},
        "records": {"X.npy": GOOD_X, "y.npy": npy_member((4,), [("a", "<f8"), ("b", "<i4")])},
        "datetimes": {"X.npy": GOOD_X, "y.npy": npy_member((4,), "<M8[s]")},
        "timedeltas": {"X.npy": GOOD_X, "y.npy": npy_member((4,), "<m8[s]")},
        "three-d": {"X.npy": npy_member((2, 2, 2)), "y.npy": y4},
        "negative-shape": {"X.npy": GOOD_X, "y.npy": npy_member((-4,), data=b"")},
        "not-npy": {"X.npy": GOOD_X, "notes.txt": b"hello"},
        "bad-magic": {"X.npy": GOOD_X, "y.npy": b"\x93NUMPX\x01\x00" + bytes(120)},
        "short-member": {"X.npy": GOOD_X, "y.npy": b"\x93NUM"},
        "garbage-header": {"X.npy": GOOD_X,
                           "y.npy": b"\x93NUMPY\x01\x00\x10\x00" + b"((((((((((((((((" },
        "not-a-dict": {"X.npy": GOOD_X,
                       "y.npy": b"\x93NUMPY\x01\x00\x10\x00" + b"[1, 2, 3]       "},
        "version-3": {"X.npy": GOOD_X, "y.npy": b"\x93NUMPY\x03\x00" + bytes(60)},
        "huge-v2-header": {"X.npy": GOOD_X,
                           "y.npy": b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFF_FFF0)},
        "long-v1-header": {"X.npy": GOOD_X,
                           "y.npy": b"\x93NUMPY\x01\x00\xff\xff" + b" " * 0xFFFF},
        "extra-data": {"X.npy": GOOD_X, "y.npy": y4 + b"\x00" * 8},
    }  # fmt: skip
    if case in members:
        return archive(path, members[case])
    if case == "object":
        np.savez(path, X=np.ones((2, 2)), y=np.array([{"a": 1}, None], dtype=object))
    elif case == "duplicate":
        archive(path, {"X.npy": GOOD_X, "y.npy": y4})
        with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "a") as zf:
            zf.writestr("y.npy", y4)
    elif case == "lying-zip-size":
        patch_central(archive(path, {"X.npy": GOOD_X}), 24, "<I", 0xF000_0000)
    elif case == "lying-small-header":  # declares 10 rows, holds 10 MB of compressed zeros
        archive(path, {"X.npy": GOOD_X, "y.npy": zeros_stream(10 << 20, npy_member((4,)))},
                zipfile.ZIP_DEFLATED)  # fmt: skip
    elif case == "encrypted":
        patch_central(archive(path, {"X.npy": GOOD_X}), 8, "<H", 0x1)
    elif case == "unknown-compression":
        patch_central(archive(path, {"X.npy": GOOD_X}), 10, "<H", 99)
    elif case == "bad-crc":
        raw = bytearray(archive(path, {"X.npy": GOOD_X}).read_bytes())
        raw[raw.index(np.arange(8.0).tobytes()) + 9] ^= 0xFF  # flip a data byte, keep the CRC
        path.write_bytes(bytes(raw))
    elif case == "truncated-zip":
        np.savez(path, X=np.ones((50, 2)), y=np.zeros(50))
        path.write_bytes(path.read_bytes()[:-30])
    return path


HOSTILE = {  # case: message (regex)
    "tera": r"array 'y' of shape \(1000000000000,\) and dtype float64 would take 7\.28 TiB, over "
            r"the limit of 1 GiB \(parity\.data\.files\.MAX_BYTES\); pass max_bytes=\.\.\. to "
            r"parity\.data\.files to allow more",
    "tall-X": r"array 'X' of shape \(50000000, 3\) and dtype float64 would take 1\.12 GiB, over "
              r"the limit of 1 GiB",
    "lying-zip-size": r"array 'X' \(4026531840 bytes unpacked\) would take 3\.75 GiB, over the "
                      r"limit of 1 GiB",
    "lying-small-header": r"array 'y' holds more data than its header declares",
    "truncated": r"array 'y' is truncated: its header declares 8000 bytes of data, the archive "
                 r"holds 80",
    "complex": r"array 'y' has dtype complex128: complex numbers; save the real and imaginary "
               r"parts as two columns \(np\.real, np\.imag\)",
    "object": r"array 'y' has dtype object: Python objects, which only pickle can read "
              r"\(refused\); save numbers or str text",
    "bytes": r"array 'y' has dtype \|S3: byte strings; save numbers, or text as str",
    "records": r"array 'y' has dtype .*: structured or raw records; save one plain array per",
    "datetimes": r"array 'y' has dtype datetime64\[s\]: datetimes; save them as numbers",
    "timedeltas": r"array 'y' has dtype timedelta64\[s\]: timedeltas; save them as numbers",
    "three-d": r"array 'X' has shape \(2, 2, 2\); expected 1-D columns or a 2-D 'X'",
    "negative-shape": r"array 'y' has shape \(-4,\); expected 1-D columns",
    "not-npy": r"member 'notes\.txt' is not a \.npy array; an \.npz \(as np\.savez writes it\) "
               r"holds only \.npy members",
    "duplicate": r"the archive holds 'y\.npy' twice",
    "bad-magic": r"array 'y' has no valid \.npy header",
    "short-member": r"array 'y' has no valid \.npy header",
    "garbage-header": r"array 'y' has no valid \.npy header",
    "not-a-dict": r"array 'y' has no valid \.npy header \(Header is not a dictionary",
    "version-3": r"array 'y' has no valid \.npy header \(unsupported \.npy format version "
                 r"3\.0\)",
    "huge-v2-header": r"array 'y' has no valid \.npy header \(a header of 4294967280 bytes\)",
    "long-v1-header": r"array 'y' has no valid \.npy header \(Header info length \(65535\) is "
                      r"large and may not be safe to load securely\.\)",
    "extra-data": r"array 'y' holds more data than its header declares",
    "encrypted": r"member 'X\.npy' is encrypted",
    "unknown-compression": r"member 'X\.npy' uses zip compression method 99, which Python "
                           r"cannot read",
    "bad-crc": r"not a readable \.npz archive \(Bad CRC-32 for file 'X\.npy'\)",
    "truncated-zip": r"not a \.npz archive \(np\.savez writes one\)",
}  # fmt: skip


@pytest.mark.parametrize("reader", ["train", "predict"])
@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_archives_are_refused_in_one_line(tmp_path, case, reader):
    path = hostile(tmp_path, case)
    assert path.stat().st_size < 200_000  # tiny on disk, whatever it claims
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            if reader == "train":
                load_training(path, target="y")
            else:
                read_features(path, ["a", "b"], "y")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert re.search(HOSTILE[case], message), message
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert peak < 4 << 20, f"{size_text(peak)} allocated before refusing"


def test_compressed_zeros_refused_before_they_are_decompressed(tmp_path):
    path = tmp_path / "zeros.npz"
    np.savez_compressed(path, X=np.zeros((200_000, 3)), y=np.zeros(200_000))
    assert path.stat().st_size < 20_000  # 6.4 MB of data in a few kB
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"array 'X' \(4800\d+ bytes unpacked\) would take "
                           r"4\.58 MiB, over the limit of 1 MiB"):  # fmt: skip
            read_table(path, max_bytes=1 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    # the same archive under a limit that allows it
    assert read_table(path, max_bytes=16 << 20).n_rows == 200_000


def test_the_limit_counts_small_dtypes_at_float64_size(tmp_path):
    path = tmp_path / "bools.npz"
    np.savez(path, X=np.zeros((100_000, 2), dtype=bool), y=np.zeros(100_000, dtype=np.int8))
    with pytest.raises(ValueError, match=r"array 'y' of shape \(100000,\) and dtype int8 would "
                       r"take 781 KiB, over the limit of 2 MiB"):  # fmt: skip
        read_npz(path, max_bytes=2 << 20)  # X, as float64, takes 1.53 MiB of the 2


def test_limit_default_and_keyword_checks(tmp_path):
    assert MAX_BYTES == 1 << 30
    path = tmp_path / "t.npz"
    np.savez(path, X=np.ones((2, 2)), y=np.array([0, 1]))
    with pytest.raises(TypeError, match=r"max_bytes must be an int, got float 1\.5"):
        read_table(path, max_bytes=1.5)
    with pytest.raises(ValueError, match=r"max_bytes must be >= 1, got 0"):
        load_training(path, target="y", max_bytes=0)


@pytest.mark.parametrize(
    ("dtype", "fortran"),
    [("bool", False), ("int8", False), ("uint16", False), ("float16", False),
     ("float32", False), (">f8", False), ("<i8", True), ("longdouble", False)],
)  # fmt: skip
def test_accepted_dtypes_read_as_np_load_reads_them(tmp_path, dtype, fortran):
    values = (np.arange(12).reshape(6, 2) % 2 == 1) if dtype == "bool" else \
        np.arange(12).reshape(6, 2).astype(dtype)  # fmt: skip
    values = np.asfortranarray(values) if fortran else values
    path = tmp_path / "t.npz"
    np.savez(path, X=values, y=np.array([0, 1, 0, 1, 0, 1], dtype=dtype))
    arrays = read_npz(path)
    with np.load(path) as expected:
        for key in ("X", "y"):
            assert arrays[key].dtype == expected[key].dtype
            np.testing.assert_array_equal(arrays[key], expected[key])
    data = load_training(path, target="y")
    np.testing.assert_array_equal(data.X, values.astype(np.float64))


def test_longdouble_beyond_float64_is_a_non_finite_value_not_a_warning(tmp_path):
    path = tmp_path / "t.npz"
    huge = np.array([1.0, 2.0, 3.0], dtype=np.longdouble) * np.longdouble(10) ** 400
    if not np.isfinite(huge).all():
        pytest.skip("this platform's long double is float64")  # counted as skipped, not passed
    np.savez(path, a=huge, y=np.array([0, 1, 0]))
    with pytest.raises(ValueError, match=r"column 'a' has 3 missing or non-finite value\(s\)"):
        load_training(path, target="y")
