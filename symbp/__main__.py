"""``python -m symbp`` is the ``symbp`` command."""

import sys

from symbp.cli import main

sys.exit(main())
