"""What the front ends need besides an analysis, so that they call the pipeline only.

``gait pose`` (a clip's pose track), ``gait info`` (the model files), the batch engine's warm-up,
export file names and BIDS dataset, the web app's knee-flexion curve for the comparison page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gait.config import AnalysisConfig
from gait.errors import GaitError, VideoReadError
from gait.pipeline._progress import Progress
from gait.pose import MODELS, PoseParams, estimate_pose, models_dir, resolve_model

if TYPE_CHECKING:
    from gait.track import PoseTrack

# gait.track (pandas, xarray, scipy.ndimage: ~1 s) is imported where it is used, so that 'gait pose'
# imports it while the model runs (estimate_pose's wait) instead of before.

log = logging.getLogger(__name__)

#: Names of the pose models that ship in ``models/`` (``--model`` takes these or a path).
MODEL_NAMES: frozenset[str] = frozenset(MODELS)


def pose_clip(
    clip: str | Path,
    output: str | Path,
    *,
    slowmo_factor: float | None = None,
    clean: bool = False,
    progress: Progress | None = None,
    **pose_options: Any,
) -> PoseTrack:
    """The pose track of a video clip, saved to ``output``.

    ``pose_options``: fields of :class:`gait.pose.PoseParams` (``model``, ``num_poses``, ...);
    ``slowmo_factor``: as :func:`gait.pose.estimate_pose`. ``clean``: save the track cleaned with
    the default :class:`gait.track.CleanParams` instead of the raw one. It takes no
    :class:`~gait.config.AnalysisConfig`: making one imports every stage's parameters (pandas,
    scipy: ~1 s), which this leaves to the pose stage's wait for the model. Returns the saved track.

    Raises
    ------
    GaitError
        ``clip`` is a pose track, not a video; or any problem of the pose stage (one sentence).
    """
    clip = Path(clip)
    pose = PoseParams(**pose_options)
    pose_progress = None if progress is None else (lambda done, total: progress("pose", done / max(total, 1)))
    try:
        # no camera check follows in this process: no grey frames kept for it
        track = estimate_pose(
            clip, pose, slowmo_factor=slowmo_factor, progress=pose_progress, keep_grey=False
        )
    except VideoReadError:
        if is_track_path(clip):
            raise GaitError(
                f"'{clip.name}' is a pose track, not a video clip; 'gait pose' reads videos "
                "(give the track to 'gait analyze')."
            ) from None
        raise
    from gait.track import CleanParams, clean_track, save_track

    if clean:
        track = clean_track(track, CleanParams())
    save_track(track, output)
    return track


def model_status() -> tuple[Path, list[tuple[str, str, str]]]:
    """The models folder and, per shipped model, ``(name, file name, status)``: ``ok sha256=...`` or why not."""
    rows = []
    for name, spec in MODELS.items():
        try:
            status = f"ok sha256={resolve_model(name).sha256}"
        except GaitError as err:
            status = f"unavailable: {err}"
        rows.append((name, spec.filename, status))
    return models_dir(), rows


def warm_up() -> None:
    """Import the analysis stack and the pose model's library (seconds) before the first clip of a batch."""
    import importlib

    from gait.pipeline._analyze import LATER_IMPORTS

    importlib.import_module("gait.pipeline._write")  # every stage, the report and the exports' registry
    for name in LATER_IMPORTS:
        importlib.import_module(name)
    try:
        import gait.pose._mediapipe  # noqa: F401 - imported for its start-up cost only
    except Exception:  # a broken install is reported by the clips that need it
        log.debug("mediapipe could not be imported ahead of the clips", exc_info=True)


def export_file_names(formats: Sequence[str]) -> dict[str, str]:
    """The file each export format writes (``{"c3d": "track.c3d", ...}``), without importing its library."""
    from gait.export import WRITERS

    return {f: WRITERS[f][1] for f in formats}


def is_track_path(path: str | Path) -> bool:
    """Whether ``path`` is a pose track or landmark file ``gait analyze`` reads (:func:`gait.track.is_track_path`)."""
    from gait.track import is_track_path as readable

    return readable(path)


def load_stored_track(path: str | Path) -> PoseTrack:
    """A pose track written by an analysis (``track.nc``) or by ``gait pose``."""
    from gait.track import load_track

    return load_track(path)


def knee_flexion_cycle(
    track_path: str | Path, events: Sequence[Mapping[str, Any]], direction: str | None
) -> list[float] | None:
    """Knee flexion over the gait cycle (0-100 %, mean of both feet's mean curves) from a stored raw track.

    ``events``: the report's events (foot, type, frame, time_s, confidence); ``direction``: the
    report's. None when no curve can be drawn.
    """
    import numpy as np
    import pandas as pd

    from gait.events import EVENT_COLUMNS
    from gait.report._curves import cycle_summary
    from gait.track import clean_track, load_track

    cleaned = clean_track(load_track(track_path), AnalysisConfig().clean)
    table = pd.DataFrame(list(events), columns=list(EVENT_COLUMNS))
    curves = cycle_summary(cleaned, table, direction or "image_left")
    means = [np.asarray(curves[k]["mean"], dtype=float) for k in ("knee_flexion_L", "knee_flexion_R") if k in curves]
    if not means:
        return None
    mean = np.nanmean(np.vstack(means), axis=0)
    return None if not np.isfinite(mean).any() else [float(v) for v in mean]


__all__ = [
    "MODEL_NAMES",
    "export_file_names",
    "is_track_path",
    "knee_flexion_cycle",
    "load_stored_track",
    "model_status",
    "pose_clip",
    "warm_up",
]
