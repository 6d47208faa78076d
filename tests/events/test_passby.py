"""Short overground pass-bys: the runner crosses a static side camera, ~2 s in view, then leaves.

The harness clips are force-plate trials turned into overground running and filmed by a static
virtual camera (:mod:`gait.validate.passby`); the contacts are the force plates'.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gait.errors import ConfigError
from gait.events import DETECTOR, detect_events
from gait.events._ground import Stance, footprints, in_view_span
from gait.metrics import compute_metrics
from gait.track import clean_track
from gait.validate.harness import match_events
from gait.validate.passby import SLIDE_TREADMILL_HZ, film_passby, in_view_truth, run_passby_once, slide_feet
from tests.conftest import SHARED

MOCAP = SHARED / "data" / "mocap"

pytestmark = pytest.mark.skipif(
    not (MOCAP / "events").is_dir(), reason=f"mocap data not found at {MOCAP}"
)


@pytest.fixture(scope="module")
def trials():
    from gait.validate import list_trials, load_trial

    return {t: load_trial(MOCAP, t) for t in list_trials(MOCAP)}


def test_in_view_span_finds_the_longest_stretch() -> None:
    present = np.zeros(40, bool)
    present[3:6] = True  # a stray detection
    present[10:30] = True
    present[17:19] = False  # a 2-frame gap inside the pass-by is bridged
    assert in_view_span(present) == slice(10, 30)
    assert in_view_span(np.zeros(5, bool)) == slice(0, 0)


def test_footprints_merge_duplicates_and_alternate() -> None:
    # four true footprints 0.36 s and 1.0 leg apart, all labelled "L" (MediaPipe's labels stuck on
    # one leg), one shown twice (the far foot drawn on the near one) and a short false stance
    # between two footprints (a leg drawn between the legs)
    stances = [Stance("L", 0.10 + 0.36 * k, 0.30 + 0.36 * k, -3.0 + 1.0 * k) for k in range(4)]
    stances.append(Stance("R", 0.47, 0.65, -2.0))  # duplicate of the second footprint
    stances.append(Stance("L", 0.62, 0.66, -1.5))  # false: between footprints 2 and 3
    prints = footprints(stances, 0.36, 1.0 / 0.36)
    assert [round(p.ic_s, 2) for p in prints] == [0.10, 0.46, 0.82, 1.18]
    feet = [p.foot for p in prints]
    assert feet in (["L", "R", "L", "R"], ["R", "L", "R", "L"])


@pytest.mark.parametrize("fps", [30.0, 120.0])
def test_passby_contacts_and_cadence(trials, fps: float) -> None:
    # three pass-bys (both runners, both speeds), 2 s in view with empty frames before and after,
    # MediaPipe's foot slide after contact as measured on the treadmill clip
    hits, total = 0, 0
    for k, (trial_id, start) in enumerate(
        [("RBDS001_runT25", 4.0), ("RBDS001_runT35_c3d", 9.0), ("RBDS0041_runT25", 14.0)]
    ):
        p = film_passby(trials[trial_id], fps=fps, seed=k, start_s=start, slide_hz=SLIDE_TREADMILL_HZ)
        assert not p.in_view[0] and not p.in_view[-1]  # the runner enters and leaves
        cleaned = clean_track(p.track)
        events = detect_events(cleaned)
        assert events.running, [n.code for n in events.quality]
        assert events.ground_motion == "overground"
        assert events.in_view_s is not None
        t = p.track["time"].values
        assert events.in_view_s[0] > t[0] and events.in_view_s[1] < t[-1]
        assert events.n_steps is not None and events.n_steps >= 3
        assert any(n.code == "overground_passby" for n in events.quality)
        truth = in_view_truth(p)
        for side, foot in (("left", "L"), ("right", "R")):
            tt = truth.loc[(truth["side"] == side) & (truth["kind"] == "ic"), "time_s"].to_numpy()
            pairs = match_events(tt, events.of(foot, "IC"), 1.0 / fps + 1e-6)
            hits += int((pairs >= 0).sum())
            total += len(tt)
        metrics = compute_metrics(cleaned, events)
        ics = truth.loc[truth["kind"] == "ic", "time_s"].to_numpy()
        true_cad = 60.0 * (len(ics) - 1) / (ics[-1] - ics[0])
        cad = metrics.metrics["cadence_spm"]
        assert cad.value is not None and abs(cad.value - true_cad) <= 3.0
        # a few steps: an honest, wide uncertainty and not high confidence
        assert cad.uncertainty is not None and cad.uncertainty > 0.3
        assert cad.confidence != "high"
    # at 120 fps one frame is 8 ms, less than the IC spread (~7 ms SD): two frames there
    need = 0.8 if fps <= 60 else 0.5
    assert hits / total >= need, f"{hits}/{total} ICs within one frame at {fps:.0f} fps"


def test_too_short_a_passby_says_so(trials) -> None:
    # 0.6 s in view: at most two contacts; no events, a note saying what to film (the
    # view is given: so few frames do not tell the view, which is not what is tested here)
    p = film_passby(trials["RBDS001_runT35_c3d"], fps=60.0, seed=3, start_s=5.0, in_view_s=0.6)
    events = detect_events(clean_track(p.track), view="side_left")
    assert not events.running
    codes = [n.code for n in events.quality]
    assert "too_few_contacts" in codes, codes


def test_treadmill_keeps_the_stride_template(trials) -> None:
    track, _ = trials["RBDS001_runT25"].to_track(fps=60.0, seed=1, duration_s=8.0)
    events = detect_events(clean_track(track))
    assert events.running
    assert events.ground_motion == "treadmill"
    assert events.detector == DETECTOR and events.in_view_s is None


def test_run_passby_once_scores_in_view_contacts(trials) -> None:
    r = run_passby_once(trials["RBDS0041_runT25"], fps=60.0, seed=2, start_s=6.0)
    assert r.n_true["IC"] >= 4 and len(r.errors_s["IC"]) >= 4
    assert np.isfinite(r.cadence_err_spm)


def test_foot_lag_is_opt_in_and_delays_the_contacts(trials) -> None:
    # the lag component (PoseErrorModel.foot_lag_s) is off in every severity; on, the feet
    # arrive late and the stance-level contacts with them (MediaPipe's lag, measured on the
    # treadmill clip by tests/benchmarks/foot_lag.py)
    from gait.validate.errors import SEVERITIES, PoseErrorModel

    assert all(PoseErrorModel.at_severity(s).foot_lag_s == 0.0 for s in SEVERITIES)
    with pytest.raises(ValueError, match="foot_lag_s"):
        PoseErrorModel(foot_lag_s=-0.01)
    trial = trials["RBDS0041_runT25"]
    runs = {
        lag: run_passby_once(trial, fps=60.0, seed=2, start_s=6.0, error_model=PoseErrorModel(foot_lag_s=lag))
        for lag in (0.0, 0.045)
    }
    plain = run_passby_once(trial, fps=60.0, seed=2, start_s=6.0)
    assert runs[0.0].errors_s == plain.errors_s  # lag 0 = the severity's own model, bit for bit
    bias = {lag: float(np.mean(r.errors_s["IC"])) for lag, r in runs.items()}
    assert bias[0.045] - bias[0.0] > 0.015, bias


def _decelerating_foot(t_stop: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    # a foot swinging at 2x the running speed (1), decelerating linearly over 0.1 s to rest at
    # t_stop, standing until 0.75 s, swinging again
    t = np.arange(0.0, 1.0, 1 / 240)
    v = np.where(t < t_stop - 0.1, 2.0, np.where(t < t_stop, 2.0 * (t_stop - t) / 0.1, 0.0))
    v = np.where(t > 0.75, 2.0, v)
    return t, np.cumsum(v) / 240


def test_ic_is_timed_in_the_deceleration_relative_to_the_swing_peak(monkeypatch) -> None:
    import gait.events._ground as ground

    t, x = _decelerating_foot()
    stance = ground.foot_stances(t, x, x, 1.0, "L")
    # IC_PEAK_FRACTION x the peak (2x speed) is crossed where the speed has fallen to 1.1
    assert len(stance) == 1 and abs(stance[0].ic_s - (0.4 + 0.1 * (1 - ground.IC_PEAK_FRACTION))) < 0.006
    assert stance[0].timed
    # the level is relative to the swing's own peak: the same IC whatever the running speed says
    slow = ground.foot_stances(t, x, x, 0.8, "L")
    assert len(slow) == 1 and abs(slow[0].ic_s - stance[0].ic_s) < 0.006
    monkeypatch.setattr(ground, "IC_PEAK_FRACTION", 0.0)
    late = ground.foot_stances(t, x, x, 1.0, "L")  # the stance level's crossing: late in it
    assert len(late) == 1 and 0.48 < late[0].ic_s < 0.5
    assert late[0].to_s == stance[0].to_s


def test_a_landing_not_seen_is_a_footprint_without_an_ic_time() -> None:
    import gait.events._ground as ground

    t, x = _decelerating_foot()
    x = x.copy()
    x[(t > 0.3) & (t < 0.55)] = np.nan  # the foot is missing over its landing
    stance = ground.foot_stances(t, x, x, 1.0, "L")
    assert len(stance) == 1 and not stance[0].timed and stance[0].ic_s >= 0.55
    # with timed footprints around it (0.4 s steps), its IC is its end minus their median contact
    # time (0.25 s), on their beat
    t_ic = stance[0].to_s - 0.25
    timed = [Stance("R", t_ic + 0.4 * k, t_ic + 0.4 * k + 0.25, float(k)) for k in (-2, -1, 1, 2)]
    prints = footprints([*timed, replace(stance[0], position=0.0)])
    untimed = [p for p in prints if abs(p.to_s - stance[0].to_s) < 1e-9]
    assert len(untimed) == 1 and untimed[0].timed
    assert abs(untimed[0].ic_s - t_ic) < 1e-9
    # off their beat (a stance cut short: its end minus a contact time is no landing), left out
    off = [replace(x, ic_s=x.ic_s + 0.2, to_s=x.to_s + 0.2) for x in timed]
    assert all(abs(p.to_s - stance[0].to_s) > 1e-9 for p in footprints([*off, replace(stance[0], position=0.0)]))
    # without two timed contacts to take the contact time from, it is left out
    assert footprints([stance[0]]) == []


def test_a_stance_cut_by_a_short_rise_or_a_label_gap_is_one_footprint() -> None:
    import gait.events._ground as ground

    t, x = _decelerating_foot()
    x = x.copy()
    blip = (t >= 0.6) & (t < 0.6 + ground.BLIP_S / 2)
    x[t >= 0.6] += 0.02 * np.minimum(t[t >= 0.6] - 0.6, ground.BLIP_S / 2)  # a noise rise of 0.5x speed
    assert blip.any()
    stance = ground.foot_stances(t, x, x, 1.0, "L")
    assert len(stance) == 1 and stance[0].to_s > 0.7
    # two stances at one place, 0.05 s apart (a leg label left the foot in between): one footprint
    halves = [Stance("L", 0.40, 0.50, -2.0), Stance("R", 0.55, 0.70, -1.9)]
    assert [round(p.ic_s, 2) for p in footprints(halves)] == [0.40]


def test_slide_feet_delays_the_feet_only(trials) -> None:
    p0 = film_passby(trials["RBDS001_runT25"], fps=60.0, seed=1, start_s=3.0, severity=0)
    true_px = p0.truth.position_true_px
    slid = slide_feet(true_px, 60.0, SLIDE_TREADMILL_HZ)
    from gait.skeleton import KEYPOINTS

    heel, hip = KEYPOINTS.index("left_heel"), KEYPOINTS.index("left_hip")
    np.testing.assert_array_equal(slid[:, hip], true_px[:, hip])
    assert np.nanmax(np.abs(slid[:, heel] - true_px[:, heel])) > 5.0  # px: the stop is smeared
    # unit gain: a foot standing still stays where it is
    still = np.repeat(true_px[:1], 50, axis=0)
    np.testing.assert_allclose(slide_feet(still, 60.0, SLIDE_TREADMILL_HZ), still, atol=1e-6)
    np.testing.assert_array_equal(slide_feet(true_px, 60.0, 0.0), true_px)
    with pytest.raises(ConfigError, match="slide"):
        film_passby(trials["RBDS001_runT25"], fps=60.0, slide_hz=-1.0)
    with pytest.raises(ConfigError, match="half the frame rate"):
        slide_feet(true_px, 30.0, 20.0)


def test_the_slide_delays_the_stance_and_the_peak_rule_takes_it_back(trials, monkeypatch) -> None:
    # the stance level's crossing comes ~50 ms after contact with the treadmill clip's slide; the
    # swing-peak rule brings the ICs back within one frame
    import gait.events._ground as ground

    trial = trials["RBDS0041_runT25"]
    runs = {}
    rule = ground.IC_PEAK_FRACTION
    for frac in (rule, 0.0):
        monkeypatch.setattr(ground, "IC_PEAK_FRACTION", frac)
        runs[frac] = [
            run_passby_once(trial, fps=30.0, seed=s, start_s=start, slide_hz=SLIDE_TREADMILL_HZ)
            for s, start in ((2, 6.0), (3, 10.0))
        ]
    late = np.concatenate([r.errors_s["IC"] for r in runs[0.0]])
    now = np.concatenate([r.errors_s["IC"] for r in runs[rule]])
    assert np.median(late) > 0.035, late
    assert np.mean(np.abs(now) <= 1 / 30 + 1e-9) >= 0.8, now


def test_passby_scoring_counts_every_unpaired_detection() -> None:
    # the pass-by scores events with the harness's own pairing (_score_events, false_pos="all"):
    # an extra detection outside the true events' span is a false positive there, not in "span"
    import pandas as pd

    from gait.validate.harness import _score_events

    class Events:
        def of(self, foot: str, kind: str) -> np.ndarray:
            return np.array([1.0, 1.7, 3.0]) if (foot, kind) == ("L", "IC") else np.array([])

    truth = pd.DataFrame({"side": ["left", "left"], "kind": ["ic", "ic"], "time_s": [1.01, 1.71]})
    n, errs, fp_all = _score_events(truth, Events(), 0.15, 0.7, false_pos="all")
    _, _, fp_span = _score_events(truth, Events(), 0.15, 0.7)
    assert n["IC"] == 2 and len(errs["IC"]) == 2
    assert fp_all["IC"] == 1 and fp_span["IC"] == 0
    with pytest.raises(ValueError, match="false_pos"):
        _score_events(truth, Events(), 0.15, 0.7, false_pos="near")


def test_ground_relative_positions_can_be_passed_in(trials) -> None:
    # what a moving camera will do: pass the foot positions relative to the ground; here the
    # static camera's own image positions, shifted by a constant, give the same contacts
    from gait.events._detect import _pelvis_and_feet, detect_overground_events
    from gait.track import detect_view

    p = film_passby(trials["RBDS001_runT25"], fps=60.0, seed=5, start_s=3.0)
    cleaned = clean_track(p.track)
    view = detect_view(cleaned)
    pelvis, feet = _pelvis_and_feet(cleaned, view.forward_sign)
    shifted = (pelvis + 7.0, {f: (h + 7.0, t + 7.0) for f, (h, t) in feet.items()})
    a = detect_overground_events(cleaned, view)
    b = detect_overground_events(cleaned, view, ground_fwd=shifted)
    assert a.running and len(a.of("L", "IC")) >= 2
    np.testing.assert_allclose(a.of("L", "IC"), b.of("L", "IC"))
    np.testing.assert_allclose(a.of("R", "IC"), b.of("R", "IC"))
    with pytest.raises(ValueError, match="side view"):
        detect_overground_events(cleaned, replace(view, view="rear"))


# --- a following (panning) camera: the same pass-by, filmed by a camera that keeps the runner centred


def _ics(events) -> np.ndarray:
    return np.sort(events.table.loc[events.table["type"] == "IC", "time_s"].to_numpy(float))


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_following_camera_with_its_pan_removed_matches_the_static_passby(trials, fps: float) -> None:
    from gait.events._detect import OVERGROUND_DETECTOR, detect_overground_events
    from gait.track import clip_view
    from gait.track._ground_frame import to_ground_frame

    trial = trials[sorted(trials)[0]]
    static = film_passby(trial, fps=fps, seed=11, start_s=1.5, slide_hz=SLIDE_TREADMILL_HZ)
    follow = film_passby(trial, fps=fps, seed=11, start_s=1.5, camera="follow", slide_hz=SLIDE_TREADMILL_HZ)
    # the runner stays near the centre while the ground scrolls by more than the image's width
    hip_x = follow.track["position"].sel(keypoint=["left_hip", "right_hip"], space="x").mean("keypoint")
    width = float(follow.track.attrs["image_width_px"])
    assert float(np.nanmax(np.abs(hip_x - width / 2))) < 0.2 * width
    assert np.ptp(follow.pan_px[:, 0]) > 0.9 * width
    assert follow.in_view.all() and not static.in_view.all()

    ground = to_ground_frame(follow.track, follow.camera_motion())
    ev_static = detect_events(clean_track(static.track))
    ev_ground = detect_events(clean_track(ground))
    assert ev_ground.detector == OVERGROUND_DETECTOR and ev_ground.ground_motion == "overground"
    assert ev_ground.running and ev_static.running
    # every contact the static camera saw is found again, within one frame
    a, b = _ics(ev_static), _ics(ev_ground)
    pairs = match_events(a, b, 0.15)
    assert (pairs >= 0).all()
    assert np.max(np.abs(b[pairs] - a)) <= 1.0 / fps + 1e-9
    # and against the force plates, all in-view contacts (the following shot sees more of them)
    truth = in_view_truth(follow)
    true_ic = np.sort(truth.loc[truth["kind"] == "ic", "time_s"].to_numpy(float))
    # (a contact in the clip's first or last 0.1 s has its landing or its stop out of the clip)
    t = follow.track["time"].values
    true_ic = true_ic[(true_ic >= t[0] + 0.1) & (true_ic <= t[-1] - 0.1)]
    hit = match_events(true_ic, b, 0.15)
    assert (hit >= 0).mean() >= 0.8 and len(true_ic) > len(a)
    assert np.max(np.abs(b[hit[hit >= 0]] - true_ic[hit >= 0])) <= 2.0 / fps + 1e-9
    assert "followed by the camera" in next(q.message for q in ev_ground.quality if q.code == "overground_passby")

    # without the pan removed the stance foot slides through the image: the ground-stance method
    # no longer finds the contacts, and the clip looks like a treadmill to the detector
    raw = clean_track(follow.track)
    assert detect_events(raw).ground_motion == "treadmill"
    forced = detect_overground_events(raw, clip_view(raw))
    found = match_events(true_ic, _ics(forced), 2.0 / fps)
    assert not forced.running or (found >= 0).mean() < 0.5


def test_following_camera_pan_is_known_exactly(trials) -> None:
    from gait.track._ground_frame import from_ground_frame, to_ground_frame

    trial = trials[sorted(trials)[-1]]
    follow = film_passby(trial, fps=30.0, seed=5, start_s=2.0, camera="follow")
    static = film_passby(trial, fps=30.0, seed=5, start_s=2.0)
    ground = to_ground_frame(follow.track, follow.camera_motion())
    # ground-frame positions = the static camera's (first-frame offset aside) where both see the point
    both = np.isfinite(static.track["position"].values) & np.isfinite(ground["position"].values)
    diff = ground["position"].values - static.track["position"].values + follow.pan_px[0][None, None, :]
    assert both.sum() > 1000 and np.abs(diff[both]).max() < 1e-2
    back = from_ground_frame(ground)
    np.testing.assert_allclose(back["position"].values, follow.track["position"].values, atol=1e-2)
    assert "camera_motion" not in back.attrs and back.attrs["camera_moved"] == 1


def test_a_contact_at_the_image_edge_is_not_timed(trials) -> None:
    # MediaPipe goes on drawing a foot that leaves the image; here the image is narrowed so that
    # the contact nearest its right edge lies beyond it, its landmarks kept (not removed as the
    # harness does): that contact goes; the others stay (within a frame: the next one's swing
    # is partly beyond the edge too, which may move its deceleration's peak)
    from gait.events._detect import EDGE_MARGIN_LEG
    from gait.track._rhythm import leg_length_px

    p = film_passby(trials["RBDS001_runT25"], fps=60.0, seed=5, start_s=3.0)
    cleaned = clean_track(p.track)
    full = detect_events(cleaned)
    ics = full.table[full.table["type"] == "IC"].sort_values("time_s")
    assert len(ics) >= 4
    assert full.direction in ("image_left", "image_right")
    rightward = full.direction == "image_right"
    last = ics.iloc[-1] if rightward else ics.iloc[0]  # the contact nearest the image's right edge
    side = "left" if last["foot"] == "L" else "right"
    k = int(np.argmin(np.abs(cleaned["time"].values - last["time_s"])))
    heel_x = float(cleaned["position"].sel(keypoint=f"{side}_heel", space="x").values[k + 3])
    narrowed = cleaned.copy()
    narrowed.attrs["image_width_px"] = int(heel_x + 0.5 * EDGE_MARGIN_LEG * leg_length_px(cleaned))
    cut = detect_events(narrowed)
    kept = cut.table[cut.table["type"] == "IC"]
    assert not np.isclose(kept["time_s"], last["time_s"], atol=0.02).any()
    others = ics.drop(index=last.name)
    assert len(kept) == len(others)
    for row in others.itertuples():
        assert np.isclose(kept["time_s"], row.time_s, atol=1 / 60).any(), (row, kept)
