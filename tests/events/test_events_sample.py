"""The real sample clip (MediaPipe track, 30 fps) against its hand annotation of 34 ICs.

The annotation marks IC as "the first frame the landing shoe is on the belt (foot at its most
anterior point)". The detector marks IC 28 ms after the foot's furthest point ahead of the pelvis,
the delay at which force plates register contact after that point (RBDS mocap, 240 contacts,
28 +- 5 ms); on this clip the detected ICs sit 1.56 +- 0.34 frames after the annotated ones (13 of
34 one frame after, 21 two frames after): the annotation's own landmark (the furthest-forward
point) plus 28 ms (0.84 frame) plus MediaPipe's VIDEO-mode lag at that point (~0.7 frame,
``tests/benchmarks/ic_annotation.py``, samples/README.md). These tests pin that relation so that a
regression, or a drift, shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gait.events import cadence_spm, detect_events
from gait.track import clean_track, load_track
from gait.validate import match_events

from .conftest import ROT90, mirrored

ANNOTATED_CADENCE_SPM = 168.75


def _frame_errors(events, annotation: pd.DataFrame) -> np.ndarray:
    """Detected minus annotated frame per annotated IC (NaN if none within 3 frames)."""
    errs = []
    for foot in ("L", "R"):
        ann = annotation[(annotation["event"] == "IC") & (annotation["foot"] == foot)]
        det = events.table[(events.table["type"] == "IC") & (events.table["foot"] == foot)]
        pairs = match_events(ann["time_s"].to_numpy(), det["time_s"].to_numpy(), 0.1)
        for frame, j in zip(ann["frame"], pairs, strict=True):
            errs.append(det["frame"].iloc[j] - frame if j >= 0 else np.nan)
    return np.array(errs, dtype=float)


def test_sample_view_and_running(sample_track) -> None:
    events = detect_events(sample_track)
    assert events.running
    assert (events.view, events.direction, events.near_foot) == ("side_left", "image_left", "L")
    assert events.stride_time_s is not None and 0.6 < events.stride_time_s < 0.8
    # the label-free step rhythm: autocorrelation at one step (near and far steps differ a little)
    assert events.periodicity is not None and events.periodicity > 0.8
    codes = {n.code for n in events.quality}
    assert {"low_fps_timing", "far_foot"} <= codes
    assert "cadence_disagreement" not in codes and events.cadence_agrees
    # three independent label-free estimates of the cadence agree with the hand count (168.75)
    for source in ("lead", "spread", "bob", "consensus"):
        assert abs(events.rhythm_cadence_spm[source] - 168.75) < 1.5, source


def test_sample_cadence_within_one_spm(sample_track) -> None:
    events = detect_events(sample_track)
    ics = events.table.loc[events.table["type"] == "IC", "time_s"].to_numpy()
    assert abs(cadence_spm(ics) - ANNOTATED_CADENCE_SPM) < 1.0


def test_sample_ics_against_annotation(sample_track, annotation) -> None:
    events = detect_events(sample_track)
    errs = _frame_errors(events, annotation)
    assert len(errs) == 34
    assert np.isfinite(errs).all(), "every annotated IC has a detection within 3 frames"
    assert np.all(np.abs(errs) <= 2)
    within_one = float(np.mean(np.abs(errs) <= 1))
    assert within_one >= 0.3, f"{within_one:.0%} within 1 frame (measured 38 %)"
    assert 0 <= np.median(errs) <= 2  # detected after the annotation, by design (module doc)
    # sub-frame: the furthest-forward point (the annotation's rule) + 28 ms + VIDEO-mode lag
    ann = annotation[annotation["event"] == "IC"]
    offsets = []
    for foot in ("L", "R"):
        det = events.of(foot, "IC")
        for t in ann.loc[ann["foot"] == foot, "time_s"]:
            offsets.append(30.0 * (det[np.argmin(np.abs(det - t))] - t))
    assert 1.1 < np.mean(offsets) < 2.0 and np.std(offsets) < 0.5, (np.mean(offsets), np.std(offsets))
    # no extra contacts: one IC per annotated IC (the clip's edges have none beyond them)
    assert (events.table["type"] == "IC").sum() == 34


def test_sample_confidence_near_foot_higher(sample_track) -> None:
    table = detect_events(sample_track).table
    conf = table[table["type"] == "IC"].groupby("foot")["confidence"].median()
    assert conf["L"] > conf["R"]
    assert conf["L"] > 0.6


def test_mirrored_track_gives_side_right_and_same_cadence(sample_raw, sample_track) -> None:
    original = detect_events(sample_track)
    flipped = detect_events(clean_track(mirrored(sample_raw)))
    assert (flipped.view, flipped.direction) == ("side_right", "image_right")
    assert flipped.running
    cad = [
        cadence_spm(e.table.loc[e.table["type"] == "IC", "time_s"].to_numpy())
        for e in (original, flipped)
    ]
    assert abs(cad[0] - cad[1]) < 0.05
    # the labels still say the left leg is the visible one: reported, not silently trusted
    assert any(n.code == "leg_labels_mirrored" for n in flipped.quality)


def test_rotated_metadata_copy_of_the_clip(sample_track) -> None:
    # the same clip re-encoded with rotation metadata: a few landmarks differ (median 2.6 px) and
    # the far knee is hidden in more frames; the per-channel template keeps every contact but the
    # last one (it lands 1.3 frames from the clip's end, an edge contact) within a frame of the
    # upright clip's
    upright = detect_events(sample_track).table
    events = detect_events(clean_track(load_track(ROT90)))
    assert events.running and events.view == "side_left"
    ics = events.table[events.table["type"] == "IC"]
    assert len(ics) >= 33
    for foot in ("L", "R"):
        ref = upright[(upright["type"] == "IC") & (upright["foot"] == foot)]
        got = ics[ics["foot"] == foot]
        pairs = match_events(ref["time_s"].to_numpy(), got["time_s"].to_numpy(), 0.1)
        assert (pairs >= 0).sum() >= len(ref) - 1
        diff = got["frame"].to_numpy()[pairs[pairs >= 0]] - ref["frame"].to_numpy()[pairs >= 0]
        assert np.all(np.abs(diff) <= 1)
    cad = cadence_spm(ics["time_s"].to_numpy(), ics["foot"].to_numpy(), events.stride_time_s)
    assert abs(cad - ANNOTATED_CADENCE_SPM) < 1.0


def test_toe_offs_of_both_feet_and_their_contact_times(sample_track) -> None:
    # toe-off from the heel's backward swing: the far (right) foot gets toe-offs although its knee
    # hardly moves in the landmarks, and the re-encoded twin agrees within 15 ms per foot. Of the
    # 17 near-foot contacts the last has no toe-off in the clip and the first loses its own: the
    # heel jumps 100 px for one frame in that swing (a landmark on the wrong place, masked by the
    # leg-label repair), and the swing no longer fits the others.
    def contact_times(events) -> dict[str, float]:
        steps = events.table
        out = {}
        for foot in ("L", "R"):
            ic = steps[(steps["foot"] == foot) & (steps["type"] == "IC")]["time_s"].to_numpy()
            to = steps[(steps["foot"] == foot) & (steps["type"] == "TO")]["time_s"].to_numpy()
            ct = [to[(to > a) & (to < a + 0.4)][0] - a for a in ic if ((to > a) & (to < a + 0.4)).any()]
            assert len(ct) >= 14, foot
            out[foot] = float(np.median(ct))
        return out

    events = detect_events(sample_track)
    assert not any(n.code.startswith("no_toe_off") for n in events.quality)
    upright = contact_times(events)
    twin = contact_times(detect_events(clean_track(load_track(ROT90))))
    for foot in ("L", "R"):
        assert 0.19 < upright[foot] < 0.30, (foot, upright[foot])
        assert abs(upright[foot] - twin[foot]) < 0.015, foot


def test_sample_ics_follow_the_furthest_forward_point_like_force_plates(
    sample_raw, sample_track, annotation
) -> None:
    # force plates: contact 28 +- 5 ms (0.85 frames) after the foot's furthest-forward point; the
    # VIDEO-mode track puts that point 0.2 frames late (its smoothing), so the detected IC should
    # follow the track's furthest-forward point by roughly 0.2-1 frame, on both feet
    table = detect_events(sample_track).table
    pos = sample_raw["position"]
    for foot, side in (("L", "left"), ("R", "right")):
        x = (pos.sel(keypoint=f"{side}_heel", space="x") + pos.sel(keypoint=f"{side}_foot_index", space="x")).values
        forward = -x / 2  # the runner faces image-left
        det = table[(table["type"] == "IC") & (table["foot"] == foot)]["time_s"].to_numpy() * 30.0
        gaps = []
        for frame in annotation[(annotation["event"] == "IC") & (annotation["foot"] == foot)]["frame"]:
            lo = max(frame - 4, 0)
            seg = forward[lo : frame + 5]
            k = int(np.argmax(seg))
            y0, y1, y2 = seg[k - 1 : k + 2]
            peak = lo + k + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
            gaps.append(det[np.argmin(np.abs(det - peak))] - peak)
        assert 0.2 <= np.mean(gaps) <= 1.0, (foot, np.mean(gaps))  # measured L 0.59, R 0.33
        assert np.all(np.abs(gaps) < 2.0)
