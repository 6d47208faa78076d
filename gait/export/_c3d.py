"""C3D (motion-capture standard) export with ``ezc3d``: landmarks as points, gait events in EVENT.

Points: the cleaned track's 33 landmarks, x right, **y up** (the image y axis points down, so
``y = image height - y_image``), z = 0, in ``px`` (``POINT:UNITS``), or in metres when the
runner's height is known (see :func:`gait.export._common.scale_m_per_px`). Missing landmarks are
written as invalid points (NaN, residual -1). ``POINT:RATE`` is the track's frame rate; a
variable-frame-rate track is first resampled to that constant rate by linear interpolation.

Events: ``EVENT:LABELS`` "Foot Strike" (initial contact) and "Foot Off" (toe-off),
``EVENT:CONTEXTS`` "Left"/"Right", ``EVENT:TIMES`` as (minutes, seconds) pairs, ``EVENT:USED``;
times in seconds from the first frame (frame 1 of the file is at 0 s), as Vicon Nexus and
kineticstoolkit read them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gait.export._common import COORDINATES, ExportSource, resample, scale_m_per_px, unit, y_up

#: C3D event label of each event type.
EVENT_LABELS = {"IC": "Foot Strike", "TO": "Foot Off"}
#: C3D event context of each foot.
EVENT_CONTEXTS = {"L": "Left", "R": "Right"}


def write_c3d(analysis: ExportSource, path: Path, *, rate_hz: float | None = None) -> Path:
    """Write the landmarks and gait events of ``analysis`` to a C3D file.

    Parameters
    ----------
    analysis
        A :class:`gait.pipeline.Analysis` (read only).
    path
        Output file (``.c3d``); written under a temporary name, then renamed.
    rate_hz
        ``POINT:RATE``; default the track's fps. A track whose frames are not evenly spaced (or
        another rate) is resampled to this constant rate by linear interpolation between frames.

    Returns
    -------
    Path
        ``path``.
    """
    try:
        import ezc3d
    except ImportError as err:  # optional extra
        raise ImportError("C3D export needs ezc3d: pip install 'gait[export]'.") from err
    path = Path(path)
    track = analysis.cleaned
    rs = resample(track, rate_hz)
    scale = scale_m_per_px(analysis)
    xyz = y_up(rs.position_px, track.attrs["image_height_px"], scale)  # (m, k, 3)
    n_frames, n_points = xyz.shape[:2]

    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [rs.rate_hz]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = list(rs.keypoints)
    c3d["parameters"]["POINT"]["DESCRIPTIONS"]["value"] = [
        f"{name}: {COORDINATES}" for name in rs.keypoints
    ]
    c3d["parameters"]["POINT"]["UNITS"]["value"] = [unit(scale)]
    points = np.ones((4, n_points, n_frames))
    points[:3] = np.transpose(xyz, (2, 1, 0))
    c3d["data"]["points"] = points
    residuals = np.where(np.isfinite(xyz).all(axis=-1).T, 0.0, -1.0)[None]  # (1, k, m)
    c3d["data"]["meta_points"] = {
        "residuals": residuals,
        "camera_masks": np.zeros((7, n_points, n_frames), bool),
    }
    note = f"gait export: {COORDINATES}; {unit(scale)}; " + (
        "resampled to a constant rate by linear interpolation"
        if rs.resampled
        else "frames as recorded"
    )
    c3d.add_parameter("POINT", "COORDINATES", note, "coordinate frame of the points")
    source = str(analysis.report.clip.path or track.attrs.get("source_path", ""))
    c3d.add_parameter("SUBJECTS", "USED", 1)
    c3d.add_parameter("SUBJECTS", "NAMES", ["runner"])
    c3d.add_parameter("MANUFACTURER", "COMPANY", "gait")
    c3d.add_parameter(
        "MANUFACTURER", "SOFTWARE", f"gait {track.attrs.get('gait_version', '')}".strip()
    )
    c3d.add_parameter("TRIAL", "SOURCE", source or "unknown")

    t0 = float(rs.time_s[0])
    table = analysis.events.table.sort_values("time_s")
    for row in table.itertuples(index=False):
        seconds = float(row.time_s) - t0
        minutes = int(seconds // 60)
        c3d.add_event(
            [minutes, seconds - 60 * minutes],
            context=EVENT_CONTEXTS[str(row.foot)],
            label=EVENT_LABELS[str(row.type)],
            description=f"{'initial contact' if row.type == 'IC' else 'toe-off'}; confidence "
            f"{float(row.confidence):.2f}",
            subject="runner",
            icon_id=1 if row.type == "IC" else 2,
        )
    tmp = path.with_name(path.name + ".tmp.c3d")
    c3d.write(str(tmp))
    tmp.replace(path)
    return path
