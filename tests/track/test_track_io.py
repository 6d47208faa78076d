"""save_track / load_track: NetCDF and CSV round trips, foreign CSVs, and error messages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gait.errors import InvalidTrackError
from gait.skeleton import KEYPOINTS
from gait.track import clean_track, from_numpy, load_track, save_track
from tests.synth_runner import KP, make_swinging_runner


def _rich_track() -> xr.Dataset:
    """A runner with NaNs, duplicates, world landmarks, provenance attrs and cleaning variables."""
    base = make_swinging_runner(fps=30.0, duration_s=1.0, noise_px=1.0, seed=2)
    n = base.sizes["time"]
    pos = base["position"].values.copy()
    pos[5:9, KP["right_heel"]] = np.nan
    pos[20] = np.nan
    conf = base["confidence"].values.copy()
    conf[20] = np.nan
    world = np.random.default_rng(0).normal(size=(n, len(KEYPOINTS), 3))
    duplicate = np.zeros(n, dtype=bool)
    duplicate[[3, 4, 17]] = True
    track = from_numpy(
        pos,
        conf,
        base["time"].values,
        image_size_px=(1280, 720),
        frame=np.arange(n) + 10,
        position_world_m=world,
        duplicate=duplicate,
        rotation_deg=90,
        slowmo_factor=4.0,
        source_path="clips/run ü.mov",
        person_selection=json.dumps({"method": "largest", "n_people": 2}),
    )
    return clean_track(track)


def test_nc_round_trip_is_identical(tmp_path: Path) -> None:
    track = _rich_track()
    assert {"interpolated", "swapped", "position_world"} <= set(track.data_vars)
    path = save_track(track, tmp_path / "run.nc")
    loaded = load_track(path)
    xr.testing.assert_identical(loaded, track)
    assert loaded["keypoint"].values.tolist() == list(KEYPOINTS)
    assert loaded["frame"].dtype == np.int64
    assert loaded["detected"].dtype == bool and loaded["duplicate"].dtype == bool
    assert type(loaded.attrs["image_width_px"]) is int
    assert type(loaded.attrs["fps"]) is float


def test_nc_float_arrays_are_compressed(tmp_path: Path) -> None:
    path = save_track(make_swinging_runner(duration_s=1.0), tmp_path / "run.nc")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds["position"].encoding.get("zlib") is True
        assert ds["confidence"].encoding.get("zlib") is True


def test_save_is_atomic_and_overwrites(tmp_path: Path) -> None:
    first, second = make_swinging_runner(duration_s=0.5), make_swinging_runner(duration_s=1.0)
    target = tmp_path / "run.nc"
    save_track(first, target)
    save_track(second, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.nc"]
    xr.testing.assert_identical(load_track(target), second)


def test_failed_save_keeps_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "run.nc"
    good = make_swinging_runner(duration_s=0.5)
    save_track(good, target)
    bad = good.assign_attrs(tags=["a", "b"])
    with pytest.raises(InvalidTrackError, match="attribute 'tags' is a list"):
        save_track(bad, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.nc"]
    xr.testing.assert_identical(load_track(target), good)


def test_csv_round_trip_values_and_attrs(tmp_path: Path) -> None:
    track = _rich_track()
    loaded = load_track(save_track(track, tmp_path / "run.csv"))
    np.testing.assert_allclose(loaded["position"], track["position"], atol=1e-3, rtol=0)
    np.testing.assert_allclose(loaded["confidence"], track["confidence"], atol=1e-3, rtol=0)
    np.testing.assert_allclose(loaded["time"], track["time"], atol=1e-6, rtol=0)
    np.testing.assert_array_equal(np.isnan(loaded["position"]), np.isnan(track["position"]))
    np.testing.assert_array_equal(loaded["frame"], track["frame"])
    for flag in ("detected", "duplicate", "swapped"):
        np.testing.assert_array_equal(loaded[flag], track[flag])
    assert loaded.attrs == track.attrs


def test_csv_layout(tmp_path: Path) -> None:
    track = make_swinging_runner(duration_s=0.5)
    path = save_track(track, tmp_path / "run.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    assert lines[: len(comments)] == comments
    assert "# fps: 30.0" in comments and "# image_width_px: 1280" in comments
    table = pd.read_csv(path, comment="#")
    expected = ["frame", "time_s"] + [
        f"{name}_{col}" for name in KEYPOINTS for col in ("x", "y", "visibility")
    ]
    assert list(table.columns) == expected
    assert len(table) == track.sizes["time"]
    first_row = lines[len(comments) + 1].split(",")
    assert all(len(cell.partition(".")[2]) <= 3 for cell in first_row[2:])


def _foreign_csv(
    path: Path, track: xr.Dataset, *, drop: tuple[str, ...] = (), time: bool = True
) -> Path:
    """Write ``track`` as another tool would: no comments, some columns dropped, one extra."""
    data: dict[str, object] = {"frame": track["frame"].values}
    if time:
        data["time_s"] = track["time"].values
    for name in KEYPOINTS:
        i = KP[name]
        data[f"{name}_x"] = track["position"].values[:, i, 0]
        data[f"{name}_y"] = track["position"].values[:, i, 1]
        data[f"{name}_visibility"] = track["confidence"].values[:, i]
    data["tool_score"] = 1.0
    table = pd.DataFrame(data).drop(columns=list(drop))
    table.to_csv(path, index=False)
    return path


def test_foreign_csv_with_image_size(tmp_path: Path) -> None:
    track = make_swinging_runner(duration_s=1.0)
    drop = ("nose_x", "nose_y", "nose_visibility", "left_pinky_visibility")
    loaded = load_track(
        _foreign_csv(tmp_path / "other.csv", track, drop=drop), image_size_px=(1280, 720)
    )
    assert np.isnan(loaded["position"].sel(keypoint="nose")).all()
    assert np.isnan(loaded["confidence"].sel(keypoint="left_pinky")).all()
    np.testing.assert_allclose(
        loaded["position"].sel(keypoint="left_ankle"),
        track["position"].sel(keypoint="left_ankle"),
        atol=1e-3,
    )
    assert "tool_score" not in loaded
    assert (loaded.attrs["image_width_px"], loaded.attrs["image_height_px"]) == (1280, 720)
    assert "image_size_inferred" not in loaded.attrs
    assert loaded.attrs["source_format"] == "csv"


def test_foreign_csv_infers_image_size(tmp_path: Path) -> None:
    track = make_swinging_runner(duration_s=1.0)
    loaded = load_track(_foreign_csv(tmp_path / "other.csv", track))
    pos = track["position"].values
    assert loaded.attrs["image_width_px"] == int(np.ceil(np.nanmax(pos[..., 0])))
    assert loaded.attrs["image_height_px"] == int(np.ceil(np.nanmax(pos[..., 1])))
    assert loaded.attrs["image_size_inferred"] == 1


def test_foreign_csv_without_time_needs_fps(tmp_path: Path) -> None:
    track = make_swinging_runner(duration_s=1.0)
    path = _foreign_csv(tmp_path / "other.csv", track, time=False)
    with pytest.raises(InvalidTrackError, match="no 'time_s' column; pass fps="):
        load_track(path, image_size_px=(1280, 720))
    loaded = load_track(path, image_size_px=(1280, 720), fps=30.0)
    np.testing.assert_allclose(loaded["time"], track["time"], atol=1e-9)
    assert loaded.attrs["fps"] == 30.0


def test_foreign_csv_with_free_text_comments(tmp_path: Path) -> None:
    track = make_swinging_runner(duration_s=0.5)
    path = _foreign_csv(tmp_path / "other.csv", track)
    path.write_text("# exported by SomeTool 2.1\n" + path.read_text())
    loaded = load_track(path, image_size_px=(1280, 720))
    assert loaded.sizes["time"] == track.sizes["time"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("run.foo", b"x", r"Cannot read track 'run.foo': unknown suffix '.foo'; use .nc or .csv\."),
        ("empty.csv", b"", r"'empty.csv': the file is empty"),
        ("empty.nc", b"", r"'empty.nc': the file is empty"),
        (
            "garbage.nc",
            b"this is not hdf5 at all" * 10,
            r"'garbage.nc': it is not a readable NetCDF4 file",
        ),
        ("binary.csv", bytes(range(256)) * 4, r"'binary.csv': it is not UTF-8 text"),
        (
            "prose.csv",
            b"hello world\nthis is not a table\n",
            r"neither a 'time_s' nor a 'frame' column",
        ),
        ("nolandmarks.csv", b"frame,time_s\n0,0.0\n1,0.1\n", r"no landmark columns"),
        (
            "text.csv",
            b"frame,time_s,nose_x\n0,0.0,abc\n",
            r"column 'nose_x' holds non-numeric values",
        ),
        (
            "frac.csv",
            b"frame,time_s,nose_x\n0.5,0.0,3\n",
            r"column 'frame' must hold whole numbers",
        ),
        ("header.csv", b"frame,time_s,nose_x\n", r"header row but no frames"),
        ("ragged.csv", b"frame,time_s,nose_x\n0,0.0,3\n1,0.1,4,5,6\n", r"not a well-formed CSV"),
        (
            "back.csv",
            b"frame,time_s,nose_x,nose_y\n0,0.2,3,3\n1,0.1,4,4\n",
            r"expected strictly increasing frame times",
        ),
        (
            "badjson.csv",
            b"# fps: thirty\nframe,time_s,nose_x\n0,0.0,3\n",
            r"'# fps' is not valid JSON",
        ),
        ("norm.csv", b"frame,time_s,nose_x,nose_y\n0,0.0,0.3,0.4\n", r"look normalised"),
    ],
)
def test_load_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidTrackError, match=message):
        load_track(path)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidTrackError, match=r"Cannot read track 'nope.nc': the file does not exist"
    ):
        load_track(tmp_path / "nope.nc")


def test_load_nc_that_is_not_a_track(tmp_path: Path) -> None:
    path = tmp_path / "other.nc"
    xr.Dataset({"temperature": ("x", np.arange(3.0))}).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(InvalidTrackError, match=r"'other.nc': it lacks \['position', 'confidence'"):
        load_track(path)


def test_load_nc_with_backward_times(tmp_path: Path) -> None:
    track = make_swinging_runner(duration_s=0.5)
    path = tmp_path / "back.nc"
    backward = track.assign_coords(time=track["time"].values[::-1].copy())
    backward.to_netcdf(path, engine="h5netcdf")
    with pytest.raises(InvalidTrackError, match=r"'back.nc': expected strictly increasing frame"):
        load_track(path)


def test_save_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(InvalidTrackError, match=r"Cannot save track 'run.json': unknown suffix"):
        save_track(make_swinging_runner(duration_s=0.5), tmp_path / "run.json")
    assert list(tmp_path.iterdir()) == []
