"""``python -m symbp`` is the ``symbp`` command."""

import sys

from symbp.cli import main

if __name__ == "__main__":
    sys.exit(main())
