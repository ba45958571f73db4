"""``python -m tdm_server``: the ``tdm`` command."""

import sys

from tdm_server.cli import main

sys.exit(main())
