"""Gait's formats checked with ``movement`` itself (issue 13).

movement's NWB loader on gait's NWB export, and its DeepLabCut, SLEAP, LightningPose and NWB
loaders against gait's own readers of the same files.

``movement`` cannot share gait's venv (it pulls ``opencv-python-headless``, which replaces
mediapipe's ``opencv-contrib-python`` ``cv2``), so it runs in its own interpreter: ``.ci/run``
makes ``.ci/movement-venv`` (``pip install movement==0.15.0``) and exports
``GAIT_MOVEMENT_PYTHON``. By hand::

    python3 -m venv .ci/movement-venv && .ci/movement-venv/bin/pip install movement==0.15.0
    GAIT_MOVEMENT_PYTHON=$PWD/.ci/movement-venv/bin/python .venv/bin/pytest -q tests/test_movement_interop.py

Skipped when ``GAIT_MOVEMENT_PYTHON`` is unset or cannot import movement. One subprocess of that
interpreter loads every file with movement and saves each Dataset to netCDF (``ds.to_netcdf``); the
tests open them with xarray, turn them into gait tracks with :func:`gait.track.from_movement`
and compare with what gait's loaders read from the same file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from gait.pipeline import analyze_track
from gait.track import from_movement, load_track

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
#: A cached MediaPipe track of the treadmill clip (no pose inference here).
FIXTURE_TRACK = DATA / "treadmill_side_male_30fps_rot90meta.track.nc"
DLC_SINGLE = DATA / "dlc" / "reachingvideo1shortDLC_resnet50_TESTNov4shuffle1_10"
DLC_MULTI = DATA / "dlc" / "m3v1mp4shortDLC_effnet_b0_multi_mouseApr12shuffle1_5_el_filtered.head15"
SLP = DATA / "sleap" / "sample_human.slp"
SLEAP_H5 = DATA / "sleap" / "sample_human.analysis.h5"
NWB_COCO = DATA / "ndx_pose" / "sample_coco17.nwb"
#: The DLC examples are a mouse's body parts: mapped to leg landmarks to read them (as in tests/track).
DLC_MAP = {"bodypart1": "left_hip", "bodypart2": "left_knee", "bodypart3": "left_ankle", "objectA": ""}
SIZE_PX = (1280, 1280)
#: movement keeps SLEAP analysis files in float32.
F32_ATOL_PX = 1e-3

#: Run by movement's interpreter: argv[1] is a JSON job; prints a JSON {output: error or null}.
MOVEMENT_SCRIPT = r"""
import json, sys
from pathlib import Path
import pandas as pd
from movement.io import load_poses, save_poses


def read_dlc_csv(csv, n_levels):
    # as DeepLabCut and movement read them; not index_col=0, which takes an empty first row ("0,,,")
    # for the index name and drops it
    df = pd.read_csv(csv, header=list(range(n_levels)))
    df = df.set_index(df.columns[0])
    df.index.name = None
    levels = ["scorer", "individuals", "bodyparts", "coords"]
    df.columns.names = levels if n_levels == 4 else [lv for lv in levels if lv != "individuals"]
    return df


job = json.loads(sys.argv[1])
# a multi-animal CSV without DLC's "single" individual (movement needs every individual to have the
# same body parts), DeepLabCut's .h5 in pandas' "fixed" layout, and a LightningPose predictions CSV
# written by movement (the runner of the SLEAP file, with its scores)
for csv, out in job["dlc_drop_single"]:
    df = read_dlc_csv(csv, 4)
    df.loc[:, df.columns.get_level_values(1) != "single"].to_csv(out)
for csv, n_levels, out in job["dlc_no_likelihood"]:  # as DeepLabCut's label files: x and y only
    df = read_dlc_csv(csv, n_levels)
    df.loc[:, df.columns.get_level_values("coords") != "likelihood"].to_csv(out)
for csv, n_levels, out in job["dlc_fixed"]:
    df = read_dlc_csv(csv, n_levels)
    df.to_hdf(out, key="df_with_missing", format="fixed", mode="w")
