"""OpenSim files: TRC markers (as OpenSim and Pose2Sim write them) and MOT joint and segment angles.

Both are on a constant time base (``DataRate``): a variable-frame-rate track is resampled to its
frame rate by linear interpolation (:func:`gait.export._common.resample`). TRC: the cleaned
track's landmarks, x right, **y up** (image y flipped: ``y = image height - y_image``), z = 0, in
``px`` (``Units``), or metres when the runner's height is known; a missing landmark is an empty
field (OpenSim reads it as NaN). MOT: the sagittal angles of :mod:`gait.metrics.kinematics` in
degrees (``inDegrees=yes``) for a side view, the frontal angles of :mod:`gait.report._curves` for
a rear view, with the nearest original frame's time and index as extra columns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gait.export._angles import frontal_series_deg, sagittal_series_deg
from gait.export._common import COORDINATES, ExportSource, resample, scale_m_per_px, unit, y_up

#: MOT column of each sagittal series (OpenSim style: lower case, side suffix ``_l`` / ``_r``).
SAGITTAL_COLUMNS = {
    **{
        f"{v}_{f}": f"{v}_{f.lower()}"
        for v in ("knee_flexion", "thigh_angle", "shank_angle", "foot_angle")
        for f in ("L", "R")
    },
    "trunk_lean": "trunk_lean",
}
FRONTAL_COLUMNS = {
    f"{v}_{f}": f"{v}_{f.lower()}" for v in ("pelvic_drop", "hip_adduction") for f in ("L", "R")
}


def _fmt(x: float) -> str:
    return "" if not np.isfinite(x) else f"{x:.6f}"


def _atomic_write(path: Path, text: str) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def write_trc(analysis: ExportSource, path: Path, *, rate_hz: float | None = None) -> Path:
    """Write the landmarks of ``analysis`` as an OpenSim TRC marker file (tab-separated).

    Parameters
    ----------
    analysis
        A :class:`gait.pipeline.Analysis` (read only).
    path
        Output ``.trc`` file.
    rate_hz
        ``DataRate``; default the track's fps. A track whose frames are not evenly spaced is
        resampled to this constant rate by linear interpolation (``OrigDataRate`` keeps the
        track's fps, ``OrigNumFrames`` its frame count).
    """
    path = Path(path)
    track = analysis.cleaned
    rs = resample(track, rate_hz)
    scale = scale_m_per_px(analysis)
    xyz = y_up(rs.position_px, track.attrs["image_height_px"], scale)
    n, k = xyz.shape[:2]
    rate = f"{rs.rate_hz:g}"
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        (
            "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame"
            "\tOrigNumFrames"
        ),
        f"{rate}\t{rate}\t{n}\t{k}\t{unit(scale)}\t{float(track.attrs['fps']):g}\t1\t{track.sizes['time']}",
        "Frame#\tTime\t" + "\t".join(f"{name}\t\t" for name in rs.keypoints),
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, k + 1)),
        "",
    ]
    for i in range(n):
        values = "\t".join(_fmt(v) for v in xyz[i].ravel())
        lines.append(f"{i + 1}\t{rs.time_s[i]:.6f}\t{values}")
    return _atomic_write(path, "\n".join(lines) + "\n")


def angle_table(analysis: ExportSource, rate_hz: float | None = None) -> pd.DataFrame:
    """The MOT content: ``time``, ``source_time_s``, ``source_frame`` and one column per angle."""
    rs = resample(analysis.cleaned, rate_hz)
    track = rs.as_track(analysis.cleaned)
    if analysis.events.view in ("rear", "front"):
        series, columns = frontal_series_deg(track, analysis.events.view), FRONTAL_COLUMNS
    else:
        series, columns = sagittal_series_deg(track, analysis.events), SAGITTAL_COLUMNS
    out = pd.DataFrame(
        {"time": rs.time_s, "source_time_s": rs.source_time_s, "source_frame": rs.source_frame}
    )
    for key, col in columns.items():
        out[col] = np.asarray(series[key], dtype=float)
    return out


def write_mot(analysis: ExportSource, path: Path, *, rate_hz: float | None = None) -> Path:
    """Write joint and segment angles of ``analysis`` as an OpenSim MOT file (degrees).

    Parameters
    ----------
    analysis
        A :class:`gait.pipeline.Analysis` (read only).
    path
        Output ``.mot`` file.
    rate_hz
        Output rate; default the track's fps; a variable-frame-rate track is resampled to it by
        linear interpolation of the landmarks (angles are computed after resampling). The columns
        ``source_time_s`` and ``source_frame`` give the nearest original frame of each row.
        Missing values are written as ``NaN``.
    """
    table = angle_table(analysis, rate_hz)
    header = [
        Path(path).name,
        "version=1",
        f"nRows={len(table)}",
        f"nColumns={table.shape[1]}",
        "inDegrees=yes",
        f"# gait export: view {analysis.events.view}; angles in degrees; landmarks {COORDINATES}",
        "endheader",
        "\t".join(table.columns),
    ]
    body = table.to_csv(sep="\t", header=False, index=False, float_format="%.6f", na_rep="NaN")
    return _atomic_write(Path(path), "\n".join(header) + "\n" + body)
