"""The child ends with its parent, even in the middle of a training request.

An idle child sees its stdin end when nonlin exits; a busy one reads nothing until the request is
done, and would train on for the rest of an epoch (minutes on a CPU) after its parent was killed
with SIGKILL. A daemon thread sees the parent pid change (the orphan is re-parented to init or a
subreaper) and ends the process. Not Linux's ``PR_SET_PDEATHSIG``: it fires when the *thread*
that spawned the child exits, which would kill a healthy child spawned from a worker thread.
"""

from __future__ import annotations

import os
import threading
import time

POLL_SECONDS = 0.5


def _watch(parent: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)  # nobody reads our answers any more; nothing of ours needs flushing


def exit_with_parent() -> None:
    """Starts the thread that ends this process within POLL_SECONDS of its parent's end."""
    threading.Thread(target=_watch, args=(os.getppid(),), name="nonlin-parent-watch", daemon=True).start()
