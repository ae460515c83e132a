"""`python -m mtecg.cli`: the same command as the installed `mtecg`."""

import sys

from mtecg.cli import main

sys.exit(main())
