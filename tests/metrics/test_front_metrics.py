"""Front-view metrics: mirrored frontal frame, the reported set, and accuracy on the mocap harness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gait.events import detect_frontal_events
from gait.metrics import REAR_METRICS, REAR_STEP_COLUMNS, compute_metrics, frontal
from gait.metrics._rear import FRONT_REPORTED, compute_front_metrics, compute_rear_metrics
from gait.track import clean_track, detect_view, track_fps
from gait.validate import load_trial, match_events
from gait.validate.harness import FOOT
from gait.validate.rear import pelvis_width_m

MOCAP = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mocap").resolve()
_CACHE: dict = {}


def _analysed(view: str, trial_id: str = "RBDS0041_runT25", fps: float = 60.0, seed: int = 0):
    if not (MOCAP / "events").is_dir():
        pytest.skip(f"mocap data not found at {MOCAP}")
    key = (view, trial_id, fps, seed)
    if key not in _CACHE:
        trial = load_trial(MOCAP, trial_id)
        track, truth = trial.to_track(view=view, fps=fps, seed=seed, duration_s=20.0)
        cleaned = clean_track(track)
        events = (
            detect_frontal_events(cleaned, detect_view(cleaned), track_fps(cleaned))
            if view == "front"
            else None
        )
        _CACHE[key] = (trial, cleaned, truth, events)
    return _CACHE[key]


def test_frontal_xy_mirrors_lateral_for_front() -> None:
    pts = np.array([[[100.0, 50.0], [300.0, 60.0]]])
    rear = frontal.frontal_xy(pts, "rear")
    front = frontal.frontal_xy(pts, "front")
    np.testing.assert_array_equal(front[..., 0], -rear[..., 0])
    np.testing.assert_array_equal(front[..., 1], rear[..., 1])
    with pytest.raises(ValueError, match="rear' or 'front"):
        frontal.frontal_xy(pts, "side_left")


def test_front_metrics_contract_and_reported_set() -> None:
    _, cleaned, _, events = _analysed("front")
    m = compute_metrics(cleaned, events)  # routed by events.view == "front"
    assert list(m.steps.columns) == list(REAR_STEP_COLUMNS)
    assert set(m.metrics) >= REAR_METRICS
    for key in REAR_METRICS:
        if key in FRONT_REPORTED:
            assert m.metrics[key].value is not None, key
        else:
            assert m.metrics[key].value is None and m.metrics[key].note, key
    assert "front" in m.metrics["rearfoot_eversion_proxy_deg"].note
    assert m.steps["rearfoot_eversion_proxy_deg"].isna().all()
    assert m.value("cadence_spm") is not None
    assert all(s.pattern is None for s in m.foot_strike.values())


def _clip_errors(trial, truth, steps) -> dict[str, list[float]]:
    """Per side: mean detected minus mean true over the matched contacts."""
    contacts = truth.contacts.assign(
        step_width_pw=truth.contacts["step_width_m"] / pelvis_width_m(trial)
    )
    pairs = {
        "pelvic_drop_deg": "pelvic_drop_midstance_deg",
        "step_width_pelvis_widths": "step_width_pw",
    }
    out: dict[str, list[float]] = {k: [] for k in pairs}
    for side, foot in FOOT.items():
        tc = contacts[contacts["side"] == side]
        st = steps[steps["foot"] == foot]
        idx = match_events(tc["ic_time_s"].to_numpy(), st["ic_time_s"].to_numpy(), 0.15)
        ok = idx >= 0
        for k, v in pairs.items():
            det = st[k].to_numpy()[idx[ok]]
            true = tc[v].to_numpy()[ok]
            good = np.isfinite(det) & np.isfinite(true)
            out[k].append(float(det[good].mean() - true[good].mean()))
    return out


@pytest.mark.parametrize("fps", [30.0, 120.0])
def test_front_pelvic_drop_and_step_width_match_the_markers(fps: float) -> None:
    trial, cleaned, truth, events = _analysed("front", fps=fps)
    m = compute_front_metrics(cleaned, events)
    err = _clip_errors(trial, truth, m.steps)
    assert max(abs(e) for e in err["pelvic_drop_deg"]) < 2.8  # Dingenen et al. 2018 SDD
    assert max(abs(e) for e in err["step_width_pelvis_widths"]) < 0.1


def test_front_and_rear_agree_on_the_same_running() -> None:
    """The same strides filmed from the front and from behind give the same frontal values."""
    _, front_track, _, front_events = _analysed("front")
    _, rear_track, _, _ = _analysed("rear")
    from gait.events import detect_events

    rear = compute_rear_metrics(rear_track, detect_events(rear_track))
    front = compute_front_metrics(front_track, front_events)
    for key, tol in (("pelvic_drop_deg", 1.5), ("step_width_pelvis_widths", 0.08)):
        for foot in ("L", "R"):
            assert front.metrics[key].per_side[foot] == pytest.approx(
                rear.metrics[key].per_side[foot], abs=tol
            ), (key, foot)


def test_front_metrics_mirror_image_swaps_sides() -> None:
    """Mirroring a front clip and swapping its leg labels is the runner's mirror image.

    The pelvic drop of each side moves to the other side.
    """
    _, cleaned, _, events = _analysed("front")
    width = float(cleaned.attrs["image_width_px"])
    pos = cleaned["position"].copy()
    pos.loc[{"space": "x"}] = width - pos.sel(space="x")
    names = [
        str(k).replace("left_", "#").replace("right_", "left_").replace("#", "right_")
        for k in cleaned["keypoint"].values
    ]
    mirrored = cleaned.assign(position=pos).assign_coords(keypoint=names)
    mirrored = mirrored.reindex(keypoint=[str(k) for k in cleaned["keypoint"].values])
    ev = detect_frontal_events(mirrored, detect_view(mirrored), track_fps(mirrored))
    a = compute_front_metrics(cleaned, events).metrics["pelvic_drop_deg"].per_side
    b = compute_front_metrics(mirrored, ev).metrics["pelvic_drop_deg"].per_side
    assert b["L"] == pytest.approx(a["R"], abs=0.5) and b["R"] == pytest.approx(a["L"], abs=0.5)
