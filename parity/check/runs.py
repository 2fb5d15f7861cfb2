"""The two built-in runs of ``nn-parity check``: ``--self`` (scratch through the ``Layers``
adapter, every activation on every head) and ``--demo [NAME]`` (the shipped examples)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._inputs import InputError
from .api import check
from .report import CheckReport
from .rows import STAGES

Outputs = Callable[[CheckReport, argparse.Namespace], int]


def _worst(report: CheckReport) -> tuple[str, str, str, str]:
    """The row closest to its tolerance: (scaled error, tolerance, stage, row label)."""
    row = max(report.rows, key=lambda r: r.scaled / r.tol)
    return f"{row.scaled:.1e}", f"{row.tol:.0e}", row.stage, row.label


def self_line(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    """One line of ``check --self``'s table: ``cells`` left-aligned in columns of
    ``widths`` (the last column unpadded), two spaces apart."""
    padded = [cell.ljust(width) for cell, width in zip(cells[:-1], widths, strict=False)]
    return "  ".join([*padded, cells[-1]])


def _combined(reports: dict[str, CheckReport]) -> dict[str, Any]:
    """Several reports as one document of the check schema (rows carry their ``config``)."""
    first = next((r for r in reports.values() if not r.ok), None)
    rows = [{**row.to_json(), "config": name} for name, r in reports.items() for row in r.rows]
    return {
        "ok": all(r.ok for r in reports.values()),
        "first_divergence": None
        if first is None or first.first_divergence is None
        else first.first_divergence.to_json(),
        "configs": {name: r.ok for name, r in reports.items()},
        "rows": rows,
    }


def _finish(reports: dict[str, CheckReport], args: argparse.Namespace) -> int:
    from .command import _write_json

    if args.out:
        for name, r in reports.items():
            r.write(Path(args.out) / name)
        print(f"wrote {len(reports)} reports into {args.out}/")
    if args.json is not None:
        _write_json(args, json.dumps(_combined(reports), indent=2, allow_nan=False))
    return 0 if all(r.ok for r in reports.values()) else 1


def self_check(args: argparse.Namespace, kw: dict[str, Any], outputs: Outputs) -> int:
    """scratch, every activation on every head, through the same path as your code."""
    from .selfcheck import configs, label, scratch_layers

    kw = {**kw, "steps": kw["steps"] or 3}
    found = configs(args.dataset)
    # columns sized before the first run, so that every line prints as soon as it is checked
    header = ("verdict", "configuration", "worst", "tol", "stage", "row closest to its tolerance")
    widths = (
        len("MISMATCH"),
        max(len(header[1]), *(len(label(c)) for c in found)),
        len("1.0e-10"),
        len("1e-10"),
        max(len(header[4]), *(len(stage) for stage in STAGES)),
    )
    print(self_line(header, widths))
    reports = {}
    for c in found:
        impl = scratch_layers(
            c["head"], c["n_in"], c["n_out"], c["hidden"], c["activation"], seed=args.seed
        )
        report = check(impl, c["dataset"], **kw)
        reports[label(c)] = report
        verdict = "ok" if report.ok else "MISMATCH"
        print(self_line((verdict, label(c), *_worst(report)), widths))
        if not report.ok:
            print(report.table())
    status = _finish(reports, args)
    n_bad = sum(not r.ok for r in reports.values())
    print(
        f"--self: scratch {'agrees with torch in all' if not n_bad else 'disagrees in'} "
        f"{n_bad or len(reports)} of {len(reports)} configurations"
    )
    return status


def demo(args: argparse.Namespace, outputs: Outputs) -> int:
    """``--demo``: the correct examples; ``--demo NAME``: that one; ``--demo list``."""
    from .examples import CORRECT, EXAMPLES

    if args.demo == "list":
        for e in EXAMPLES.values():
            print(f"{e.name:38s} {e.planted or '(correct)'}")
        return 0
    names = [args.demo] if args.demo else CORRECT
    for name in names:
        if name not in EXAMPLES:
            raise InputError(f"unknown demo {name!r}; valid: {', '.join(EXAMPLES)}")
    if len(names) == 1:
        e = EXAMPLES[names[0]]
        print(f"demo {e.name}: {e.planted or 'a correct implementation'}")
        return outputs(check(e.build(), **{"dtype": args.dtype, **e.check}), args)
    reports = {}
    for name in names:
        e = EXAMPLES[name]
        reports[name] = check(e.build(), **{"dtype": args.dtype, **e.check})
        print(f"demo {name}:\n{reports[name].table()}\n")
    print("more: nn-parity check --demo list")
    return _finish(reports, args)
