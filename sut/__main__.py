"""``python -m sut`` from a checkout: the same as ``python -m tdm_sut``.

``sut`` is only the source root of the ``tdm_sut`` package; this shim lets the checkout run
the shop before (or without) an install.
"""

import sys
from pathlib import Path

try:
    from tdm_sut._cli import main
except ModuleNotFoundError:  # not installed: use the package next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tdm_sut._cli import main

raise SystemExit(main())
