"""Native-library log silencing shared by the pose backends (imports no model runtime)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_logs_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null while native code runs.

    LiteRT inside MediaPipe writes INFO/WARNING lines straight to fd 2 (no environment variable turns
    them off); the CLI promises one clear line on stderr, so they are dropped here.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
