"""Running speed of a clip filmed by a moving camera, from the pelvis in the ground frame.

A track from :func:`gait.track._ground_frame.to_ground_frame` has every landmark in the pixels of
one reference frame, with the camera's motion removed: overground the pelvis crosses those pixels
at the running speed. :func:`speed_metrics` turns
:func:`gait.track._ground_frame.running_speed` into report metrics: body heights per second, and
metres per second when the runner's stature is given.

Confidence is ``"low"``: the body height behind the unit comes from an anthropometric table
(:data:`gait.track._ground_frame.BODY_HEIGHT_REL_SD`), the camera's motion from the background
(a residual pan error adds to the pelvis's motion), and neither has been checked against a
measured speed. On a treadmill the ground frame is the room's, where the runner stays in place, so
the speed is not reported there (the belt speed is not seen by the camera).
"""

from __future__ import annotations

from gait.errors import GaitError
from gait.metrics._types import Metric
from gait.track import PoseTrack
from gait.track._ground_frame import running_speed

#: Metric names: the unit is the suffix (body heights per second, metres per second).
SPEED_BODY_HEIGHTS = "running_speed_body_heights_per_s"
SPEED_M = "running_speed_m_per_s"

_TREADMILL_NOTE = (
    "On a treadmill the runner stays in place relative to the room, so the camera cannot see the "
    "running speed; read it from the treadmill's display."
)
_UNCHECKED_NOTE = (
    "From the pelvis's motion relative to the background, in body heights from an anthropometric "
    "table; not yet checked against a measured speed."
)


def speed_metrics(
    ground_track: PoseTrack, ground_motion: str | None, *, height_cm: float | None = None
) -> dict[str, Metric]:
    """The running-speed metrics of a ground-frame track.

    Parameters
    ----------
    ground_track
        A cleaned track in the ground frame (:func:`gait.track._ground_frame.to_ground_frame`).
    ground_motion
        The events' ``ground_motion`` (``"overground"``, ``"treadmill"``, or None when the
        detector did not say); on a treadmill the metrics have no value and a note.
    height_cm
        The runner's stature; given, :data:`SPEED_M` is added.

    Returns
    -------
    dict
        :data:`SPEED_BODY_HEIGHTS` (and :data:`SPEED_M` with ``height_cm``): ``n`` is the number
        of frames with the pelvis in view, ``uncertainty`` the standard uncertainty of
        :func:`running_speed`, confidence ``"low"`` (module docstring). A speed that cannot be
        measured (too short, body not in view) has no value and says why.
    """
    names: dict[str, tuple[str, float | None]] = {SPEED_BODY_HEIGHTS: ("body_heights/s", None)}
    if height_cm is not None:
        names[SPEED_M] = ("m/s", height_cm)
    n = int(
        (ground_track["position"].sel(keypoint=["left_hip", "right_hip"]).notnull().all("space").any("keypoint")).sum()
    )
    out: dict[str, Metric] = {}
    for name, (unit, height) in names.items():
        if ground_motion == "treadmill":
            out[name] = Metric(None, unit, 0, None, None, "low", _TREADMILL_NOTE)
            continue
        try:
            speed = running_speed(ground_track, height_cm=height)
        except GaitError as err:
            out[name] = Metric(None, unit, n, None, None, "low", str(err))
            continue
        out[name] = Metric(float(speed.value), unit, n, None, float(speed.uncertainty), "low", _UNCHECKED_NOTE)
    return out


__all__ = ["SPEED_BODY_HEIGHTS", "SPEED_M", "speed_metrics"]
