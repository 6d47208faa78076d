"""A clip whose playback slows down part-way, with no slow-motion factor: never one averaged cadence.

The clip is made from the bundled sample: 2 s at normal speed, then 8 s of the following footage
with every picture shown 4 times (a phone's slow-motion edit at 1/4 speed). Analysed end to end with
the real pose model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gait.pipeline import analyze
from tests.video.conftest import repeat_frames, sample_frames, write_clip


@pytest.mark.model
def test_a_playback_speed_change_is_named_not_averaged(tmp_path: Path) -> None:
    frames = sample_frames(60) + repeat_frames(sample_frames(60, start=60), 4)
    clip = write_clip(tmp_path / "ramp.mp4", frames)
    session = analyze(clip)
    report = session.report
    codes = [q.code for q in report.quality]
    assert report.running is False and report.metric_value("cadence_spm") is None
    assert codes[0] == "playback_speed_changes", codes
    message = report.quality[0].message
    assert "'ramp.mp4' slows down about 4x at 2.0 s" in message and "\n" not in message
