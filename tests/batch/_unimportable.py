"""A job whose module cannot be imported in a worker process (a broken worker environment)."""

from __future__ import annotations

import sys

if "--multiprocessing-fork" in sys.orig_argv:  # a spawned worker (unpickling its arguments)
    raise ImportError("this module cannot be imported in a worker (test)")


class UnimportableJob:
    cache_id = "tests.batch.UnimportableJob"

    def __call__(self, clips, out_dir, config):  # pragma: no cover - never runs
        raise AssertionError
