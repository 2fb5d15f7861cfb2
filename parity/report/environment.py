"""The machine and libraries a report ran on (versions, BLAS, threads, device), and the
report's Environment section."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path

import numpy as np

from parity.report.context import ReportContext, Section


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def torch_cpu_blas() -> str:
    """The BLAS torch was built with (``BLAS_INFO`` in ``torch.__config__.show()``), which it
    calls for matrix products on the CPU; elementwise ops and reductions (activations, losses,
    optimizer updates) run torch's own kernels."""
    import re

    import torch

    config = torch.__config__.show()
    info = re.search(r"BLAS_INFO=([^,\s]+)", config)
    name = info.group(1) if info else "unknown"
    mkl = re.search(r"Math Kernel Library Version (\S+)", config)
    if name == "mkl" and mkl:
        name = f"MKL {mkl.group(1).split('-')[0]}"
    return (
        f"{name} (torch's BLAS_INFO build setting) for matrix products; activations, losses and "
        "optimizer updates run torch's own kernels"
    )


def _numpy_blas() -> list[tuple[str, str]]:
    """(name, value) rows for numpy's BLAS: the one it was built against, and the one loaded
    in this process with its thread count (``threadpoolctl``, when installed)."""
    rows = []
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]  # type: ignore[func-returns-value]
        rows.append(("numpy BLAS (build)", f"{blas.get('name')} {blas.get('version')}"))
    except Exception:  # older numpy: no mode="dicts"
        pass
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [*rows, ("numpy BLAS threads", "unknown (threadpoolctl not installed)")]
    # numpy's own BLAS (the pool under numpy.libs, or a system one numpy links to)
    pools = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    mine = [i for i in pools if "numpy" in Path(i.get("filepath", "")).as_posix()] or pools
    if mine:
        info = mine[0]
        detail = ", ".join(str(info[k]) for k in ("threading_layer", "architecture") if info.get(k))
        rows.append(
            (
                "numpy BLAS (loaded)",
                f"{info.get('internal_api')} {info.get('version')} ({detail}), "
                f"{info.get('num_threads')} thread(s)",
            )
        )
    return rows


def environment(device: str) -> list[tuple[str, str]]:
    """(name, value) rows describing the machine and libraries the report ran on."""
    import torch

    rows = [
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("platform", f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"),
        ("numpy", np.__version__),
        ("torch", torch.__version__),
        ("scikit-learn", _version("scikit-learn")),
        ("matplotlib", _version("matplotlib")),
        *_numpy_blas(),
        ("torch intra-op threads", str(torch.get_num_threads())),
        ("torch CPU BLAS", torch_cpu_blas()),
    ]
    if device.startswith("cuda"):
        name = torch.cuda.get_device_name(torch.device(device))
        rows.append(("device", f"{device}: {name} (CUDA {torch.version.cuda}, TF32 off)"))
    else:
        rows.append(("device", "cpu (torch side); scratch always runs NumPy on the CPU"))
    return rows


def environment_section(ctx: ReportContext) -> Section:
    """The environment rows, the exact command and the seed, as a table."""
    options = ctx.options
    lines = [
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in environment(ctx.device)],
        f"| command | `{options.command}` |",
        f"| seed | {options.seed} |",
    ]
    return Section("Environment", "environment", "\n".join(lines))