for slp, out in job["lp_from_sleap"]:
    ds = load_poses.from_sleap_file(slp, fps=30.0).sel(individuals=["runner"])
    save_poses.to_lp_file(ds, out)  # writes <stem>_runner.csv
for slp, nwb, sleap_h5, dlc_csv in job["movement_writes"]:  # movement's own writers, for gait to read
    import pynwb
    ds = load_poses.from_sleap_file(slp, fps=30.0).sel(individuals=["runner"])
    with pynwb.NWBHDF5IO(nwb, mode="w") as io:
        io.write(save_poses.to_nwb_file(ds))
    save_poses.to_sleap_analysis_file(ds, sleap_h5)
    save_poses.to_dlc_file(ds, dlc_csv, split_individuals=False)
result = {}
for item in job["load"]:
    try:
        ds = getattr(load_poses, item["loader"])(item["path"], **item["kwargs"])
        ds.attrs = {k: (v if isinstance(v, (int, float)) else str(v)) for k, v in ds.attrs.items() if v is not None}
        ds.to_netcdf(item["out"])
        result[item["out"]] = None
    except Exception as exc:
        result[item["out"]] = f"{type(exc).__name__}: {exc}"
print(json.dumps(result))
"""


def _ext(stem: Path, suffix: str) -> Path:
    return stem.with_name(stem.name + suffix)


@cache
def _movement_python() -> tuple[str | None, str]:
    """The interpreter that imports movement, or None and why not."""
    given = os.environ.get("GAIT_MOVEMENT_PYTHON")
    if not given:
        return None, "GAIT_MOVEMENT_PYTHON is not set (.ci/run makes .ci/movement-venv with movement 0.15)"
    try:
        run = subprocess.run(
            [given, "-c", "import movement; print(movement.__version__)"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"GAIT_MOVEMENT_PYTHON={given} does not run ({exc})"
    if run.returncode != 0:
        return None, f"GAIT_MOVEMENT_PYTHON={given} cannot import movement"
    return given, run.stdout.strip()


class Loaded:
    """What the one movement run produced: the Datasets by name, and the files it was given."""

    def __init__(
        self, analysis: Any, nwb: Path, files: dict[str, Path], nc: dict[str, Path], errors: dict[str, str | None]
    ) -> None:
        self.analysis, self.nwb, self.files, self.nc, self.errors = analysis, nwb, files, nc, errors

    def ds(self, name: str) -> xr.Dataset:
        error = self.errors[str(self.nc[name])]
        assert error is None, f"movement could not load {name}: {error}"
        with xr.open_dataset(self.nc[name], engine="h5netcdf") as ds:
            return ds.load()


def _copy_with_map(src: Path, folder: Path, mapping: dict[str, Any] | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / src.name
    if src != dst:
        shutil.copy(src, dst)
    if mapping is not None:
        (folder / "keypoints.json").write_text(json.dumps(mapping))
    return dst


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    python, why = _movement_python()
    if python is None:
        pytest.skip(why)
    from gait.export import write_exports

    root = tmp_path_factory.mktemp("movement")
    analysis = analyze_track(load_track(FIXTURE_TRACK))
    nwb = write_exports(analysis, root / "export", ["nwb"])["nwb"]
    src = root / "src"
    src.mkdir()
    files = {
        "dlc_single_csv": Path(shutil.copy(_ext(DLC_SINGLE, ".csv"), src)),
        "dlc_single_h5": Path(shutil.copy(_ext(DLC_SINGLE, ".h5"), src)),
        "dlc_single_fixed_h5": src / f"{DLC_SINGLE.name}.fixed.h5",
        "dlc_multi_full_fixed_h5": src / f"{DLC_MULTI.name}.full.fixed.h5",
        "dlc_multi_csv": src / f"{DLC_MULTI.name}.nosingle.csv",
        "dlc_multi_fixed_h5": src / f"{DLC_MULTI.name}.nosingle.fixed.h5",
        "dlc_single_xy_csv": src / f"{DLC_SINGLE.name}.xy.csv",
        "dlc_multi_xy_csv": src / f"{DLC_MULTI.name}.nosingle.xy.csv",
        "written_nwb": src / "movement_runner.nwb",
        "written_sleap_h5": src / "movement_runner.analysis.h5",
        "written_dlc_csv": src / "movement_runner.csv",
        "lp": src / "lp_predictions.csv",  # movement appends the individual: lp_predictions_runner.csv
        "slp": Path(shutil.copy(SLP, src)),
        "sleap_h5": Path(shutil.copy(SLEAP_H5, src)),
        "nwb_coco": Path(shutil.copy(NWB_COCO, src)),
    }
    loaders = {
        "gait_nwb": ("from_nwb_file", nwb, {}),
        "gait_nwb_raw": ("from_nwb_file", nwb, {"pose_estimation_key": "PoseEstimationRaw"}),
        "nwb_coco": ("from_nwb_file", files["nwb_coco"], {}),
        "slp": ("from_sleap_file", files["slp"], {"fps": 30.0}),
        "sleap_h5": ("from_sleap_file", files["sleap_h5"], {"fps": 30.0}),
        "lp": ("from_lp_file", files["lp"].with_name("lp_predictions_runner.csv"), {"fps": 30.0}),
        **{
            name: ("from_dlc_file", files[name], {"fps": 50.0})
            for name in (
                "dlc_single_csv", "dlc_single_h5", "dlc_single_fixed_h5", "dlc_multi_csv", "dlc_multi_fixed_h5",
                "dlc_single_xy_csv", "dlc_multi_xy_csv",
            )  # fmt: skip
        },
    }
    nc = {name: root / f"{name}.nc" for name in loaders}
    job = {
        "dlc_fixed": [
            [str(_ext(DLC_SINGLE, ".csv")), 3, str(files["dlc_single_fixed_h5"])],
            [str(_ext(DLC_MULTI, ".csv")), 4, str(files["dlc_multi_full_fixed_h5"])],
            [str(files["dlc_multi_csv"]), 4, str(files["dlc_multi_fixed_h5"])],
        ],
        "dlc_drop_single": [[str(_ext(DLC_MULTI, ".csv")), str(files["dlc_multi_csv"])]],
        "dlc_no_likelihood": [
            [str(_ext(DLC_SINGLE, ".csv")), 3, str(files["dlc_single_xy_csv"])],
            [str(files["dlc_multi_csv"]), 4, str(files["dlc_multi_xy_csv"])],
        ],
        "lp_from_sleap": [[str(files["slp"]), str(files["lp"])]],
        "movement_writes": [
            [str(files["slp"])] + [str(files[k]) for k in ("written_nwb", "written_sleap_h5", "written_dlc_csv")]
        ],
        "load": [
            {"loader": loader, "path": str(path), "kwargs": kwargs, "out": str(nc[name])}
            for name, (loader, path, kwargs) in loaders.items()
        ],
    }
    run = subprocess.run(
        [python, "-c", MOVEMENT_SCRIPT, json.dumps(job)], capture_output=True, text=True, timeout=600, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    errors = json.loads(run.stdout.strip().splitlines()[-1])
    return Loaded(analysis, nwb, files, nc, errors)


def _assert_same_track(got: Any, want: Any, *, atol: float = 0.0, landmarks: list[str] | None = None) -> None:
    """Positions, confidence, frames and times of two gait tracks agree (NaN where NaN)."""
    names = landmarks or [str(k) for k in want["keypoint"].values]
    for name in names:
        a = got["position"].sel(keypoint=name).values.astype(np.float64)
        b = want["position"].sel(keypoint=name).values.astype(np.float64)
        np.testing.assert_allclose(a, b, atol=atol, rtol=0, equal_nan=True, err_msg=name)
        np.testing.assert_allclose(
            got["confidence"].sel(keypoint=name).values.astype(np.float64),
            want["confidence"].sel(keypoint=name).values.astype(np.float64),
            atol=max(atol, 1e-7), rtol=0, equal_nan=True, err_msg=f"{name} confidence",
        )  # fmt: skip
    np.testing.assert_array_equal(got["frame"].values, want["frame"].values)
    np.testing.assert_allclose(got["time"].values, want["time"].values, atol=1e-9)


# -- gait's NWB export, read by movement ---------------------------------------------------------


@pytest.mark.parametrize(("name", "which"), [("gait_nwb", "cleaned"), ("gait_nwb_raw", "track")])
def test_gaits_nwb_export_loads_in_movement(loaded: Loaded, name: str, which: str) -> None:
    ds = loaded.ds(name)
    track = getattr(loaded.analysis, which)  # PoseEstimation = the cleaned track, ...Raw = the model's
    names = [str(k) for k in track["keypoint"].values]
    assert sorted(str(k) for k in ds["keypoints"].values) == sorted(names)
    assert ds.attrs["source_software"] == "MediaPipe BlazePose GHUM"
    (individual,) = (str(i) for i in ds["individuals"].values)
    assert individual.startswith("gait-")  # movement names the individual after the NWB identifier
    assert ds.attrs["fps"] == pytest.approx(float(track.attrs["fps"]), rel=1e-6)
    t = track["time"].values.astype(np.float64)
    np.testing.assert_allclose(ds["time"].values, t - t[0], atol=1e-6)
    for keypoint in names:
        got = ds["position"].sel(keypoints=keypoint, individuals=individual).transpose("time", "space")
        assert [str(s) for s in got["space"].values] == ["x", "y"]
        want = track["position"].sel(keypoint=keypoint).transpose("time", "space").values
        np.testing.assert_array_equal(got.values, want.astype(np.float64), err_msg=keypoint)  # float32 exactly
        np.testing.assert_array_equal(
            ds["confidence"].sel(keypoints=keypoint, individuals=individual).values,
            track["confidence"].sel(keypoint=keypoint).values.astype(np.float64),
            err_msg=f"{keypoint} confidence",
        )
    # and back into gait: the same track as gait's own NWB reader gives
    size = (int(track.attrs["image_width_px"]), int(track.attrs["image_height_px"]))
    back = from_movement(ds, image_size_px=size)
    assert back.attrs["movement_source_software"] == "MediaPipe BlazePose GHUM"
    if which == "cleaned":  # gait's NWB reader reads PoseEstimation, the cleaned track
        _assert_same_track(back, load_track(loaded.nwb), atol=1e-9)


# -- movement's loaders against gait's, on the tools' own files -----------------------------------


def _individuals(ds: xr.Dataset) -> list[str]:
    return [str(i) for i in ds["individuals"].values]


@pytest.mark.parametrize(
    ("name", "fps"),
    [
        ("dlc_single_csv", 50.0),
        ("dlc_single_h5", 50.0),
        ("dlc_single_fixed_h5", 50.0),
        ("dlc_multi_csv", 50.0),
        ("dlc_multi_fixed_h5", 50.0),
        ("dlc_single_xy_csv", 50.0),  # no likelihood: movement's confidence is NaN, gait's 1 where present
        ("dlc_multi_xy_csv", 50.0),
    ],
)
def test_deeplabcut_files_agree_with_movement(loaded: Loaded, tmp_path: Path, name: str, fps: float) -> None:
    ds = loaded.ds(name)
    assert ds.attrs["source_software"] == "DeepLabCut"
    path = loaded.files[name]
    for individual in _individuals(ds):
        mapping: dict[str, Any] = {"keypoints": DLC_MAP}
        if len(_individuals(ds)) > 1:
            mapping["individual"] = individual
        ours = load_track(_copy_with_map(path, tmp_path / individual, mapping), fps=fps, image_size_px=SIZE_PX)
        theirs = from_movement(ds, image_size_px=SIZE_PX, keypoint_map=DLC_MAP, individual=individual)
        _assert_same_track(theirs, ours, landmarks=["left_hip", "left_knee", "left_ankle"])
    if len(_individuals(ds)) > 1:  # the default runner is the same one
        ours = load_track(_copy_with_map(path, tmp_path / "auto", {"keypoints": DLC_MAP}), fps=fps)
        theirs = from_movement(ds, keypoint_map=DLC_MAP)
        assert json.loads(theirs.attrs["person_selection"])["individual"] == json.loads(
            ours.attrs["person_selection"]
        )["individual"]


def test_deeplabcut_fixed_h5_reads_as_its_csv(loaded: Loaded, tmp_path: Path) -> None:
    """A DLC ``.h5`` in pandas' ``format="fixed"`` (written by pandas + PyTables in movement's venv) = its CSV."""
    for csv, fixed in (
        (_ext(DLC_SINGLE, ".csv"), loaded.files["dlc_single_fixed_h5"]),
        (_ext(DLC_MULTI, ".csv"), loaded.files["dlc_multi_full_fixed_h5"]),  # with DLC's "single" individual
    ):
        want = load_track(_copy_with_map(csv, tmp_path / csv.stem, {"keypoints": DLC_MAP}), fps=30.0)
        got = load_track(_copy_with_map(fixed, tmp_path / fixed.stem, {"keypoints": DLC_MAP}), fps=30.0)
        _assert_same_track(got, want)
        assert got.attrs["dlc_scorer"] == want.attrs["dlc_scorer"]
        assert got.attrs.get("person_selection") == want.attrs.get("person_selection")


@pytest.mark.parametrize("name", ["slp", "sleap_h5"])
def test_sleap_files_agree_with_movement(loaded: Loaded, tmp_path: Path, name: str) -> None:
    ds = loaded.ds(name)
    assert ds.attrs["source_software"] == "SLEAP"
    assert sorted(_individuals(ds)) == ["decoy", "runner"]
    path = loaded.files[name]
    for individual in _individuals(ds):
        ours = load_track(
            _copy_with_map(path, tmp_path / individual, {"individual": individual}), fps=30.0, image_size_px=SIZE_PX
        )
        theirs = from_movement(ds, image_size_px=SIZE_PX, individual=individual)
        _assert_same_track(theirs, ours, atol=F32_ATOL_PX)
    theirs = from_movement(ds, image_size_px=SIZE_PX)
    assert json.loads(theirs.attrs["person_selection"])["individual"] == "runner"


def test_lightning_pose_predictions_agree_with_movement(loaded: Loaded) -> None:
    """A LightningPose predictions CSV (written by movement's ``to_lp_file``: the SLEAP file's runner).

    (movement's ``from_lp_file`` refuses LightningPose's label files, which have no ``scorer`` row;
    gait reads those too, see tests/track/test_foreign_tools.py.)
    """
    ds = loaded.ds("lp")
    assert ds.attrs["source_software"] == "LightningPose"
    path = loaded.files["lp"].with_name("lp_predictions_runner.csv")
    ours = load_track(path, fps=30.0, image_size_px=SIZE_PX)
    theirs = from_movement(ds, image_size_px=SIZE_PX)
    _assert_same_track(theirs, ours, atol=F32_ATOL_PX)
    sleap = load_track(SLP, fps=30.0, image_size_px=SIZE_PX)  # and it is the SLEAP file's runner
    _assert_same_track(ours, sleap, atol=F32_ATOL_PX)


def test_ndx_pose_file_agrees_with_movement(loaded: Loaded) -> None:
    ds = loaded.ds("nwb_coco")
    ours = load_track(NWB_COCO)
    size = (int(ours.attrs["image_width_px"]), int(ours.attrs["image_height_px"]))
    theirs = from_movement(ds, image_size_px=size)
    assert ds.attrs["fps"] == pytest.approx(float(ours.attrs["fps"]), rel=1e-6)
    mapped = [str(k) for k in ours["keypoint"].values if np.isfinite(ours["position"].sel(keypoint=k).values).any()]
    assert len(mapped) == 17
    _assert_same_track(theirs, ours, atol=1e-9, landmarks=mapped)


# -- gait reads what movement writes ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["written_nwb", "written_sleap_h5", "written_dlc_csv"])
def test_gait_reads_what_movement_writes(loaded: Loaded, name: str) -> None:
    """The SLEAP file's runner saved by movement's ``to_nwb_file``, ``to_sleap_analysis_file``, ``to_dlc_file``."""
    path = loaded.files[name]
    track = load_track(path, fps=30.0, image_size_px=SIZE_PX)
    sleap = load_track(SLP, fps=30.0, image_size_px=SIZE_PX)  # gait's reader of the file movement loaded
    _assert_same_track(track, sleap, atol=F32_ATOL_PX)
