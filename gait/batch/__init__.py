"""Batch analysis of many clips, on this machine or on a Ray cluster, resumable and failure-isolated.

>>> from gait.batch import run_batch
>>> summary = run_batch("clips/", "results/")                    # doctest: +SKIP
>>> summary = run_batch("manifest.csv", "results/", engine="ray")  # doctest: +SKIP
>>> print(summary.line())                                         # doctest: +SKIP

- **Input** (:mod:`gait.batch.manifest`): a folder searched recursively for videos, or a manifest
  CSV (``path`` plus optional ``rear``, ``subject``, ``session``, ``view``, ``height_cm``,
  ``treadmill_speed_mps``, ``slowmo_factor`` and any columns of your own). A row with a ``rear``
  clip is analysed as a two-view session (``run_analysis([path, rear], ...)``).
- **Engines**: ``"local"`` runs a process per core, each analysing one clip at a time
  (:mod:`gait.batch._local`); ``"ray"`` runs the same job as Ray tasks (:mod:`gait.batch._ray`).
  Both run :func:`gait.pipeline.run_analysis` with ``pose.workers=1`` and give identical results.
- **Resumable** (:mod:`gait.batch._store`): a clip whose result for the same file content and
  configuration exists is skipped; results are committed atomically, so an interrupted run simply
  continues. A clip that failed for a reason of its own is not retried unless asked.
- **Failure isolation**: an error or a crashed worker fails that clip only; ``failures.csv`` says why.
  With ``timeout_s``, a clip that runs longer is stopped (its worker killed and replaced) and fails
  with error type ``Timeout``; it is tried again by the next run.
- **Output** (:mod:`gait.batch._tables`): per clip its analysis folder under ``clips/``; tidy
  ``clips``, ``metrics`` and ``steps`` tables in Parquet and CSV; ``failures.csv``; ``batch.json``
  with the configuration, versions, engine and timings.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gait.batch._job import ClipOutcome, ClipTask, Job, PipelineJob
    from gait.batch._run import BatchEvent, BatchSummary, default_workers, run_batch
    from gait.batch._store import OutputFolderError
    from gait.batch.manifest import (
        VIDEO_SUFFIXES,
        BatchInputError,
        ClipEntry,
        load_input,
        read_manifest,
        scan_folder,
    )

#: Where each public name lives; imported on first use, so that ``gait --help`` (which registers
#: the batch command) does not load the analysis stack.
_HOME = {
    "ClipOutcome": "gait.batch._job",
    "ClipTask": "gait.batch._job",
    "Job": "gait.batch._job",
    "PipelineJob": "gait.batch._job",
    "BatchEvent": "gait.batch._run",
    "BatchSummary": "gait.batch._run",
    "default_workers": "gait.batch._run",
    "run_batch": "gait.batch._run",
    "OutputFolderError": "gait.batch._store",
    "VIDEO_SUFFIXES": "gait.batch.manifest",
    "BatchInputError": "gait.batch.manifest",
    "ClipEntry": "gait.batch.manifest",
    "load_input": "gait.batch.manifest",
    "read_manifest": "gait.batch.manifest",
    "scan_folder": "gait.batch.manifest",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'gait.batch' has no attribute {name!r}")


__all__ = [
    "VIDEO_SUFFIXES",
    "BatchEvent",
    "BatchInputError",
    "BatchSummary",
    "ClipEntry",
    "ClipOutcome",
    "ClipTask",
    "Job",
    "OutputFolderError",
    "PipelineJob",
    "default_workers",
    "load_input",
    "read_manifest",
    "run_batch",
    "scan_folder",
]
