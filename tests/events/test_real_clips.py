"""Event detection on real clips: perturbed copies of the sample clip, and two overground clips.

Perturbations (tests/data/perturb/, made by ``tests/benchmarks/make_perturbations.py``; the manifest
says how each variant's time maps to the sample's): resampled to 25 and 24 fps, cut at 0.5, 1.3 and
2.7 s, a 3.5 s cut, scaled to 1/2 and 1/4, mirrored, re-encoded at crf 40, and concatenated with
itself; plus the rotation-metadata twin and the sample track itself (identity mapping). The
detector must not care: for every case, run as the CLI does (load, clean, detect, metrics),

- the clip is running;
- its cadence is within 1 spm of the hand annotation's over the same stretch of running (168.75 spm
  over the whole clip; the annotated ICs inside the variant's span otherwise; for the concatenated
  clip both copies, including the seam's short step) and within 1 spm of the cadence of the
  original track's detected ICs over that stretch;
- at least 90 % of the ICs detected on the original track that lie more than half a stride inside
  the variant's span have a same-foot IC in the variant within one frame period of the variant
  (times mapped through the manifest's offset and period). In the mirrored clip the feet are
  exchanged: a mirrored side view is the picture of a runner seen from his other side, running
  the other way, and MediaPipe labels it so (its near leg becomes "right"); no landmark-based
  detector can tell the two apart, so the report says ``side_right`` and the timing is compared
  with the feet exchanged;
- no more than one IC per 10 s of clip without a same-foot counterpart among the original's ICs
  (within a quarter stride).

The overground clips (GPL-3.0, read from ../shared and never copied into the project: their tracks
are made in a temporary folder by running the model) are a 2.9 s side pass-by (5 annotated ICs,
167.4 spm, rearfoot) and a 3.4 s rear view (7 ICs, 186.2 spm): cadence within the annotation's
uncertainty, at least 80 % of the annotated ICs within one frame, and the pass-by's rearfoot strike.
The stages are called directly, so the pipeline's shortest-clip check (2 s of runner in view) does
not apply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gait.events import GaitEvents, cadence_spm, detect_events
from gait.metrics import GaitMetrics, compute_metrics
from gait.track import PoseTrack, clean_track, load_track, save_track
from gait.validate import match_events
from tests.conftest import SAMPLE_TRACK, TEST_DATA, shared_clip

from .conftest import ROT90

PERTURB = TEST_DATA / "perturb"
MANIFEST = json.loads((PERTURB / "manifest.json").read_text())
ANNOTATED_CADENCE_SPM = 168.75  # the sample's hand annotation: 34 ICs, frames 4-356 at 30 fps
TOL_SPM = 1.0


@dataclass(frozen=True)
class Case:
    """A track of the sample clip's running and how its time maps to the sample's.

    Variant time ``t`` shows the sample at ``offset_s + (t mod period_s)`` (``offset_s + t`` when
    ``period_s`` is None).
    """

    name: str
    track: Path
    fps: float
    offset_s: float = 0.0
    period_s: float | None = None
    mirrored: bool = False

    def foot(self, foot: str) -> str:
        """The variant's label of the original's ``foot`` (exchanged in a mirrored picture)."""
        return {"L": "R", "R": "L"}[foot] if self.mirrored else foot


CASES = [
    Case(
        e["name"],
        PERTURB / e["track"],
        float(e["fps"]),
        float(e["offset_s"]),
        e["period_s"],
        e["transformation"] == "mirror",
    )
    for e in MANIFEST["variants"]
] + [Case("original", SAMPLE_TRACK, 30.0), Case("rot90meta", ROT90, 30.0)]


@dataclass(frozen=True)
class Result:
    track: PoseTrack
    events: GaitEvents
    metrics: GaitMetrics

    @property
    def span_s(self) -> tuple[float, float]:
        t = self.track["time"].values
        return float(t[0]), float(t[-1])

    @property
    def duration_s(self) -> float:
        return self.track.sizes["time"] / float(self.track.attrs["fps"])

    def ics(self, foot: str | None = None) -> pd.DataFrame:
        t = self.events.table
        sel = t["type"] == "IC"
        if foot is not None:
            sel &= t["foot"] == foot
        return t[sel].sort_values("time_s")


@cache
def analyse(path: Path) -> Result:
    """Clean, detect, metrics: what ``gait analyze`` does with a track file (minus flags/report)."""
    raw = load_track(path)
    cleaned = clean_track(raw)
    events = detect_events(cleaned)
    return Result(cleaned, events, compute_metrics(cleaned, events))


def to_variant(
    case: Case, source_t: np.ndarray, span: tuple[float, float], margin: float = 0.0
) -> np.ndarray:
    """Sample times seen in the variant, as variant times within ``span`` +- ``margin``, sorted.

    Every copy of a periodic variant.
    """
    source_t = np.asarray(source_t, float)
    copies = 1 if case.period_s is None else int(np.ceil((span[1] + margin) / case.period_s)) + 1
    period = case.period_s or 0.0
    shifted = np.concatenate([source_t - case.offset_s + k * period for k in range(copies)])
    keep = (shifted >= span[0] - margin) & (shifted <= span[1] + margin)
    return np.sort(shifted[keep])


def annotated_ic_s(track: PoseTrack, annotation: pd.DataFrame) -> pd.DataFrame:
    """The annotation's ICs with their time in ``track`` (frame = 0-based decode index)."""
    ic = annotation[annotation["event"] == "IC"].copy()
    ic["t"] = track["time"].values[ic["frame"].to_numpy()]
    return ic


