"""Exports read back with the libraries researchers use: ezc3d, kineticstoolkit, OpenSim, pandas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gait.export import WRITERS, angle_table, write_exports
from gait.export._angles import sagittal_series_deg
from gait.export._common import resample

ezc3d = pytest.importorskip("ezc3d")

FEET = {"L": "Left", "R": "Right"}


def _positions(analysis) -> np.ndarray:
    return analysis.cleaned["position"].transpose("time", "keypoint", "space").values.astype(float)


def test_unknown_format_is_refused_before_writing(analysis, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="known ones are c3d, trc, mot, cycles"):
        write_exports(analysis, tmp_path / "out", ["c3d", "bvh"])
    assert not (tmp_path / "out").exists()


def test_write_exports_writes_every_format_without_changing_the_analysis(
    analysis, tmp_path
) -> None:
    before = (
        analysis.cleaned.copy(deep=True),
        analysis.events.table.copy(),
        analysis.report.to_dict(),
    )
    paths = write_exports(
        analysis, tmp_path, ["CYCLES", "c3d", "trc", "mot", "c3d", "nwb", "bids"]
    )
    assert list(paths) == ["cycles", "c3d", "trc", "mot", "nwb", "bids"]
    assert set(paths) == set(WRITERS)
    files = {k: p for k, p in paths.items() if k != "bids"}  # bids is a dataset folder
    assert all(p.is_file() and p.stat().st_size > 1000 for p in files.values())
    assert paths["bids"].is_dir() and (paths["bids"] / "dataset_description.json").is_file()
    assert not list(tmp_path.glob("*.tmp*"))
    assert analysis.cleaned.identical(before[0])
    pd.testing.assert_frame_equal(analysis.events.table, before[1])
    assert analysis.report.to_dict() == before[2]


# --- C3D --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def c3d_path(analysis, tmp_path_factory) -> Path:
    return write_exports(analysis, tmp_path_factory.mktemp("c3d"), ["c3d"])["c3d"]


def test_c3d_points_are_the_landmarks_with_y_up_in_px(analysis, c3d_path) -> None:
    c3d = ezc3d.c3d(str(c3d_path))
    params = c3d["parameters"]["POINT"]
    assert params["UNITS"]["value"] == ["px"]
    assert params["RATE"]["value"][0] == pytest.approx(30.0)
    assert params["LABELS"]["value"] == list(map(str, analysis.cleaned["keypoint"].values))
    assert "y up" in params["COORDINATES"]["value"][0]
    pts = c3d["data"]["points"]  # (4, points, frames)
    pos = _positions(analysis)
    assert pts.shape == (4, pos.shape[1], pos.shape[0])
    height = analysis.cleaned.attrs["image_height_px"]
    np.testing.assert_allclose(pts[0].T, pos[..., 0], atol=1e-3)
    np.testing.assert_allclose(pts[1].T, height - pos[..., 1], atol=1e-3)
    assert np.nanmax(np.abs(pts[2])) == 0.0
    # missing landmarks stay missing and are flagged invalid
    missing = ~np.isfinite(pos).all(axis=-1)
    assert missing.any() and np.isnan(pts[0].T[missing]).all()
    assert (c3d["data"]["meta_points"]["residuals"][0].T[missing] < 0).all()
    # the heel is near the bottom of the image: with y up it is low, the nose high
    names = params["LABELS"]["value"]
    assert np.nanmedian(pts[1, names.index("left_heel")]) < np.nanmedian(
        pts[1, names.index("nose")]
    )


def test_c3d_events_are_foot_strikes_and_offs_at_their_times(analysis, c3d_path) -> None:
    event = ezc3d.c3d(str(c3d_path))["parameters"]["EVENT"]
    table = analysis.events.table.sort_values("time_s")
    assert event["USED"]["value"][0] == len(table) > 20
    times = event["TIMES"]["value"]
    assert times.shape == (2, len(table))
    seconds = times[0] * 60 + times[1]
    np.testing.assert_allclose(
        seconds, table["time_s"].to_numpy() - analysis.cleaned["time"].values[0], atol=1e-5
    )
    expected_labels = table["type"].map({"IC": "Foot Strike", "TO": "Foot Off"}).tolist()
    assert event["LABELS"]["value"] == expected_labels
    assert event["CONTEXTS"]["value"] == table["foot"].map(FEET).tolist()


def test_c3d_reads_in_kineticstoolkit_with_events_on_the_frames(analysis, c3d_path) -> None:
    ktk = pytest.importorskip("kineticstoolkit")
    with pytest.warns(UserWarning, match="px"):  # ktk knows only metric units and says so
        markers = ktk.read_c3d(str(c3d_path), include_event_context=True)["Points"]
    half_frame = 0.5 / analysis.cleaned.attrs["fps"]
    for foot, context in FEET.items():
        for kind, label in (("IC", "Foot Strike"), ("TO", "Foot Off")):
            got = sorted(e.time for e in markers.events if e.name == f"{context}:{label}")
            want = analysis.events.of(foot, kind)
            assert len(got) == len(want) > 5
            np.testing.assert_allclose(got, want, atol=half_frame)
    # an event's nearest sample is the frame the events table names
    ic = analysis.events.table.query("type == 'IC'").iloc[3]
    i = int(np.argmin(np.abs(markers.time - ic.time_s)))
    frame = int(analysis.cleaned["frame"].values[i])
    assert frame == int(ic.frame)
    heel = markers.data["left_heel"]
    assert heel.shape == (len(markers.time), 4)
    names = list(map(str, analysis.cleaned["keypoint"].values))
    want = _positions(analysis)[:, names.index("left_heel"), 0]
    np.testing.assert_allclose(heel[:, 0], want, atol=1e-3)


def test_c3d_in_metres_when_the_height_is_known(analysis_180cm, tmp_path) -> None:
    path = write_exports(analysis_180cm, tmp_path, ["c3d"])["c3d"]
    c3d = ezc3d.c3d(str(path))
    assert c3d["parameters"]["POINT"]["UNITS"]["value"] == ["m"]
    pts = c3d["data"]["points"]
    names = c3d["parameters"]["POINT"]["LABELS"]["value"]
    hip, ankle = pts[:3, names.index("left_hip")], pts[:3, names.index("left_ankle")]
    # hip to ankle (thigh + shank, bent) is a little under 0.491 x 1.80 m = 0.88 m
    assert 0.7 < np.nanmedian(np.linalg.norm(hip - ankle, axis=0)) < 0.9


# --- variable frame rate ----------------------------------------------------------------------


def test_variable_frame_rate_is_resampled_linearly(vfr_analysis) -> None:
    t = vfr_analysis.cleaned["time"].values
    rs = resample(vfr_analysis.cleaned)
    assert rs.resampled and rs.rate_hz == pytest.approx(30.0)
    np.testing.assert_allclose(np.diff(rs.time_s), 1 / 30, atol=1e-9)
    pos = _positions(vfr_analysis)
    kept = np.searchsorted(rs.time_s, t - 1e-6)  # the output rows at the kept frames
    np.testing.assert_allclose(rs.position_px[kept], pos, atol=1e-6, equal_nan=True)
    # a dropped frame: halfway between its neighbours
    gap = np.flatnonzero(np.diff(t) > 1.5 / 30)[0]
    np.testing.assert_allclose(
        rs.position_px[kept[gap] + 1], (pos[gap] + pos[gap + 1]) / 2, atol=1e-4
    )
    assert rs.source_time_s[kept[gap] + 1] in (t[gap], t[gap + 1])


def test_c3d_of_a_variable_frame_rate_track_is_constant_rate(vfr_analysis, tmp_path) -> None:
    c3d = ezc3d.c3d(str(write_exports(vfr_analysis, tmp_path, ["c3d"])["c3d"]))
    n = (
        round(
            (vfr_analysis.cleaned["time"].values[-1] - vfr_analysis.cleaned["time"].values[0]) * 30
        )
        + 1
    )
    assert c3d["data"]["points"].shape[2] == n > vfr_analysis.cleaned.sizes["time"]
    assert "resampled" in c3d["parameters"]["POINT"]["COORDINATES"]["value"][0]


# --- OpenSim TRC / MOT ------------------------------------------------------------------------

opensim_missing = "opensim not installed"


@pytest.fixture(scope="module")
def opensim_files(analysis, tmp_path_factory) -> dict[str, Path]:
    return write_exports(analysis, tmp_path_factory.mktemp("osim"), ["trc", "mot"])


def test_trc_reads_in_opensim(analysis, opensim_files) -> None:
    opensim = pytest.importorskip("opensim", reason=opensim_missing)
    table = opensim.TimeSeriesTableVec3(str(opensim_files["trc"]))  # via TRCFileAdapter
    pos = _positions(analysis)
    assert table.getNumRows() == pos.shape[0] and table.getNumColumns() == pos.shape[1]
    assert table.getTableMetaDataAsString("Units") == "px"
    assert float(table.getTableMetaDataAsString("DataRate")) == 30.0
    names = list(table.getColumnLabels())
    assert names == list(map(str, analysis.cleaned["keypoint"].values))
    np.testing.assert_allclose(
        np.array(table.getIndependentColumn()), analysis.cleaned["time"].values, atol=1e-6
    )
    col = table.getDependentColumn("right_knee")
    got = np.array([[col[i][j] for j in range(3)] for i in range(col.size())])
    want = pos[:, names.index("right_knee")]
    height = analysis.cleaned.attrs["image_height_px"]
    np.testing.assert_allclose(got[:, 0], want[:, 0], atol=1e-4, equal_nan=True)
    np.testing.assert_allclose(got[:, 1], height - want[:, 1], atol=1e-4, equal_nan=True)
    assert np.isnan(want[:, 0]).any() == np.isnan(got[:, 0]).any()


def test_trc_header_is_as_pose2sim_writes_it(opensim_files) -> None:
    lines = opensim_files["trc"].read_text().split("\n")
    assert lines[0].split("\t")[:3] == ["PathFileType", "4", "(X/Y/Z)"]
    keys, values = lines[1].split("\t"), lines[2].split("\t")
    assert keys == [
        "DataRate",
        "CameraRate",
        "NumFrames",
        "NumMarkers",
        "Units",
        "OrigDataRate",
        "OrigDataStartFrame",
        "OrigNumFrames",
    ]
    assert dict(zip(keys, values, strict=True))["NumMarkers"] == "33"
    names, axes = lines[3].split("\t"), lines[4].split("\t")
    assert names[:3] == ["Frame#", "Time", "nose"] and names[5] == "left_eye_inner"
    assert axes[2:5] == ["X1", "Y1", "Z1"] and len(axes) == 2 + 3 * 33 and lines[5] == ""
    data = pd.read_csv(opensim_files["trc"], sep="\t", skiprows=6, header=None)
    assert data.shape == (360, 2 + 3 * 33) and data[0].tolist() == list(range(1, 361))


def test_mot_reads_in_opensim_with_the_kinematics(analysis, opensim_files) -> None:
    opensim = pytest.importorskip("opensim", reason=opensim_missing)
    table = opensim.TimeSeriesTable(str(opensim_files["mot"]))  # via STOFileAdapter
    assert table.getTableMetaDataAsString("inDegrees") == "yes"
    labels = list(table.getColumnLabels())
    assert {
        "knee_flexion_l",
        "knee_flexion_r",
        "thigh_angle_l",
        "shank_angle_r",
        "foot_angle_l",
        "trunk_lean",
        "source_time_s",
    } <= set(labels)
    knee = table.getDependentColumn("knee_flexion_r").to_numpy()
    series = sagittal_series_deg(analysis.cleaned, analysis.events)
    np.testing.assert_allclose(knee, series["knee_flexion_R"], atol=1e-4, equal_nan=True)
    # at initial contact the knee flexion is the steps table's (interpolated between the frames)
    t = np.array(table.getIndependentColumn())
    steps = analysis.metrics.steps.query("foot == 'R'")
    at_ic = np.interp(steps["ic_time_s"], t, knee)
    ok = np.isfinite(at_ic) & np.isfinite(steps["knee_flexion_ic_deg"])
    assert ok.sum() > 10
    np.testing.assert_allclose(at_ic[ok], steps["knee_flexion_ic_deg"][ok], atol=3.0)
    assert 0 < np.nanmedian(table.getDependentColumn("trunk_lean").to_numpy()) < 20


def test_mot_of_a_variable_frame_rate_track_keeps_the_original_times(
    vfr_analysis, tmp_path
) -> None:
    path = write_exports(vfr_analysis, tmp_path, ["mot"])["mot"]
    head = path.read_text().split("endheader\n")[0]
    assert "inDegrees=yes" in head and "nRows=360" in head
    data = pd.read_csv(path, sep="\t", skiprows=head.count("\n") + 1)
    np.testing.assert_allclose(np.diff(data["time"]), 1 / 30, atol=1e-5)
    assert set(data["source_time_s"].round(6)) <= set(vfr_analysis.cleaned["time"].values.round(6))
    assert len(data) == len(angle_table(vfr_analysis))


# --- cycles.parquet ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cycles(analysis, tmp_path_factory) -> pd.DataFrame:
    return pd.read_parquet(
        write_exports(analysis, tmp_path_factory.mktemp("cyc"), ["cycles"])["cycles"]
    )


def test_cycles_have_101_points_per_cycle_and_every_variable(cycles) -> None:
    assert set(cycles["variable"]) == {
        "knee_flexion_deg",
        "foot_angle_deg",
        "shank_angle_deg",
        "thigh_angle_deg",
        "trunk_lean_deg",
    }
    sizes = cycles.groupby(["side", "step", "variable"]).size()
    assert len(sizes) > 100 and (sizes == 101).all()
    per_cycle = cycles.groupby(["side", "step", "variable"])["percent"]
    assert (per_cycle.min() == 0).all() and (per_cycle.max() == 100).all()
    assert (cycles["step"] >= 0).all() and set(cycles["side"]) == {"L", "R"}


def test_cycles_are_the_report_curves(analysis, cycles) -> None:
    from gait.report._curves import cycle_summary

    summary = cycle_summary(analysis.cleaned, analysis.events.table, analysis.report.direction)
    for foot in ("L", "R"):
        for variable in ("knee_flexion", "foot_angle"):
            sel = cycles[(cycles["side"] == foot) & (cycles["variable"] == f"{variable}_deg")]
            mean = sel.groupby("percent")["value"].mean().to_numpy()
            np.testing.assert_allclose(mean, summary[f"{variable}_{foot}"]["mean"], atol=1e-9)
            assert sel["step"].nunique() == int(summary[f"{variable}_{foot}"]["n"])


def test_cycles_start_at_the_kinematics_of_initial_contact(analysis, cycles) -> None:
    """0 % is the value at the IC instant (interpolated between the frames around it), as in the steps table.

    Within 1 deg, against up to 13 deg of change over one frame at 30 fps.
    """
    steps = analysis.metrics.steps.set_index("step")
    series = sagittal_series_deg(analysis.cleaned, analysis.events)
    t = analysis.cleaned["time"].values
    start = cycles[cycles["percent"] == 0]
    checked = 0
    for variable, column in (
        ("knee_flexion", "knee_flexion_ic_deg"),
        ("shank_angle", "shank_angle_ic_deg"),
    ):
        rows = start[start["variable"] == f"{variable}_deg"]
        for r in rows.itertuples():
            want = steps.loc[r.step, column]
            assert steps.loc[r.step, "foot"] == r.side
            assert steps.loc[r.step, "ic_time_s"] == pytest.approx(r.ic_time_s)
            i = np.searchsorted(t, r.ic_time_s)
            s = series[f"{variable}_{r.side}"]
            if not np.isfinite(want) or not np.isfinite(s[i - 1 : i + 1]).all():
                continue
            assert abs(r.value - want) <= 1.0, (variable, r.step, r.value, want)
            checked += 1
    assert checked > 40
