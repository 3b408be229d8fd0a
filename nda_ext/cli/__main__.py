"""``python -m nda_ext.cli``: the ``nda-ext`` command (workers are started this way)."""

import sys

from nda_ext.cli import main

sys.exit(main())
