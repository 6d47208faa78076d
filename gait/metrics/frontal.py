"""Frontal-plane angles from a rear- or front-view track (domain.md section 2.2), per frame.

Frame: the runner's frontal plane as the camera sees it. ``lateral`` is towards the runner's
right: +x of the image seen from behind, -x seen from the front (the image is not mirrored; the
runner's right is on image-left, :mod:`gait.validate.camera`), and ``up`` is ``-y`` (the image y
axis points down). Once in this frame every angle below has the same definition and sign for both
views. Every angle is in degrees, from 2D landmarks, so it is a *projection* of the 3D
angle; sign conventions follow the marker truth of :mod:`gait.validate.truth`.

``pelvic obliquity``
    Angle of the left->right hip line from horizontal, positive when the right hip is higher.
    Contralateral pelvic drop of a stance side is the obliquity at midstance, signed so that it is
    positive when the *swing* side is lower (Dingenen et al. 2018 measured it this way on 2D video
    and found it related to 3D pelvic drop; their raters' smallest detectable difference was
    2.7-2.8 deg, which is our accuracy target).
``femoral adduction``
    Hip->knee line from the downward vertical, positive when the knee is medial of the hip.
``hip adduction``
    Hip->knee line from the pelvis's downward perpendicular (perpendicular to the hip line),
    positive towards medial: about femoral adduction plus contralateral drop. Dingenen et al.
    found 2D femoral and hip adduction related to the 3D hip-adduction profile.
``knee frontal-plane projection angle``
    Thigh angle minus shank angle (each from the downward vertical towards medial): positive when
    the knee sits medial of the hip-ankle line ("valgus"). Reported only: in running it did not
    relate to 3D knee abduction (Dingenen et al.), nor in single-leg squats (Schurr et al. 2017).
``rearfoot eversion proxy``
    Ankle->heel line minus knee->ankle (shank) line, each from the downward vertical towards
    lateral; positive = eversion (heel lateral of the ankle relative to the shank). Souza (2016)
    reads the calcaneus from two marks on the heel counter at 240 fps; MediaPipe has one heel
    point, so this is a crude proxy (McClay & Manal 1998 and Areblad et al. 1990 on the limits of
    2D rearfoot angles).
"""

from __future__ import annotations

import numpy as np

#: Medial direction along ``lateral`` (towards the runner's right) for each foot.
MEDIAL = {"L": 1.0, "R": -1.0}


#: Sign of image x along ``lateral`` (towards the runner's right) per frontal view.
LATERAL_SIGN = {"rear": 1.0, "front": -1.0}


def frontal_xy(points_px: np.ndarray, view: str = "rear") -> np.ndarray:
    """``(..., 2)`` image points -> ``(..., 2)`` (lateral, up) in px for a rear or front view."""
    if view not in LATERAL_SIGN:
        raise ValueError(f"Expected view 'rear' or 'front', got {view!r}.")
    return np.stack([LATERAL_SIGN[view] * points_px[..., 0], -points_px[..., 1]], axis=-1)


def segment_angle_deg(top: np.ndarray, bottom: np.ndarray, toward: float) -> np.ndarray:
    """Angle of ``top -> bottom`` from the downward vertical, positive towards ``toward`` * lateral.

    ``top`` and ``bottom`` are ``(n, 2)`` (lateral, up) points.
    """
    v = bottom - top
    return np.degrees(np.arctan2(toward * v[:, 0], -v[:, 1]))


def pelvic_obliquity_deg(left_hip: np.ndarray, right_hip: np.ndarray) -> np.ndarray:
    """Hip line from horizontal, positive when the right hip is higher (``(n, 2)`` inputs)."""
    d = right_hip - left_hip
    return np.degrees(np.arctan2(d[:, 1], d[:, 0]))


def hip_adduction_deg(
    hip: np.ndarray, knee: np.ndarray, left_hip: np.ndarray, right_hip: np.ndarray, foot: str
) -> np.ndarray:
    """Thigh from the pelvis's downward perpendicular, positive towards medial."""
    p = right_hip - left_hip
    with np.errstate(invalid="ignore", divide="ignore"):
        p = p / np.linalg.norm(p, axis=1, keepdims=True)
    down = np.stack([p[:, 1], -p[:, 0]], axis=1)
    thigh = knee - hip
    return np.degrees(
        np.arctan2(MEDIAL[foot] * np.sum(thigh * p, axis=1), np.sum(thigh * down, axis=1))
    )


def knee_projection_deg(
    hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, foot: str
) -> np.ndarray:
    """Knee frontal-plane projection angle, positive = knee medial of the hip-ankle line."""
    medial = MEDIAL[foot]
    return segment_angle_deg(hip, knee, medial) - segment_angle_deg(knee, ankle, medial)


def rearfoot_proxy_deg(
    knee: np.ndarray, ankle: np.ndarray, heel: np.ndarray, foot: str
) -> np.ndarray:
    """Rearfoot eversion proxy: ankle->heel line minus the shank line, positive = eversion."""
    lateral = -MEDIAL[foot]
    angle = segment_angle_deg(ankle, heel, lateral) - segment_angle_deg(knee, ankle, lateral)
    return (angle + 180.0) % 360.0 - 180.0
