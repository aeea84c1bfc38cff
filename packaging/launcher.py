"""Entry point of the frozen application (PyInstaller runs this file). The bundle carries
planner's sources beside the bytecode, so numba can cache its compiled kernel (in the
user's ~/.cache/numba when the bundle is read-only)."""

import sys

from planner.cli import main

if __name__ == "__main__":
    sys.exit(main())
