"""The BIDS-motion export read back with pybids, the BIDS file-name validator and pandas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gait.export import bids_label, write_bids_motion, write_exports
from gait.export._common import resample

bids = pytest.importorskip("bids")

STEM = "sub-S01_ses-pre_task-running_tracksys-mediapipe_run-1"


@pytest.fixture(scope="module")
def dataset(analysis, vfr_analysis, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bids") / "ds"
    write_bids_motion(
        root,
        [
            (analysis, "S-01", "pre", 1),
            (analysis, "02", "pre", None),
            (vfr_analysis, "02", "post", "2"),
        ],
    )
    return root


def _motion(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", header=None, na_values="n/a")


def test_pybids_finds_every_recording_by_its_entities(dataset) -> None:
    layout = bids.BIDSLayout(dataset, validate=False)
    assert sorted(layout.get_subjects()) == ["02", "S01"]
    assert sorted(layout.get_sessions()) == ["post", "pre"]
    files = layout.get(suffix="motion", extension=".tsv")
    assert len(files) == 3
    assert {f.entities["tracksys"] for f in files} == {"mediapipe"}
    assert {f.entities["task"] for f in files} == {"running"}
    got = layout.get(subject="02", session="post", suffix="motion", extension=".tsv")
    assert len(got) == 1 and got[0].entities["run"] == 2 and got[0].entities["datatype"] == "motion"
    assert len(layout.get(subject="02", suffix="channels", extension=".tsv")) == 2
    assert len(layout.get(suffix="events", extension=".tsv")) == 3
    description = layout.get_dataset_description()
    assert description["DatasetType"] == "raw" and description["BIDSVersion"].startswith("1.")
    assert description["GeneratedBy"][0]["Name"] == "gait"
    participants = pd.read_csv(dataset / "participants.tsv", sep="\t")
    assert participants["participant_id"].tolist() == ["sub-02", "sub-S01"]


def test_motion_sidecar_has_what_the_specification_requires(analysis, dataset) -> None:
    layout = bids.BIDSLayout(dataset, validate=False)
    (motion,) = layout.get(subject="S01", suffix="motion", extension=".tsv")
    meta = layout.get_metadata(motion.path)
    assert meta["TaskName"] == "running"
    assert meta["SamplingFrequency"] == pytest.approx(30.0)
    assert meta["SamplingFrequencyEffective"] == pytest.approx(30.0)
    assert meta["RecordingDuration"] == pytest.approx(12.0)
    assert meta["POSChannelCount"] == 66 and meta["MISCChannelCount"] == 33
    assert meta["MotionChannelCount"] == 99 and meta["TrackedPointsCount"] == 33
    assert analysis.cleaned.attrs["model_sha256"] in meta["ManufacturersModelName"]
    assert "MediaPipe" in meta["TrackingSystemName"]


def test_motion_samples_are_the_landmarks_in_px_with_y_up(analysis, dataset) -> None:
    folder = dataset / "sub-S01" / "ses-pre" / "motion"
    data = _motion(folder / f"{STEM}_motion.tsv")
    channels = pd.read_csv(folder / f"{STEM}_channels.tsv", sep="\t", keep_default_na=False)
    assert list(channels.columns[:5]) == ["name", "component", "type", "tracked_point", "units"]
    assert data.shape == (analysis.cleaned.sizes["time"], len(channels)) == (360, 99)
    pos = analysis.cleaned["position"].transpose("time", "keypoint", "space").values.astype(float)
    conf = analysis.cleaned["confidence"].values.astype(float)
    names = list(map(str, analysis.cleaned["keypoint"].values))
    height = analysis.cleaned.attrs["image_height_px"]
    i = names.index("left_ankle")
    x = channels.index[channels["name"] == "left_ankle_x"][0]
    y = channels.index[channels["name"] == "left_ankle_y"][0]
    v = channels.index[channels["name"] == "left_ankle_visibility"][0]
    assert channels.loc[[x, y], "component"].tolist() == ["x", "y"]
    assert set(channels.loc[channels["type"] == "POS", "units"]) == {"px"}
    assert channels.loc[v, "type"] == "MISC" and channels.loc[v, "component"] == "n/a"
    np.testing.assert_allclose(data[x], pos[:, i, 0], atol=1e-4)
    np.testing.assert_allclose(data[y], height - pos[:, i, 1], atol=1e-4)
    np.testing.assert_allclose(data[v], conf[:, i], atol=1e-6)
    missing = np.isnan(pos[..., 0])
    assert missing.any() and data.iloc[:, : 2 * len(names) : 2].isna().to_numpy()[missing].all()
    levels = json.loads((folder / f"{STEM}_channels.json").read_text())
    assert levels["reference_frame"]["Levels"]["image"]["SpatialAxes"] == "RS_"


def test_events_are_foot_strikes_and_offs_on_their_samples(analysis, dataset) -> None:
    events = pd.read_csv(dataset / "sub-S01/ses-pre/motion" / f"{STEM}_events.tsv", sep="\t")
    table = analysis.events.table.sort_values("time_s")
    assert list(events.columns[:2]) == ["onset", "duration"] and len(events) == len(table) > 20
    np.testing.assert_allclose(events["onset"], table["time_s"], atol=1e-6)
    assert (events["duration"] == 0).all()
    kinds = {"IC": "foot strike", "TO": "foot off"}
    feet = {"L": "left", "R": "right"}
    want = [f"{kinds[t]} {feet[f]}" for t, f in zip(table["type"], table["foot"], strict=True)]
    assert events["trial_type"].tolist() == want
    assert events["sample"].tolist() == table["frame"].tolist()  # constant rate: row = frame


def test_a_variable_frame_rate_track_is_resampled_to_the_nominal_rate(vfr_analysis, dataset):
    folder = dataset / "sub-02" / "ses-post" / "motion"
    stem = "sub-02_ses-post_task-running_tracksys-mediapipe_run-2"
    meta = json.loads((folder / f"{stem}_motion.json").read_text())
    t = vfr_analysis.cleaned["time"].values
    assert meta["SamplingFrequency"] == pytest.approx(30.0)
    assert meta["SamplingFrequencyEffective"] == pytest.approx((len(t) - 1) / (t[-1] - t[0]))
    assert meta["SamplingFrequencyEffective"] < 25
    data = _motion(folder / f"{stem}_motion.tsv")
    rs = resample(vfr_analysis.cleaned)
    assert rs.resampled and len(data) == len(rs.time_s) > len(t)
    np.testing.assert_allclose(data[0], rs.position_px[:, 0, 0], atol=1e-4)


def test_file_names_pass_the_bids_validator(dataset) -> None:
    validator = pytest.importorskip("bids_validator").BIDSValidator()
    files = sorted(p for p in dataset.rglob("*") if p.is_file())
    assert len(files) == 4 + 3 * 6
    bad = [p for p in files if not validator.is_bids("/" + p.relative_to(dataset).as_posix())]
    assert bad == []


def test_bad_rows_are_refused_before_writing(analysis, tmp_path) -> None:
    with pytest.raises(ValueError, match="both be"):
        write_bids_motion(tmp_path / "a", [(analysis, "01", None, 1), (analysis, "0-1", None, 1)])
    with pytest.raises(ValueError, match="non-negative integer"):
        write_bids_motion(tmp_path / "b", [(analysis, "01", None, "first")])
    with pytest.raises(ValueError, match="with and without a session"):
        write_bids_motion(tmp_path / "c", [(analysis, "01", None, 1), (analysis, "01", "x", 1)])
    with pytest.raises(ValueError, match="no letter or digit"):
        bids_label("--")
    assert not any((tmp_path / d).exists() for d in "abc")


def test_the_bids_format_writes_a_one_subject_dataset(analysis, tmp_path) -> None:
    root = write_exports(analysis, tmp_path, ["bids"])["bids"]
    layout = bids.BIDSLayout(root, validate=False)
    assert layout.get_subjects() == ["01"]
    (motion,) = layout.get(suffix="motion", extension=".tsv")
    assert _motion(Path(motion.path)).shape == (360, 99)
