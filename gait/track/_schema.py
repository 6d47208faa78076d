"""The pose-track format, defined once.

A pose track is an :class:`xarray.Dataset`:

============== ============================ ======= =====================================================
variable       dims                         dtype   meaning
============== ============================ ======= =====================================================
``position``   (time, keypoint, space)      float32 landmark position in **pixels of the displayed
                                                    image** (after rotation): origin top-left, +x right,
                                                    **+y down**. NaN where there is no landmark.
``confidence`` (time, keypoint)             float32 MediaPipe visibility in [0, 1]; NaN where none.
``position_world`` (time, keypoint, space3) float32 optional MediaPipe world landmarks in metres, origin
                                                    between the hips, y down (MediaPipe's convention).
``detected``   (time)                       bool    a pose was found for this frame.
``duplicate``  (time)                       bool    the decoded frame repeats the previous one (its true
                                                    capture time is unknown; cleaning treats it as missing).
============== ============================ ======= =====================================================

Coordinates: ``time`` (seconds, real-world, from the container's per-frame timestamps divided by the
slow-motion factor; first frame at 0), ``frame`` (on ``time``: 0-based decode index), ``keypoint``
(the 33 snake_case names of :data:`gait.skeleton.KEYPOINTS`), ``space`` (``x``, ``y``), ``space3``
(``x``, ``y``, ``z``).

The image y axis points down. This is stated here once; stages that need "up" convert explicitly.

Attributes are listed in :data:`REQUIRED_ATTRS` and :data:`OPTIONAL_ATTRS`.
"""

from __future__ import annotations

DIMS = ("time", "keypoint", "space")
SPACE = ("x", "y")
SPACE3 = ("x", "y", "z")

TIME_UNIT = "s"
SPACE_UNIT = "px"
COORDINATE_FRAME = "image: origin top-left, +x right, +y down, pixels of the displayed frame"

#: Attributes every track has, with their meaning.
REQUIRED_ATTRS: dict[str, str] = {
    "schema": "format name and version, 'gait.track/1'",
    "fps": "frames per second (median of the frame-time differences), real-world",
    "image_width_px": "width of the displayed (rotated) frame",
    "image_height_px": "height of the displayed (rotated) frame",
    "time_unit": "always 's'",
    "space_unit": "always 'px'",
    "coordinate_frame": COORDINATE_FRAME,
}

#: Attributes a track may have (provenance and processing history).
OPTIONAL_ATTRS: dict[str, str] = {
    "rotation_deg": "clockwise rotation applied to the stored frames to display them (0/90/180/270)",
    "slowmo_factor": "capture rate / playback rate; media times were divided by it",
    "source_path": "the video the track came from",
    "source_sha256": "SHA-256 of that video file",
    "model_name": "pose model ('full' or 'heavy')",
    "model_sha256": "SHA-256 of the pose-model file",
    "gait_version": "version of gait that made the track",
    "person_selection": "JSON: how the runner was chosen among the people in view",
    "cleaning": "JSON list: the cleaning steps applied, with their parameters",
    "source_format": "where the landmarks came from ('mediapipe', 'csv', ...)",
    "rotation_applied_deg": "clockwise turn the pose stage applied to frames whose picture was turned without metadata",
    "orientation_check": "JSON: how the pose stage judged the runner upright (landmarks, probe, passes)",
}

SCHEMA = "gait.track/1"
