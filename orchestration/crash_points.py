"""Named kill points: a test hook for crash tests.

    crash_point("publication.built")

kills the current process with SIGKILL — no exception, no `finally`, no `atexit`, exactly
like `kill -9` or a power cut of the process — when the environment variable `LQ_CRASH_AT`
equals the point's name, and does nothing otherwise (one dictionary look-up). A crash test
runs the code in a child process with `LQ_CRASH_AT=<name>`, checks that it died by SIGKILL,
runs it again without the variable and checks that the result equals an uninterrupted run's
(tests/test_publication_kill.py).

Names are `<area>.<moment>`, e.g. `publication.parquet_renamed`; keep each name unique in
the code base, so a test that kills at a name knows where the process stopped. Never set
`LQ_CRASH_AT` outside tests."""

from __future__ import annotations

import os
import signal

CRASH_AT = "LQ_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here by SIGKILL when LQ_CRASH_AT == name (a test hook; nothing otherwise)."""
    if os.environ.get(CRASH_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
