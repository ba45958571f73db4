"""``python -m tdm_sut``: run the reference shop."""

from tdm_sut._cli import main

raise SystemExit(main())