@pytest.fixture(scope="module")
def original() -> Result:
    return analyse(SAMPLE_TRACK)


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def case(request: pytest.FixtureRequest) -> tuple[Case, Result]:
    c = request.param
    return c, analyse(c.track)


def test_running(case) -> None:
    c, res = case
    assert res.events.running, f"{c.name}: not running ({[n.code for n in res.events.quality]})"


def test_cadence_matches_annotation(case, original, annotation) -> None:
    c, res = case
    ann = annotated_ic_s(original.track, annotation)
    t = to_variant(c, ann["t"].to_numpy(), res.span_s)
    expected = 60.0 * (len(t) - 1) / (t[-1] - t[0])
    got = res.metrics.value("cadence_spm")
    assert got is not None and abs(got - expected) < TOL_SPM, (
        f"{c.name}: cadence {got} spm, annotation {expected:.2f} spm over the same span "
        f"({len(t)} ICs; whole clip {ANNOTATED_CADENCE_SPM})"
    )


def test_cadence_matches_original_detections(case, original) -> None:
    c, res = case
    rows = []
    for foot in ("L", "R"):
        for t in to_variant(c, original.ics(foot)["time_s"].to_numpy(), res.span_s):
            rows.append((t, foot))
    t, feet = (np.array(x) for x in zip(*sorted(rows), strict=True))
    expected = cadence_spm(t, feet, original.events.stride_time_s)
    got = res.metrics.value("cadence_spm")
    assert got is not None and abs(got - expected) < TOL_SPM, (
        f"{c.name}: cadence {got} spm, original track's ICs {expected:.2f} spm over the same span "
        f"(original's whole-clip cadence {original.metrics.value('cadence_spm'):.2f})"
    )


def test_same_contacts_within_one_frame(case, original) -> None:
    c, res = case
    half_stride = 0.5 * float(original.events.stride_time_s)
    t0, t1 = res.span_s
    tol = 1.0 / c.fps + 1e-6
    n_ref = n_hit = n_swapped = 0
    misses = []
    for foot, other in (("L", "R"), ("R", "L")):
        inner = (t0 + half_stride, t1 - half_stride)
        ref = to_variant(c, original.ics(foot)["time_s"].to_numpy(), inner)
        got = res.ics(c.foot(foot))["time_s"].to_numpy()
        pairs = match_events(ref, got, tol)
        n_ref += len(ref)
        n_hit += int((pairs >= 0).sum())
        wrong = res.ics(c.foot(other))["time_s"].to_numpy()
        n_swapped += int((match_events(ref, wrong, tol) >= 0).sum())
        for t in ref[pairs < 0]:
            near = f"{1000 * (got[np.argmin(np.abs(got - t))] - t):+.0f} ms" if len(got) else "none"
            misses.append(f"{foot}@{t:.2f}s:{near}")
    assert n_ref > 0
    share = n_hit / n_ref
    assert share >= 0.9, (
        f"{c.name}: {n_hit}/{n_ref} ({share:.0%}) of the original's ICs have a same-foot IC within "
        f"1 frame ({1000 * (tol - 1e-6):.0f} ms) [with the feet swapped: {n_swapped}/{n_ref}]; "
        f"misses (nearest same-foot IC): {', '.join(misses)}"
    )


def test_no_extra_contacts(case, original) -> None:
    c, res = case
    quarter_stride = 0.25 * float(original.events.stride_time_s)
    extras = []
    for foot in ("L", "R"):
        ref = to_variant(
            c, original.ics(foot)["time_s"].to_numpy(), res.span_s, margin=quarter_stride
        )
        got = res.ics(c.foot(foot))["time_s"].to_numpy()
        pairs = match_events(got, ref, quarter_stride)
        extras += [f"{foot}@{t:.2f}s" for t in got[pairs < 0]]
    allowed = res.duration_s / 10.0
    assert len(extras) <= allowed, (
        f"{c.name}: {len(extras)} ICs without a counterpart in the original (allowed {allowed:.1f} "
        f"in {res.duration_s:.1f} s): {', '.join(extras)}"
    )


# --- overground clips from ../shared (GPL-3.0: used in place, never copied) -----------------

