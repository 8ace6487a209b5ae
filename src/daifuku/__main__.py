"""``python -m daifuku`` is the ``daifuku`` command."""

import sys

from daifuku.cli import main

sys.exit(main())
