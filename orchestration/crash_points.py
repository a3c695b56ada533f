"""Named points where a test can kill the process (`LQ_CRASH_AT=<name>`), to prove that a run
killed there converges when it is run again. Costs one environment lookup otherwise."""

import os
import signal


def crash_point(name: str) -> None:
    if os.environ.get("LQ_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
