"""An error stays one line even when what it names holds control characters (a file name
with a newline): they are shown escaped, as ``repr`` writes them."""

from __future__ import annotations

import pytest
from cli_support import assert_one_line_error, cli

from parity.cli.common import one_line


@pytest.mark.parametrize(
    ("text", "shown"),
    [("a\nb", "a\\nb"), ("a\rb", "a\\rb"), ("\x1b[31m", "\\x1b[31m"), ("tab\there", "tab\\there"),
     ("plain é 'q'", "plain é 'q'")],
    ids=["newline", "return", "escape", "tab", "printable"],
)  # fmt: skip
def test_control_characters_are_escaped(text, shown):
    assert one_line(text) == shown


def test_a_data_path_with_a_newline_is_a_one_line_error(tmp_path, capsys):
    path = f"{tmp_path}/a\nb.csv"
    status, out, err = cli(capsys, "train", "--data", path, "--target", "y",
                           "--out", tmp_path / "out")  # fmt: skip
    assert_one_line_error(status, out, err, "a\\nb.csv")
