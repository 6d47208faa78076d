"""Frontal-plane angle definitions (gait.metrics.frontal) on points you can check by eye."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gait.metrics import frontal


def _pts(*xy: tuple[float, float]) -> tuple[np.ndarray, ...]:
    return tuple(np.array([p], dtype=float) for p in xy)


def test_pelvic_obliquity_positive_when_right_hip_higher() -> None:
    lh, rh = _pts((0.0, 0.0), (10.0, 10.0))  # (lateral, up): right hip 10 up, 10 to the right
    assert frontal.pelvic_obliquity_deg(lh, rh)[0] == pytest.approx(45.0)


def test_femoral_adduction_positive_when_knee_medial() -> None:
    hip, knee = _pts((0.0, 0.0), (1.0, -10.0))  # knee towards the runner's right
    left = frontal.segment_angle_deg(hip, knee, frontal.MEDIAL["L"])[0]
    right = frontal.segment_angle_deg(hip, knee, frontal.MEDIAL["R"])[0]
    assert left == pytest.approx(np.degrees(np.arctan(0.1)))
    assert right == pytest.approx(-left)


def test_hip_adduction_adds_pelvic_tilt() -> None:
    lh, rh = _pts((0.0, 0.0), (10.0, 0.0))
    hip, knee = _pts((10.0, 0.0), (10.0, -10.0))  # vertical right thigh, level pelvis
    assert frontal.hip_adduction_deg(hip, knee, lh, rh, "R")[0] == pytest.approx(0.0)
    lh2 = np.array([[0.0, -10 * np.tan(np.radians(5))]])  # left (swing) side 5 deg lower
    assert frontal.hip_adduction_deg(hip, knee, lh2, rh, "R")[0] == pytest.approx(5.0)


def test_knee_projection_positive_for_valgus() -> None:
    hip, knee, ankle = _pts((0.0, 0.0), (2.0, -10.0), (0.0, -20.0))  # left knee medial
    assert frontal.knee_projection_deg(hip, knee, ankle, "L")[0] > 0
    assert frontal.knee_projection_deg(hip, knee, ankle, "R")[0] < 0


def test_rearfoot_proxy_positive_for_eversion() -> None:
    knee, ankle, heel = _pts((0.0, 10.0), (0.0, 0.0), (-1.0, -3.0))  # left heel lateral (-x)
    assert frontal.rearfoot_proxy_deg(knee, ankle, heel, "L")[0] == pytest.approx(
        np.degrees(np.arctan(1 / 3))
    )


@settings(max_examples=50, deadline=None)
@given(
    scale=st.floats(0.2, 5.0),
    dx=st.floats(-500, 500),
    dy=st.floats(-500, 500),
    pts=st.lists(st.floats(-50, 50), min_size=8, max_size=8),
)
def test_angles_invariant_to_scale_and_translation(scale, dx, dy, pts) -> None:
    # a real pelvis: the left hip stays 10-30 px left of the right one (a zero-width pelvis has no angle)
    lh = np.array([[-10.0 + pts[0] / 10, 0.0 + pts[1] / 10]])
    rh = np.array([[10.0 + pts[2] / 10, 0.0 + pts[3] / 10]])
    hip, knee, ankle = rh, rh + [[pts[4] / 5, -40.0]], rh + [[pts[5] / 5, -80.0]]
    heel = ankle + [[pts[6] / 10, -5.0 + pts[7] / 50]]

    def all_angles(f):
        a, b, c, d, e, g = (f(p) for p in (lh, rh, hip, knee, ankle, heel))
        return np.array(
            [
                frontal.pelvic_obliquity_deg(a, b)[0],
                frontal.hip_adduction_deg(c, d, a, b, "R")[0],
                frontal.knee_projection_deg(c, d, e, "R")[0],
                frontal.rearfoot_proxy_deg(d, e, g, "R")[0],
            ]
        )

    moved = all_angles(lambda p: p * scale + [[dx, dy]])
    np.testing.assert_allclose(moved, all_angles(lambda p: p), atol=1e-6)
