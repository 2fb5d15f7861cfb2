"""``python -m parity.check.examples [--table] [--external DIR]``: the planted-mistakes table
(example x localised? x diagnosed?); exit status 1 if any example is not as expected."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from parity.check.examples import EXAMPLE_LIST
from parity.check.examples.table import external_cases, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parity.check.examples", description=__doc__)
    parser.add_argument("--table", action="store_true", help="print the shipped examples' table")
    parser.add_argument(
        "--external",
        type=Path,
        metavar="DIR",
        help="also the cases of DIR/cases.py (e.g. parity_tests/check/external)",
    )
    args = parser.parse_args(argv)
    ok = True
    if args.table or not args.external:
        text, ok = table(EXAMPLE_LIST)
        print("Shipped examples (parity/check/examples):\n\n" + text)
    if args.external:
        text, ext_ok = table(external_cases(args.external))
        print(f"\nOther people's implementations ({args.external}):\n\n" + text)
        ok &= ext_ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
