"""``python3 -m nonlin_torch``: the worker loop on stdin/stdout (protocol v2, docs/engines.md)."""

import os
import signal
import sys

from .parent_watch import exit_with_parent
from .worker import main

if __name__ == "__main__":
    exit_with_parent()
    # Ctrl-C in a terminal reaches the whole process group: the parent decides what it means (fit
    # asks the training to stop after a checkpoint), and ends this process when it wants it gone
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    code = main()
    # after a `shutdown` the reader thread is still blocked reading stdin, holding its lock, and
    # the interpreter's shutdown would abort waiting for it: the process ends here instead
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
