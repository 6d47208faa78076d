"""Events under MediaPipe-like pose errors (gait.validate.errors): what the robust core must hold.

Small versions of ``tests/benchmarks/robust_events.py`` (which prints the full table, 50 clips per
cell): a few 8 s virtual clips per severity, drawn as the benchmark draws them.

- No cleaning step makes the leg labels worse: the share of frames whose legs are wrongly
  labelled after ``clean_track`` is at most what MediaPipe-like errors put in, on every clip, and
  far lower on average.
- A clip with severity-2 errors (2.4 leg-label episodes per stride) is still running, its
  cadence agrees with the force plates, and its contacts are found.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TRIAL_IDS

from gait.validate.harness import draw_virtual_clips, run_once

N_CLIPS = 6


@pytest.fixture(scope="module")
def runs(get_trial) -> dict[tuple[int, float], list]:
    trials = {t: get_trial(t) for t in TRIAL_IDS}
    clips = draw_virtual_clips(list(trials.values()), N_CLIPS, duration_s=8.0)
    out = {}
    for severity in (1, 2):
        for fps in (30.0, 60.0):
            out[severity, fps] = [
                run_once(
                    trials[c.trial_id],
                    fps=fps,
                    seed=c.seed,
                    severity=severity,
                    start_s=c.start_s,
                    duration_s=8.0,
                )
                for c in clips
            ]
    return out


@pytest.mark.parametrize("severity", [1, 2])
@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_cleaning_never_makes_leg_labels_worse(runs, severity: int, fps: float) -> None:
    results = runs[severity, fps]
    raw = np.array([r.label_error_raw for r in results])
    clean = np.array([r.label_error_clean for r in results])
    assert np.all(clean <= raw + 0.005), list(zip(raw.round(3), clean.round(3), strict=True))
    assert clean.mean() <= 0.25 * raw.mean(), (raw.mean(), clean.mean())


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_severity_2_is_running_with_the_right_cadence(runs, fps: float) -> None:
    results = runs[2, fps]
    assert all(r.running for r in results)
    errors = np.array([r.cadence_err_spm for r in results])
    assert np.all(np.abs(errors) <= 2.0), errors
    assert np.mean(np.abs(errors) <= 1.0) >= 0.8, errors
    found = sum(len(r.errors_s["IC"]) for r in results) / sum(r.n_true["IC"] for r in results)
    assert found >= 0.9