OVERGROUND = {
    "side_passby": "side_overground_passby_30fps_openpose_overlay",
    "rear": "rear_overground_30fps_openpose_overlay",
}


@pytest.fixture(scope="module", params=list(OVERGROUND), ids=list(OVERGROUND))
def overground(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(name, annotation, result) of a shared overground clip, its track made by the model now."""
    from gait.pose import PoseParams, estimate_pose

    stem = OVERGROUND[request.param]
    clip = shared_clip(f"{stem}.mp4")
    path = tmp_path_factory.mktemp("overground") / f"{stem}.track.nc"
    # = gait pose CLIP -o path --workers 1
    save_track(estimate_pose(clip, PoseParams(workers=1)), path)
    annotation = pd.read_csv(clip.with_name(f"{stem}.events.csv"))
    return request.param, annotation, analyse(path)


#: What the recordings issue has still to build for these clips: known failures. The pass-by's
#: annotated ICs are 3-5 frames before the shoe stops on the path in the pixels (at each annotated
#: frame the heel still moves at 2-3 x the pelvis's speed, in late swing: tests/benchmarks/README.md,
#: "The pass-by's annotation"), so no contact detector meets them within 1 frame; its right foot's
#: strike reads midfoot (annotated rearfoot). The rear view: the runner shrinks from 650 to 150 px; contacts are
#: found but mistimed, and refused as they disagree with the pelvis's rhythm.
OVERGROUND_TODO = pytest.mark.xfail(
    reason="recordings issue: pass-by annotated ICs 3-5 frames before the shoe stops (detected ICs +2..+5 "
    "frames from them), R strike midfoot; rear overground: 7 contacts, 0/7 within 1 frame, their 137 spm "
    "disagree with the pelvis's 165 (vs 186 by hand), so refused with the rhythm's cadence (heel y of a "
    "small runner from a ground camera)",
    strict=True,
)


@pytest.mark.model
@pytest.mark.parametrize(
    "overground",
    [
        pytest.param("side_passby", id="side_passby"),
        pytest.param("rear", id="rear", marks=OVERGROUND_TODO),
    ],
    indirect=True,
)
def test_overground_cadence_within_annotation_uncertainty(overground) -> None:
    name, annotation, res = overground
    ann = annotated_ic_s(res.track, annotation).sort_values("t")
    span = float(ann["t"].iloc[-1] - ann["t"].iloc[0])
    expected = 60.0 * (len(ann) - 1) / span
    # the span's ends are each uncertain by their +- frames: the annotation's cadence bound
    fps = float(res.track.attrs["fps"])
    ends_frames = ann["uncertainty_frames"].iloc[0] + ann["uncertainty_frames"].iloc[-1]
    unc = expected * ends_frames / fps / span
    got = res.metrics.value("cadence_spm")
    assert got is not None and abs(got - expected) <= unc, (
        f"{name}: cadence {got} spm, annotation {expected:.1f} +- {unc:.1f} spm "
        f"(running {res.events.running}, view {res.events.view}, "
        f"{len(res.ics())} ICs detected; notes {[n.code for n in res.events.quality]})"
    )


@pytest.mark.model
@OVERGROUND_TODO
def test_overground_ics_within_one_frame(overground) -> None:
    name, annotation, res = overground
    ann = annotated_ic_s(res.track, annotation)
    tol = 1.0 / float(res.track.attrs["fps"]) + 1e-6
    hits = 0
    detail = []
    for foot in ("L", "R"):
        ref = ann.loc[ann["foot"] == foot, "t"].to_numpy()
        got = res.ics(foot)["time_s"].to_numpy()
        pairs = match_events(ref, got, tol)
        hits += int((pairs >= 0).sum())
        for t in ref:
            near = f"{1000 * (got[np.argmin(np.abs(got - t))] - t):+.0f} ms" if len(got) else "none"
            detail.append(f"{foot}@{t:.2f}s:{near}")
    share = hits / len(ann)
    assert share >= 0.8, (
        f"{name}: {hits}/{len(ann)} ({share:.0%}) annotated ICs have a same-foot IC within "
        "1 frame; "
        f"nearest per annotated IC: {', '.join(detail)} (running {res.events.running}, "
        f"view {res.events.view})"
    )


@pytest.mark.model
@OVERGROUND_TODO
@pytest.mark.parametrize("overground", ["side_passby"], indirect=True)
def test_passby_strike_is_rearfoot(overground) -> None:
    name, _, res = overground
    patterns = {f: s.pattern for f, s in res.metrics.foot_strike.items()}
    angles = {f: s.angle_deg for f, s in res.metrics.foot_strike.items()}
    assert patterns == {"L": "rearfoot", "R": "rearfoot"}, (
        f"{name}: foot strike {patterns}, angles {angles} deg; annotated rearfoot on both feet "
        f"(running {res.events.running})"
    )
