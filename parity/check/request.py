"""What one ``nn-parity check`` computes, in its child process (``parity.check.child``): your
file's check, ``--self`` or ``--demo``. Each prints its tables and returns its reports; the
parent writes the outputs.

A request is a dict: ``spec`` (``FILE.py:NAME``, the path absolute) and ``file``, with
``against`` (a second ``FILE.py:NAME``, compared with the first) or not; or
``self``, or ``demo``; ``dataset``, or ``data`` (an absolute path) with ``target``; ``kw``
(``check``'s keyword arguments). :func:`run` returns ``{"reports": {name: CheckReport}}``
(the name ``""`` for one report) or ``{"error": line}`` for bad input.
"""

from __future__ import annotations

from typing import Any

from parity.check.inputs import InputError, InputTypeError
from parity.check.report import CheckReport


def run(request: dict[str, Any]) -> dict[str, Any]:
    """The reports of ``request`` (see the module docstring), or its bad input as one line."""
    try:
        if request.get("self"):
            return {"reports": self_check(request)}
        if request.get("demo") is not None:
            return {"reports": demo(request)}
        return {"reports": file_check(request)}
    except (InputError, InputTypeError, OSError) as err:
        return {"error": str(err)}


def _single(report: CheckReport) -> dict[str, CheckReport]:
    print(report.table())
    print(f"(checked in {report.seconds:.2f} s)")
    return {"": report}


def file_check(request: dict[str, Any]) -> dict[str, CheckReport]:
    """Your ``FILE.py:NAME`` on ``--dataset`` or on ``--data`` with ``--target``."""
    from parity.check.adapters.loader import load_implementation
    from parity.check.api import check

    impl = load_implementation(request["spec"])
    kw = request["kw"]
    if request.get("against"):
        kw = {**kw, "against": load_implementation(request["against"])}
    if request.get("data"):
        from parity.data.files import load_arrays

        X, y, _, _ = load_arrays(request["data"], target=request["target"], task=impl.head)
        return _single(check(impl, X=X, y=y, **kw))
    return _single(check(impl, request.get("dataset"), **kw))


def _worst(report: CheckReport) -> tuple[str, str, str, str]:
    """The row closest to its tolerance: (scaled error, tolerance, stage, row label)."""
    row = max(report.rows, key=lambda r: r.scaled / r.tol)
    return f"{row.scaled:.1e}", f"{row.tol:.0e}", row.stage, row.label


def self_line(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    """One line of ``check --self``'s table: ``cells`` left-aligned in columns of
    ``widths`` (the last column unpadded), two spaces apart."""
    padded = [cell.ljust(width) for cell, width in zip(cells[:-1], widths, strict=False)]
    return "  ".join([*padded, cells[-1]])


def self_check(request: dict[str, Any]) -> dict[str, CheckReport]:
    """scratch, every activation on every head, through the same path as your code."""
    from parity.check.api import check
    from parity.check.rows import STAGES
    from parity.check.selfcheck import configs, label, scratch_layers

    kw = {**request["kw"], "steps": request["kw"]["steps"] or 3}
    found = configs(request.get("dataset"))
    # columns sized before the first run, so that every line prints as soon as it is checked
    header = ("verdict", "configuration", "worst", "tol", "stage", "row closest to its tolerance")
    widths = (
        len("MISMATCH"),
        max(len(header[1]), *(len(label(c)) for c in found)),
        len("1.0e-10"),
        len("1e-10"),
        max(len(header[4]), *(len(stage) for stage in STAGES)),
    )
    print(self_line(header, widths), flush=True)
    reports = {}
    for c in found:
        impl = scratch_layers(
            c["head"], c["n_in"], c["n_out"], c["hidden"], c["activation"], seed=kw["seed"]
        )
        report = check(impl, c["dataset"], **kw)
        reports[label(c)] = report
        verdict = "ok" if report.ok else "MISMATCH"
        print(self_line((verdict, label(c), *_worst(report)), widths))
        if not report.ok:
            print(report.table())
    n_bad = sum(not r.ok for r in reports.values())
    print(
        f"--self: scratch {'agrees with torch in all' if not n_bad else 'disagrees in'} "
        f"{n_bad or len(reports)} of {len(reports)} configurations"
    )
    return reports


def demo(request: dict[str, Any]) -> dict[str, CheckReport]:
    """``--demo``: the correct examples; ``--demo NAME``: that one; ``--demo list``: none."""
    from parity.check.examples import CORRECT, EXAMPLES

    dtype = request["kw"]["dtype"]
    if request["demo"] == "list":
        for e in EXAMPLES.values():
            print(f"{e.name:38s} {e.planted or '(correct)'}")
        return {}
    names = [request["demo"]] if request["demo"] else CORRECT
    for name in names:
        if name not in EXAMPLES:
            raise InputError(f"unknown demo {name!r}; valid: {', '.join(EXAMPLES)}")
    if len(names) == 1:
        e = EXAMPLES[names[0]]
        print(f"demo {e.name}: {e.planted or 'a correct implementation'}")
        return _single(e.run(dtype=dtype))
    reports = {}
    for name in names:
        e = EXAMPLES[name]
        reports[name] = e.run(dtype=dtype)
        print(f"demo {name}:\n{reports[name].table()}\n")
    print("more: nn-parity check --demo list")
    return reports
