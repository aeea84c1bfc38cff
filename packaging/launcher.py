"""Entry point of the frozen application (PyInstaller runs this file)."""

import os
import sys

if getattr(sys, "frozen", False):
    # numba caches compiled kernels beside their sources; the bundle may be read-only
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(base, "pedicle-planner", "numba"))

from planner.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
