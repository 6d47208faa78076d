"""The BlazePose 33-landmark skeleton: names, left/right pairs and drawing edges.

Names are MediaPipe's ``PoseLandmark`` names in snake_case, in MediaPipe's index order, so
``KEYPOINTS[i]`` is landmark ``i`` of the model.
"""

from __future__ import annotations

KEYPOINTS: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)

#: ``(left, right)`` name pairs; swapping each pair mirrors the skeleton's labels.
LEFT_RIGHT_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (name, "right_" + name.removeprefix("left_"))
    for name in KEYPOINTS
    if name.startswith("left_")
) + (("mouth_left", "mouth_right"),)

#: The leg landmarks below the hip, per side: what MediaPipe swaps between legs in side views.
LEG_PARTS: tuple[str, ...] = ("knee", "ankle", "heel", "foot_index")
#: Foot codes used in event and step tables, and the side name of each in keypoint names.
SIDE_NAMES: dict[str, str] = {"L": "left", "R": "right"}
#: (foot code, side name) pairs, left first.
SIDES: tuple[tuple[str, str], ...] = tuple(SIDE_NAMES.items())

#: Camera views, as the track stage detects them and the user may force them: the camera sees the
#: runner's left side, right side, back or front (see :mod:`gait.track.view`).
VIEWS: tuple[str, ...] = ("side_left", "side_right", "rear", "front")

#: Bones to draw (pairs of names).
EDGES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    *(
        (f"{side}_{a}", f"{side}_{b}")
        for side in ("left", "right")
        for a, b in (
            ("shoulder", "elbow"),
            ("elbow", "wrist"),
            ("shoulder", "hip"),
            ("hip", "knee"),
            ("knee", "ankle"),
            ("ankle", "heel"),
            ("heel", "foot_index"),
            ("ankle", "foot_index"),
        )
    ),
)

assert len(KEYPOINTS) == 33
