"""``python -m calcidose.cli``: the same command as ``calcidose`` (exit codes included)."""

from __future__ import annotations

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
