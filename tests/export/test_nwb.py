"""The NWB export read back with pynwb (and ndx-pose).

movement's NWB loader reads it in tests/test_movement_interop.py, in movement's own venv (movement
cannot share this one: it replaces mediapipe's OpenCV).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from gait.export import write_exports, write_nwb
from gait.export._nwb import REFERENCE_FRAME
from gait.skeleton import EDGES, KEYPOINTS

pynwb = pytest.importorskip("pynwb")
ndx_pose = pytest.importorskip("ndx_pose")


def _arrays(track) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    pos = track["position"].transpose("time", "keypoint", "space").values.astype(float)
    conf = track["confidence"].transpose("time", "keypoint").values.astype(float)
    return pos, conf, track["time"].values.astype(float), list(map(str, track["keypoint"].values))


@pytest.fixture(scope="module")
def nwb_path(analysis, tmp_path_factory) -> Path:
    return write_exports(analysis, tmp_path_factory.mktemp("nwb"), ["nwb"])["nwb"]


def test_nwb_is_valid_and_written_without_changing_the_analysis(analysis, tmp_path) -> None:
    before = (analysis.cleaned.copy(deep=True), analysis.track.copy(deep=True))
    report = analysis.report.to_dict()
    path = write_nwb(analysis, tmp_path / "pose.nwb")
    assert path.name == "pose.nwb" and not list(tmp_path.glob("*.tmp*"))
    assert analysis.cleaned.identical(before[0]) and analysis.track.identical(before[1])
    assert analysis.report.to_dict() == report
    errors = pynwb.validate(path=str(path))
    errors = errors[0] if isinstance(errors, tuple) else errors
    assert list(errors) == []


@pytest.mark.parametrize(
    ("key", "which"), [("PoseEstimation", "cleaned"), ("PoseEstimationRaw", "track")]
)
def test_nwb_series_are_the_tracks_in_image_pixels_at_their_frame_times(
    analysis, nwb_path, key, which
) -> None:
    pos, conf, time_s, names = _arrays(getattr(analysis, which))
    with pynwb.NWBHDF5IO(str(nwb_path), mode="r") as io:
        nwb = io.read()
        pe = nwb.processing["behavior"][key]
        assert sorted(pe.pose_estimation_series) == sorted(names) and len(names) == 33
        for i, name in enumerate(names):
            series = pe.pose_estimation_series[name]
            np.testing.assert_array_equal(series.data[:], pos[:, i])  # y down, not flipped
            np.testing.assert_array_equal(series.confidence[:], conf[:, i])
            np.testing.assert_array_equal(series.timestamps[:], time_s)
            assert series.unit == "pixels" and series.reference_frame == REFERENCE_FRAME
        assert "y down" in REFERENCE_FRAME and "top-left" in REFERENCE_FRAME
        # missing landmarks stay missing (the cleaned track masks low-visibility ones)
        if which == "cleaned":
            assert np.isnan(pe.pose_estimation_series["left_heel"].data[:]).any()


def test_nwb_provenance_skeleton_and_video(analysis, nwb_path) -> None:
    attrs = analysis.cleaned.attrs
    with pynwb.NWBHDF5IO(str(nwb_path), mode="r") as io:
        nwb = io.read()
        pe = nwb.processing["behavior"]["PoseEstimation"]
        assert pe.source_software == "MediaPipe BlazePose GHUM"
        assert attrs["model_name"] in pe.source_software_version
        assert attrs["model_sha256"] in pe.source_software_version
        assert f"gait {attrs['gait_version']}" in pe.scorer
        assert "mask_low_confidence" in pe.description  # the cleaning steps
        assert (
            "before gait's cleaning" in nwb.processing["behavior"]["PoseEstimationRaw"].description
        )
        assert attrs["source_sha256"] in nwb.notes
        assert nwb.identifier == f"gait-{attrs['source_sha256'][:16]}"
        assert [list(g) for g in nwb.was_generated_by] == [["gait", attrs["gait_version"]]]
        skeleton = nwb.processing["behavior"]["Skeletons"]["blazepose"]
        assert pe.skeleton is skeleton
        assert list(skeleton.nodes[:]) == list(KEYPOINTS)
        edges = {(KEYPOINTS[a], KEYPOINTS[b]) for a, b in skeleton.edges[:]}
        assert edges == set(EDGES) and ("left_knee", "left_ankle") in edges
        video = pe.source_video
        assert list(video.dimension[:]) == [attrs["image_width_px"], attrs["image_height_px"]]
        assert list(video.external_file[:]) == [analysis.report.clip.path]
        assert nwb.subject.subject_id == "runner" and nwb.subject.species == "Homo sapiens"


def test_nwb_events_are_the_foot_strikes_and_offs(analysis, nwb_path) -> None:
    table = analysis.events.table
    with pynwb.NWBHDF5IO(str(nwb_path), mode="r") as io:
        nwb = io.read()
        for kind, name in (("IC", "foot_strikes"), ("TO", "foot_offs")):
            got = nwb.events[name].to_dataframe().reset_index(drop=True)
            want = table[table["type"] == kind].sort_values("time_s").reset_index(drop=True)
            assert len(got) == len(want) > 10
            np.testing.assert_allclose(got["timestamp"], want["time_s"])
            assert got["foot"].tolist() == want["foot"].map({"L": "left", "R": "right"}).tolist()
            assert got["frame"].tolist() == want["frame"].tolist()
            np.testing.assert_allclose(got["confidence"], want["confidence"])


def test_nwb_keeps_the_true_times_of_a_variable_frame_rate_track(vfr_both_analysis, tmp_path):
    path = write_nwb(vfr_both_analysis, tmp_path / "pose.nwb")
    pos, _conf, time_s, names = _arrays(vfr_both_analysis.cleaned)
    assert not np.allclose(np.diff(time_s), np.diff(time_s)[0])  # really uneven
    with pynwb.NWBHDF5IO(str(path), mode="r") as io:
        pe = io.read().processing["behavior"]["PoseEstimation"]
        series = pe.pose_estimation_series["right_knee"]
        np.testing.assert_array_equal(series.timestamps[:], time_s)
        np.testing.assert_array_equal(series.data[:], pos[:, names.index("right_knee")])


def test_nwb_session_labels_and_start_time(analysis, tmp_path) -> None:
    start = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    path = write_nwb(
        analysis, tmp_path / "p.nwb", subject_id="S01", session_id="pre", session_start_time=start
    )
    with pynwb.NWBHDF5IO(str(path), mode="r") as io:
        nwb = io.read()
        assert nwb.subject.subject_id == "S01" and nwb.session_id == "pre"
        assert nwb.session_start_time == start
