import os
import signal
import subprocess
import sys
import time
import unittest

# A parent that starts a busy child (it sleeps, reading nothing: as a child in the middle of a
# training request) and prints the child's pid; the test kills the parent with SIGKILL.
PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "from nonlin_torch.parent_watch import exit_with_parent; import time; exit_with_parent(); time.sleep(60)"])
print(child.pid, flush=True)
child.wait()
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@unittest.skipUnless(sys.platform.startswith("linux"), "reads /proc")
class ParentWatchTest(unittest.TestCase):
    def test_a_busy_child_ends_soon_after_its_parent_is_killed(self) -> None:
        parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, env=os.environ)
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        time.sleep(0.3)
        self.assertTrue(alive(child))
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(alive(child), f"the child {child} outlived its parent")
