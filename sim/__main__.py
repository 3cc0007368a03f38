"""``python -m sim`` runs the ``courtsim`` command line."""

import sys

from sim.cli import main

sys.exit(main())
