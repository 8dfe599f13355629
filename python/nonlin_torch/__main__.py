"""``python3 -m nonlin_torch``: the worker loop on stdin/stdout (protocol v1, docs/engines.md)."""

import sys

from .parent_watch import exit_with_parent
from .worker import main

if __name__ == "__main__":
    exit_with_parent()
    sys.exit(main())
