"""``python3 -m nonlin_torch``: the worker loop on stdin/stdout (protocol v1, docs/engines.md)."""

import sys

from .worker import main

if __name__ == "__main__":
    sys.exit(main())
