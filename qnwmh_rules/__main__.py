"""``python -m qnwmh_rules``: the ``qnwmh-rules`` command line."""

import sys

from .cli import main

sys.exit(main())
