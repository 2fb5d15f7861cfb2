"""``python -m parity.cli``: the ``nn-parity`` command."""

import sys

from .main import main

sys.exit(main())
