"""Foot angle at IC read from each contact's landing window (shape from the average landing)."""

from __future__ import annotations

import numpy as np
import pytest

from gait.metrics import MetricParams
from gait.metrics.foot_strike import landing_foot_angles


def _landings(fps: float, levels: np.ndarray, noise_deg: float, seed: int = 0):
    """A foot angle that falls from +25 to 0 deg over 60 ms around each IC (every 0.7 s).

    Each contact is shifted by its own level; sampled at ``fps`` with a sub-frame phase, plus noise.
    """
    rng = np.random.default_rng(seed)
    ics = 0.5 + 0.7 * np.arange(len(levels)) + rng.uniform(0, 1 / fps)
    t = np.arange(0, ics[-1] + 0.5, 1 / fps)
    angle = np.zeros_like(t)
    for ic, lev in zip(ics, levels, strict=True):
        near = np.abs(t - ic) < 0.35
        angle[near] = lev + 25.0 / (1 + np.exp((t[near] - ic) / 0.012))
    truth = levels + 12.5  # the curve is at half its drop at IC
    return t, angle + rng.normal(0, noise_deg, len(t)), ics, truth


def test_landing_window_beats_the_ic_instant_at_30_fps() -> None:
    levels = np.random.default_rng(1).normal(0, 2.0, 16)
    t, angle, ics, truth = _landings(30.0, levels, noise_deg=3.0)
    landing = landing_foot_angles(t, angle, ics, 0.10, 0.25 / 30)
    instant = landing_foot_angles(t, angle, ics, 0.0, 0.25 / 30)
    rmse = lambda x: float(np.sqrt(np.mean((x - truth) ** 2)))  # noqa: E731
    assert rmse(landing) < 0.7 * rmse(instant)  # 0.42-0.58 over three seeds
    assert rmse(landing) < 2.5
    # each contact keeps its own level: the estimates follow the true per-contact differences
    assert np.corrcoef(landing, truth)[0, 1] > 0.6


def test_without_noise_the_landing_angle_is_exact() -> None:
    t, angle, ics, truth = _landings(240.0, np.array([0.0, 3.0, -2.0, 1.0, 0.5]), noise_deg=0.0)
    got = landing_foot_angles(t, angle, ics, 0.10, 0.003)
    np.testing.assert_allclose(got, truth, atol=0.3)


def test_few_contacts_or_no_window_give_the_instant_and_nan_stays_nan() -> None:
    t, angle, ics, _ = _landings(60.0, np.zeros(5), noise_deg=0.0)
    instant = np.interp(ics, t, angle)
    np.testing.assert_allclose(landing_foot_angles(t, angle, ics[:2], 0.10, 0.004), instant[:2])
    np.testing.assert_allclose(landing_foot_angles(t, angle, ics, 0.0, 0.004), instant)
    with_nan = landing_foot_angles(t, angle, np.array([np.nan, *ics[1:]]), 0.10, 0.004)
    assert np.isnan(with_nan[0]) and np.isfinite(with_nan[1:]).all()


def test_landing_window_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="fsa_landing_window_s"):
        MetricParams(fsa_landing_window_s=-0.1)
