"""The stride template and the alignment of strides, on signals readable by eye."""

from __future__ import annotations

import numpy as np
import pytest

from gait.events import cadence_spm
from gait.events._cycles import stride_anchors, stride_period
from gait.events._template import GRID_STEP_S, align_strides, build_template, register


def test_cadence_of_literal_contacts() -> None:
    # 4 contacts 0.35 s apart: 3 steps in 1.05 s
    assert cadence_spm(np.array([0.0, 0.35, 0.70, 1.05])) == pytest.approx(60 * 3 / 1.05)
    assert np.isnan(cadence_spm(np.array([1.0])))


def test_stride_period_of_a_sine() -> None:
    t = np.arange(0, 10, 1 / 30)
    period, strength = stride_period(t, np.sin(2 * np.pi * t / 0.7))
    assert period == pytest.approx(0.7, abs=0.005)
    assert strength > 0.95


def test_stride_period_prefers_one_stride_over_two() -> None:
    t = np.arange(0, 12, 1 / 60)
    y = np.sin(2 * np.pi * t / 0.75) + 0.2 * np.sin(4 * np.pi * t / 0.75)
    period, _ = stride_period(t, y)
    assert period == pytest.approx(0.75, abs=0.005)


def test_anchors_are_the_peaks_including_the_last_frame() -> None:
    t = np.arange(0, 3.0 + 1e-9, 0.05)
    y = np.cos(2 * np.pi * t / 1.0)  # peaks at 0, 1, 2, 3 s: first and last frame included
    assert stride_anchors(t, y, 1.0) == pytest.approx([0.0, 1.0, 2.0, 3.0])


def _ramp_strides(fps: float, shifts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A triangle per stride (rise 0.1 s, fall 0.1 s) every 0.5 s, each shifted by ``shifts``."""
    t = np.arange(0, 0.5 * len(shifts) + 0.5, 1 / fps)
    y = np.zeros_like(t)
    starts = 0.25 + 0.5 * np.arange(len(shifts)) + shifts
    for s in starts:
        y = np.maximum(y, np.clip(1 - np.abs(t - s) / 0.1, 0, None))
    return t, y[:, None], starts


def test_register_recovers_a_known_shift() -> None:
    t, y, starts = _ramp_strides(120.0, np.zeros(6))
    template = build_template(t, y, starts, (-0.2, 0.2), 0.003)
    shift, cost = register(t, y, starts[2] - 0.013, template, (-0.15, 0.15), 0.05)
    assert shift == pytest.approx(0.013, abs=0.001)
    assert cost < 1e-3


def test_alignment_gives_sub_frame_timing_at_30_fps() -> None:
    # peaks at known sub-frame jitters; anchors start on the frame grid, 33 ms resolution
    jitter = np.array([0.0, 0.011, -0.007, 0.004, -0.012, 0.008, 0.0, -0.003])
    t, y, starts = _ramp_strides(30.0, jitter)
    rough = t[np.searchsorted(t, starts)]
    anchors, cost, _ = align_strides(
        t, y, rough, span_s=(-0.2, 0.2), window_s=(-0.15, 0.15), bandwidth_s=0.008, search_s=0.04
    )
    offset = np.median(anchors - starts)
    assert np.all(np.abs(anchors - starts - offset) < 0.004)
    assert np.isfinite(cost).all()


def test_register_refuses_a_stride_inside_a_gap() -> None:
    t, y, starts = _ramp_strides(60.0, np.zeros(5))
    template = build_template(t, y, starts, (-0.2, 0.2), 0.005)
    y_gap = y.copy()
    y_gap[(t > starts[2] - 0.15) & (t < starts[2] + 0.1)] = np.nan
    shift, cost = register(t, y_gap, starts[2], template, (-0.15, 0.15), 0.05)
    assert np.isnan(shift) and cost == np.inf
    assert GRID_STEP_S == 0.001


def test_a_channel_missing_in_some_frames_leaves_the_others_in_use() -> None:
    # two channels; the second hidden around one stride (a knee behind the console): that stride
    # is still aligned by the first channel, and the template of the second still comes out
    t, y1, starts = _ramp_strides(60.0, np.zeros(6))
    y = np.hstack([y1, 0.5 * y1])
    y[(t > starts[3] - 0.2) & (t < starts[3] + 0.2), 1] = np.nan
    template = build_template(t, y, starts, (-0.2, 0.2), 0.005)
    assert np.isfinite(template.values).all()
    assert template.at(np.array([0.0]))[0] == pytest.approx([1.0, 0.5], abs=0.05)
    shift, cost = register(t, y, starts[3] - 0.011, template, (-0.15, 0.15), 0.05)
    assert shift == pytest.approx(0.011, abs=0.002)
    assert cost < 1e-3


def test_a_few_wild_samples_neither_pull_the_alignment_nor_eject_the_stride() -> None:
    # two samples of one stride thrown a leg length off (a landmark put on the other leg)
    t, y, starts = _ramp_strides(60.0, np.zeros(6))
    template = build_template(t, y, starts, (-0.2, 0.2), 0.005)
    wild = y.copy()
    idx = np.flatnonzero(t > starts[2] - 0.05)[:2]
    wild[idx] += 1.0
    shift, cost = register(t, wild, starts[2] - 0.017, template, (-0.15, 0.15), 0.05)
    assert shift == pytest.approx(0.017, abs=0.002)
    assert cost < 1e-3  # the inliers fit as well as an untouched stride
    # a third of the window wild or more: not aligned at all
    wild[np.flatnonzero(np.abs(t - starts[2]) < 0.08)] += 1.0
    shift, cost = register(t, wild, starts[2], template, (-0.15, 0.15), 0.05)
    assert np.isnan(shift) and cost == np.inf


def test_toe_off_needs_a_visible_backward_swing() -> None:
    from gait.events._foot import _to_on_template
    from gait.events._template import Template

    grid = np.arange(-0.2, 0.6, GRID_STEP_S)
    values = np.zeros((len(grid), 5))
    # heel relative to the pelvis: back to -0.6 leg lengths at 0.33 s, then forward again
    values[:, 0] = 0.3 - 0.9 * np.exp(-(((grid - 0.33) / 0.12) ** 2))
    swing = Template(grid, values, np.ones(len(grid)))
    assert _to_on_template(swing, 0.0, 0.7) == pytest.approx(0.33, abs=0.002)
    flat = values.copy()
    flat[:, 0] = -0.3 - 0.02 * np.exp(-(((grid - 0.33) / 0.12) ** 2))  # 2 % of a leg: noise
    assert np.isnan(_to_on_template(Template(grid, flat, np.ones(len(grid))), 0.0, 0.7))
    late = values.copy()
    late[:, 0] = -grid  # still going back at the window's end: no minimum inside it
    assert np.isnan(_to_on_template(Template(grid, late, np.ones(len(grid))), 0.0, 0.7))
