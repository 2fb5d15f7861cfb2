"""The Linear + tanh circuit drawn in docs/PORTING.md: its numbers are autograd's, and the
command writes the PNG the page shows."""

from __future__ import annotations

import numpy as np
import torch

from parity.experiments import linear_graph


def test_the_circuits_numbers_are_autograds():
    v = linear_graph.layer_values()
    x = torch.tensor(v["x"], requires_grad=True)
    W = torch.tensor(v["W"], requires_grad=True)
    b = torch.tensor(v["b"], requires_grad=True)
    a = torch.tanh(x @ W.T + b)
    (a * torch.tensor(v["da"])).sum().backward()  # L with dL/da = da
    assert np.allclose(v["a"], a.detach().numpy(), rtol=0, atol=1e-15)
    for name, t in (("dx", x), ("dW", W), ("db", b)):
        assert v[name].shape == tuple(t.shape), name
        assert np.allclose(v[name], t.grad.numpy(), rtol=0, atol=1e-15), name


def test_the_command_writes_the_png(tmp_path, capsys):
    out = tmp_path / "graph.png"
    assert linear_graph.main(["--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.png"]  # no temporary left behind
    assert "wrote" in capsys.readouterr().out


def test_the_committed_figure_exists():
    assert linear_graph.DEFAULT.is_file(), "run python -m parity.experiments.linear_graph"
