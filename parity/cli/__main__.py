"""``python -m parity.cli``: the ``nn-parity`` command."""

import sys

from parity.cli.main import main

sys.exit(main())
