"""A scripted adversarial table for where commands write (issue 18, defects 9-14, 18, 19 and
the unclear messages): each case is a directory a careless or unlucky user could have, a
command, and the outcome. Whatever the outcome, every file of the user's is unchanged
(byte for byte) unless the case names it, and no staging, set-aside or lock name is left.

Commands run in-process (``parity.cli.main``); the check cases that pass start one child
process each; the others are refused before any work.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_support import cli

GOOD = """from parity.check.examples import EXAMPLES

def implementation():
    return EXAMPLES["functional"].build()
"""
CHECK_MARKER = json.dumps({"format": "nn-parity-output", "command": "check",
                           "files": ["REPORT.md", "check.json", "figures"]})  # fmt: skip
XOR = ["--dataset", "xor", "--epochs", "1", "--hidden", "3", "--backend", "scratch"]


def _npz(path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(path, a=rng.normal(size=20), b=rng.normal(size=20), t=np.arange(20) % 2)


def _torch_zip(path: Path) -> None:  # the layout torch.save writes (no torch needed)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{path.stem}/data.pkl", b"\x80\x02}q\x00.")


def _labels(path: Path, labels: list[str]) -> None:
    rows = [f"{i / 10},{labels[i % len(labels)]}" for i in range(30)]
    path.write_text("a,t\n" + "\n".join(rows) + "\n")


# id: (files {path: text, or a function writing it}, argv, status, fragments, may change)
CASES = {
    "defect9-check-out-dot-keeps-figures": (
        {"net.py": GOOD, "figures/a.png": "mine"}, ["check", "net.py", "--out", "."], 2,
        ["--out '.' holds files nn-parity did not write ('figures', 'net.py'"], []),
    "defect9-check-source-inside-out": (
        {"figures/net.py": GOOD}, ["check", "figures/net.py", "--out", "."], 2,
        ["--out '.' holds files nn-parity did not write ('figures'"], []),
    "defect9-data-inside-out": (
        {"net.py": GOOD, "proj/figures/d.npz": _npz},
        ["check", "net.py", "--data", "proj/figures/d.npz", "--target", "t", "--out", "proj"],
        2, ["--out 'proj' holds files nn-parity did not write ('figures'"], []),
    "defect9-data-inside-an-earlier-check": (
        {"net.py": GOOD, "proj/.nn-parity.json": CHECK_MARKER, "proj/figures/d.npz": _npz},
        ["check", "net.py", "--data", "proj/figures/d.npz", "--target", "t", "--out", "proj"],
        2, ["the --data file 'proj/figures/d.npz' lies inside --out 'proj'"], []),
    "defect9-report-out-dot": (
        {"figures/thesis_plot.txt": "mine"}, ["report", "--quick", "--out", "."], 2,
        ["--out '.' holds files nn-parity did not write ('figures'"], []),
    "defect9-bench-out-dot": (
        {"notes.txt": "mine"}, ["bench", "--quick", "--configs", "tiny", "--out", "."], 2,
        ["--out '.' holds files nn-parity did not write ('notes.txt'"], []),
    "report-over-a-check": (
        {"rep/.nn-parity.json": CHECK_MARKER, "rep/REPORT.md": "a check's"},
        ["report", "--quick", "--out", "rep"], 2,
        ["--out 'rep' holds the output of nn-parity check, not of report"], []),
    "defect10-model-json-not-ours": (
        {"run/model.json": '{"format": "another-library"}'}, ["train", *XOR, "--out", "run"],
        2, ["--out 'run' holds files nn-parity did not write ('model.json'"], []),
    "defect11-users-old-and-tmp-folders": (
        {"run.old-jan/model.json": "backup", "run.tmp-notes/n.txt": "notes",
         ".run.old-x/f": "hidden"}, ["train", *XOR, "--out", "run"], 0, ["saved"], []),
    "defect12-symlink-loop": (
        {"loop": "->loop"}, ["train", *XOR, "--out", "loop"], 2,
        ["--out 'loop' is a symbolic link loop"], []),
    "defect12-symlink-loop-json": (
        {"net.py": GOOD, "loop": "->loop"}, ["check", "net.py", "--json", "loop"], 2,
        ["--json 'loop' is a symbolic link loop"], []),
    "defect14-leftover-of-a-killed-predict": (
        {".p.csv.nn-parity-tmp-0123abcd": "half", ".c.json.nn-parity.lock": "999999\n"},
        ["train", *XOR, "--out", "run"], 0, ["saved"],
        [".p.csv.nn-parity-tmp-0123abcd", ".c.json.nn-parity.lock"]),
    "earlier-check-keeps-the-users-notes": (
        {"net.py": GOOD, "rep/.nn-parity.json": CHECK_MARKER, "rep/REPORT.md": "old",
         "rep/notes.txt": "mine"}, ["check", "net.py", "--rows", "16", "--out", "rep"], 0,
        ["wrote rep/REPORT.md"], ["rep/REPORT.md", "rep/.nn-parity.json"]),
    "json-dash-is-stdout-and-only-json": (
        {"net.py": GOOD}, ["check", "net.py", "--rows", "16", "--json", "-"], 0, ['"ok": true'],
        []),
    "defect18-zero-padded-labels-are-classes-as-written": (
        {"l.csv": lambda p: _labels(p, ["01", "1", "2"])},
        ["train", "--data", "l.csv", "--target", "t", "--epochs", "1", "--backend", "scratch",
         "--out", "run"], 0, ["saved"], []),
    "defect19-memory-estimate": (
        {}, ["train", "--dataset", "xor", "--hidden", "100000000", "--out", "big"], 2,
        ["this run needs about", "GB of memory", "give smaller --hidden sizes"], []),
    "torch-file-as-data": (
        {"w.pt": _torch_zip}, ["train", "--data", "w.pt", "--target", "t", "--out", "run"], 2,
        ["w.pt: a torch file (torch.save's zip of pickles), not an .npz archive"], []),
    "torch-file-named-npz-as-data": (
        {"w.npz": _torch_zip}, ["train", "--data", "w.npz", "--target", "t", "--out", "run"],
        2, ["w.npz: a torch file"], []),
    "a-name-too-long-for-the-lock": (
        {}, ["train", *XOR, "--out", "r" * 240], 2,
        ["its name is 240 characters, too long for the lock and staging files"], []),
}  # fmt: skip


def _make(root: Path, files: dict) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        elif content.startswith("->"):
            path.symlink_to(content[2:])
        else:
            path.write_text(content)


def _users(root: Path, may_change: list[str]) -> dict[str, bytes]:
    """Every file under ``root`` but the outputs' own (markers and what they list)."""
    found = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink() or path.is_dir() or name in may_change:
            continue
        found[name] = path.read_bytes()
    return found


