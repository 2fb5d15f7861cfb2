"""Does the port equal the original? Step 1 (NumPy) and step 5 (torch) side by side.

``check(original, against=port)`` starts both from the original's weights on the same rows
and compares the port with the original, row by row, and each with torch's reference.
Run: python examples/port/compare_port.py
"""

from parity.check import check

import check_numpy
import check_torch


def main() -> None:
    report = check(
        check_numpy.implementation(), against=check_torch.implementation(),
        dataset="moons", steps=5, lr=0.5,
    )  # fmt: skip
    stages = sorted({row.stage for row in report.rows}, key=[r.stage for r in report.rows].index)
    print(f"rows compared: {len(report.rows)} ({', '.join(stages)})")
    print(f"your port equals your original: {'yes' if report.ok else 'no'}")


if __name__ == "__main__":
    main()