@pytest.mark.parametrize(("files", "argv", "status", "fragments", "may_change"),
                         list(CASES.values()), ids=list(CASES))  # fmt: skip
def test_adversarial_outputs(files, argv, status, fragments, may_change, tmp_path, capsys,
                             monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    _make(tmp_path, files)
    before = _users(tmp_path, may_change)
    got, stdout, err = cli(capsys, *argv)
    assert got == status, stdout + err
    text = stdout if status == 0 else err
    for fragment in fragments:
        assert fragment in text, stdout + err
    if status:  # one line, naming the cause
        assert err.count("nn-parity: error:") == 1 and "Traceback" not in err, err
    after = _users(tmp_path, may_change)
    assert {k: v for k, v in after.items() if k in before} == before  # the user's, unchanged
    left = [p.name for p in tmp_path.rglob("*") if ".nn-parity" in p.name and
            p.name != ".nn-parity.json"]  # fmt: skip
    assert left == [], left
    if "--json" in argv and "-" in argv:
        assert json.loads(stdout)["ok"] is True and not (tmp_path / "-").exists()
    if "l.csv" in argv:
        assert json.loads((tmp_path / "run" / "model.json").read_text())["classes"] == [
            "01", "1", "2"]  # fmt: skip
    assert not (tmp_path / "big").exists()
    assert os.listdir(tmp_path) or not files


def test_defect18_zero_padded_labels_are_predicted_as_written(tmp_path, capsys):
    data = tmp_path / "z.csv"
    _labels(data, ["007", "010"])
    out = tmp_path / "run"
    assert cli(capsys, "train", "--data", data, "--target", "t", "--epochs", 1, "--backend",
               "scratch", "--out", out)[0] == 0  # fmt: skip
    status, stdout, err = cli(capsys, "predict", "--model", out, "--data", data)
    assert status == 0, err
    lines = stdout.splitlines()
    assert lines[0] == "prediction,p_007,p_010"
    assert {line.split(",")[0] for line in lines[1:]} <= {"007", "010"}
