"""Landmarks from the tools ``movement`` reads: DeepLabCut, LightningPose, SLEAP, NWB (ndx-pose).

The files in tests/data/<tool>/ are the tools' own: DeepLabCut's example predictions (CSV as in
its repository; ``.h5`` written from them the way DeepLabCut writes), a LightningPose label file,
SLEAP files written by sleap-io and an NWB file written by ndx-pose, both from gait's sample
track (see each folder's README). Every value the loaders return is checked against the same
file read another way (pandas, h5py, the sample track it was made from).
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gait.config import AnalysisConfig
from gait.errors import InvalidTrackError
from gait.pipeline import analyze_track
from gait.track import from_movement, landmark_for, load_track
from gait.track._io import is_track_path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "samples" / "treadmill_side_male_30fps_portrait.track.nc"
DLC_SINGLE = DATA / "dlc" / "reachingvideo1shortDLC_resnet50_TESTNov4shuffle1_10"
DLC_MULTI = {
    s: DATA / "dlc" / f"m3v1mp4shortDLC_effnet_b0_multi_mouseApr12shuffle1_5_el_filtered.head15{s}"
    for s in (".csv", ".h5", ".fixed.h5")
}
LP_LABELS = DATA / "lightning_pose" / "CollectedData_.head12.csv"
SLP = DATA / "sleap" / "sample_human.slp"
SLP_VIDEO = DATA / "sleap" / "sample_human_video.head60.slp"
SLEAP_H5 = DATA / "sleap" / "sample_human.analysis.h5"
NWB = DATA / "ndx_pose" / "sample_coco17.nwb"
#: The DLC examples are a mouse reaching task: map their body parts to leg landmarks to read them.
DLC_MAP = {"bodypart1": "left_hip", "bodypart2": "left_knee", "bodypart3": "left_ankle", "objectA": ""}
MAX_CADENCE_DIFF_SPM = 0.5


@cache
def _sample():
    return load_track(SAMPLE)


def _with_map(src: Path, tmp: Path, mapping: dict, name: str = "keypoints.json") -> Path:
    """``src`` copied into ``tmp`` with a keypoint mapping file beside it."""
    dst = tmp / src.name
    shutil.copy(src, dst)
    (tmp / name).write_text(json.dumps(mapping))
    return dst


def _xy(track, name: str) -> np.ndarray:
    return track["position"].sel(keypoint=name).values.astype(np.float64)


# -- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("left_hip", "left_hip"),  # gait / COCO-17 / SLEAP human
        ("right_ankle", "right_ankle"),
        ("LBigToe", "left_foot_index"),  # OpenPose
        ("RHeel", "right_heel"),
        ("left_big_toe", "left_foot_index"),  # Halpe-26, COCO-WholeBody
        ("ankle1", "right_ankle"),  # DLC ModelZoo full_human
        ("hip2", "left_hip"),
        ("shoulder1", "right_shoulder"),
        ("Hip_L", "left_hip"),  # variants
        ("RightKnee", "right_knee"),
        ("r-heel", "right_heel"),
        ("left_small_toe", None),
        ("neck", None),
        ("snout", None),
        ("bodypart1", None),
    ],
)
def test_keypoint_names_map_to_gait_landmarks(name: str, want: str | None) -> None:
    assert landmark_for(name) == want


# -- DeepLabCut ---------------------------------------------------------------------------------


def test_dlc_single_animal_csv_and_h5_with_a_mapping(tmp_path: Path) -> None:
    csv = _with_map(DLC_SINGLE.with_suffix(".csv"), tmp_path, DLC_MAP)
    h5 = _with_map(DLC_SINGLE.with_suffix(".h5"), tmp_path, DLC_MAP)
    fixed = _with_map(DLC_SINGLE.with_suffix(".fixed.h5"), tmp_path, DLC_MAP)
    ref = pd.read_csv(csv, header=[0, 1, 2], index_col=0)  # how DeepLabCut reads its CSVs
    scorer = ref.columns.get_level_values(0)[0]
    for path in (csv, h5, fixed):
        assert is_track_path(path)
        track = load_track(path, fps=50.0, image_size_px=(800, 700))
        assert track.attrs["source_format"] == "deeplabcut"
        assert track.attrs["dlc_scorer"] == scorer
        assert track.attrs["keypoint_map_file"] == "keypoints.json"
        np.testing.assert_array_equal(track["frame"].values, ref.index.to_numpy())
        np.testing.assert_allclose(track["time"].values, ref.index.to_numpy() / 50.0)
        for part, landmark in (("bodypart1", "left_hip"), ("bodypart3", "left_ankle")):
            want = ref[(scorer, part)][["x", "y"]].to_numpy()
            np.testing.assert_allclose(_xy(track, landmark), want, rtol=1e-6)
            np.testing.assert_allclose(
                track["confidence"].sel(keypoint=landmark).values,
                ref[(scorer, part, "likelihood")].to_numpy(),
                rtol=1e-6,
            )
        assert np.isnan(_xy(track, "right_hip")).all()  # objectA dropped, nothing else mapped
        missing = json.loads(track.attrs["landmarks_missing"])
        assert "left_heel" in missing and "left_hip" not in missing


def test_dlc_h5_in_pandas_fixed_layout_reads_as_its_csv(tmp_path: Path) -> None:
    """``to_hdf(format="fixed")`` (pandas' default; older DeepLabCut, users' own saves) = the CSV it came from."""
    (tmp_path / "csv").mkdir()
    (tmp_path / "fixed").mkdir()
    for stem, mapping in ((DLC_SINGLE, DLC_MAP), (DLC_MULTI[".csv"].with_suffix(""), DLC_MAP)):
        want = load_track(_with_map(stem.with_name(stem.name + ".csv"), tmp_path / "csv", mapping), fps=30.0)
        got = load_track(_with_map(stem.with_name(stem.name + ".fixed.h5"), tmp_path / "fixed", mapping), fps=30.0)
        for var in ("position", "confidence", "time", "frame"):
            np.testing.assert_array_equal(got[var].values, want[var].values, err_msg=var)
        for key in ("dlc_scorer", "keypoint_mapping", "landmarks_missing", "person_selection"):
            assert got.attrs.get(key) == want.attrs.get(key), key
    with h5py.File(tmp_path / "fixed" / DLC_SINGLE.with_suffix(".fixed.h5").name, "r+") as f:
        f["df_with_missing"].attrs["nblocks"] = 2  # as a DataFrame with int and float columns
    with pytest.raises(InvalidTrackError, match=r"holds columns of several types; re-save it with DeepLabCut"):
        load_track(tmp_path / "fixed" / DLC_SINGLE.with_suffix(".fixed.h5").name)


def test_dlc_without_fps_assumes_30_and_says_so(tmp_path: Path) -> None:
    track = load_track(_with_map(DLC_SINGLE.with_suffix(".csv"), tmp_path, DLC_MAP))
    assert track.attrs["fps_assumed"] == 1 and track.attrs["fps"] == 30.0
    assert track.attrs["image_size_inferred"] == 1


def test_dlc_multi_animal_picks_the_most_confident_or_the_named_individual(tmp_path: Path) -> None:
    mapping = {"bodypart1": "left_hip", "bodypart2": "left_knee", "bodypart3": "left_ankle"}
    ref = pd.read_csv(DLC_MULTI[".csv"], header=[0, 1, 2, 3], index_col=0)
    scorer = ref.columns.get_level_values(0)[0]
    totals = {
        ind: np.nansum(ref[scorer][ind].xs("likelihood", axis=1, level="coords").to_numpy())
        for ind in ("individual1", "individual2", "individual3")
    }
    best = max(totals, key=totals.get)
    for suffix in (".csv", ".h5", ".fixed.h5"):
        folder = tmp_path / suffix[1:]
        folder.mkdir()
        track = load_track(_with_map(DLC_MULTI[suffix], folder, mapping), fps=30.0)
        chosen = json.loads(track.attrs["person_selection"])
        assert chosen["individual"] == best
        assert set(chosen["individuals"]) == {"individual1", "individual2", "individual3", "single"}
        want = ref[(scorer, best, "bodypart2")][["x", "y"]].to_numpy()
        np.testing.assert_allclose(_xy(track, "left_knee"), want, rtol=1e-6)
    other = next(i for i in totals if i != best)
    named = tmp_path / "named"
    named.mkdir()
    path = _with_map(DLC_MULTI[".csv"], named, {"keypoints": mapping, "individual": other})
    track = load_track(path, fps=30.0)
    assert json.loads(track.attrs["person_selection"])["individual"] == other
    np.testing.assert_allclose(
        _xy(track, "left_hip"), ref[(scorer, other, "bodypart1")][["x", "y"]].to_numpy(), rtol=1e-6
    )


def test_lightning_pose_labels_csv(tmp_path: Path) -> None:
    """LightningPose's label CSV: no scorer row, image paths as the index, no likelihood."""
    mapping = {"paw1LH_top": "left_ankle", "paw4RH_top": "right_ankle", "nose_top": "nose"}
    path = _with_map(LP_LABELS, tmp_path, mapping, name=f"{LP_LABELS.name}.keypoints.toml")
    (tmp_path / f"{LP_LABELS.name}.keypoints.toml").write_text(
        "[keypoints]\n" + "".join(f'{k} = "{v}"\n' for k, v in mapping.items())
    )
    ref = pd.read_csv(path, header=[0, 1], index_col=0)
    track = load_track(path, fps=60.0, image_size_px=(400, 410))
    assert track.attrs["source_format"] == "lightning_pose"
    frames = [int(Path(i).stem.removeprefix("img")) for i in ref.index]
    np.testing.assert_array_equal(track["frame"].values, frames)
    np.testing.assert_allclose(_xy(track, "right_ankle"), ref["paw4RH_top"].to_numpy())
    conf = track["confidence"].sel(keypoint="nose").values
    assert np.all(conf == 1.0)  # labels have no likelihood: present points get 1


# -- SLEAP --------------------------------------------------------------------------------------


def test_sleap_slp_and_analysis_h5_are_the_runner_of_the_sample() -> None:
    sample = _sample()
    for path, fmt in ((SLP, "sleap"), (SLEAP_H5, "sleap_analysis")):
        assert is_track_path(path)
        track = load_track(path, fps=30.0, image_size_px=(720, 1280))
        assert track.attrs["source_format"] == fmt
        assert json.loads(track.attrs["person_selection"])["individual"] == "runner"  # not the decoy
        np.testing.assert_array_equal(track["frame"].values, sample["frame"].values)
        for name in ("left_heel", "right_foot_index", "left_knee", "right_shoulder"):
            np.testing.assert_allclose(_xy(track, name), _xy(sample, name), atol=1e-4)
        np.testing.assert_allclose(
            track["confidence"].sel(keypoint="left_heel").values,
            sample["confidence"].sel(keypoint="left_heel").values,
            atol=1e-6,
        )
        assert "landmarks_missing" not in track.attrs


def test_sleap_slp_frame_size_comes_from_its_video_metadata_else_from_the_data() -> None:
    sample = _sample()
    # sleap-io opened the video: videos_json records its shape (frames, height, width, channels)
    track = load_track(SLP_VIDEO, fps=30.0)
    assert (track.attrs["image_width_px"], track.attrs["image_height_px"]) == (
        sample.attrs["image_width_px"], sample.attrs["image_height_px"],
    )  # fmt: skip
    assert "image_size_inferred" not in track.attrs
    assert track.attrs["sleap_video"] == "treadmill_side_male_30fps_portrait.mp4"
    np.testing.assert_array_equal(track["frame"].values, sample["frame"].values[:60])
    np.testing.assert_allclose(_xy(track, "left_heel"), _xy(sample, "left_heel")[:60], atol=1e-4)
    # a video sleap-io never opened has no shape: inferred from the landmarks, and the track says so
    inferred = load_track(SLP, fps=30.0)
    assert inferred.attrs["image_size_inferred"] == 1
    runner = inferred["position"].values
    assert inferred.attrs["image_width_px"] == int(np.ceil(np.nanmax(runner[..., 0])))
    assert inferred.attrs["image_width_px"] < sample.attrs["image_width_px"]
    # given sizes still win over the metadata
    given = load_track(SLP_VIDEO, fps=30.0, image_size_px=(1000, 1500))
    assert (given.attrs["image_width_px"], given.attrs["image_height_px"]) == (1000, 1500)


def test_sleap_slp_with_several_videos_reads_the_first_videos_frames(tmp_path: Path) -> None:
    path = tmp_path / SLP_VIDEO.name
    shutil.copy(SLP_VIDEO, path)
    with h5py.File(path, "r+") as f:  # frames 30..59 now belong to a second video
        frames = f["frames"][()]
        frames["video"][frames["frame_idx"] >= 30] = 1
        f["frames"][...] = frames
        videos = [v.decode() for v in f["videos_json"][()]]
        second = json.loads(videos[0])
        second["filename"] = second["backend"]["filename"] = "other.mp4"
        del f["videos_json"]
        f.create_dataset("videos_json", data=[*videos, json.dumps(second)], dtype=h5py.string_dtype())
    track = load_track(path, fps=30.0)
    np.testing.assert_array_equal(track["frame"].values, np.arange(30))
    assert track.attrs["sleap_videos"] == 2 and track.attrs["sleap_video"] == "treadmill_side_male_30fps_portrait.mp4"
    np.testing.assert_allclose(_xy(track, "right_knee"), _xy(_sample(), "right_knee")[:30], atol=1e-4)


def test_sleap_track_gives_the_sample_gait() -> None:
    track = load_track(SLP, fps=30.0, image_size_px=(720, 1280))
    got, ref = analyze_track(track), analyze_track(_sample())
    d = got.metrics.metrics["cadence_spm"].value - ref.metrics.metrics["cadence_spm"].value
    assert abs(d) <= MAX_CADENCE_DIFF_SPM
    assert len(got.events.table) == len(ref.events.table)


# -- NWB ----------------------------------------------------------------------------------------


def test_nwb_coco17_without_feet_gets_what_it_can() -> None:
    assert is_track_path(NWB)
    track = load_track(NWB)
    sample = _sample().isel(time=slice(0, 180))
    assert track.attrs["source_format"] == "nwb" and track.attrs["nwb_pose_estimation"] == "PoseEstimation"
    assert (track.attrs["image_width_px"], track.attrs["image_height_px"]) == (720, 1280)  # dimensions
    assert track.attrs["fps"] == pytest.approx(30.0, rel=1e-6)
    np.testing.assert_allclose(track["time"].values, sample["time"].values)
    np.testing.assert_allclose(_xy(track, "right_knee"), _xy(sample, "right_knee"), atol=1e-6)
    missing = json.loads(track.attrs["landmarks_missing"])
    assert missing == ["left_heel", "right_heel", "left_foot_index", "right_foot_index"]
    analysis = analyze_track(track, AnalysisConfig(view="side_left"))  # must not crash
    assert analysis.events.table.empty  # no feet: no contacts, and the notes say why
    assert "running_without_events" in {q.code for q in analysis.events.quality}


def test_gaits_own_nwb_export_reads_back(tmp_path: Path) -> None:
    from gait.export import write_exports

    analysis = analyze_track(_sample().isel(time=slice(0, 120)))
    path = write_exports(analysis, tmp_path, ["nwb"])["nwb"]
    track = load_track(path)
    # with PoseEstimation (cleaned) and PoseEstimationRaw (as the model gave it) of equal size,
    # the first by name is read: the cleaned track
    assert track.attrs["nwb_pose_estimation"] == "PoseEstimation"
    np.testing.assert_allclose(track["time"].values, analysis.cleaned["time"].values)
    np.testing.assert_allclose(_xy(track, "left_ankle"), _xy(analysis.cleaned, "left_ankle"), atol=1e-9)


# -- movement's Dataset -------------------------------------------------------------------------


def test_a_movement_dataset_is_read_without_movement() -> None:
    sample = _sample()
    names = ["left_hip", "left_knee", "left_ankle", "left_heel", "left_big_toe"]
    src = ["left_hip", "left_knee", "left_ankle", "left_heel", "left_foot_index"]
    pos = sample["position"].sel(keypoint=src).transpose("time", "space", "keypoint").values
    conf = sample["confidence"].sel(keypoint=src).transpose("time", "keypoint").values
    fps = 30.0
    ds = xr.Dataset(  # movement's poses layout: (time, space, keypoints, individuals)
        {
            "position": (("time", "space", "keypoints", "individuals"), pos[..., None]),
            "confidence": (("time", "keypoints", "individuals"), conf[..., None]),
        },
        coords={
            "time": np.arange(pos.shape[0]) / fps,
            "space": ["x", "y"],
            "keypoints": names,
            "individuals": ["id_0"],
        },
        attrs={"fps": fps, "source_software": "SLEAP", "ds_type": "poses"},
    )
    track = from_movement(ds, image_size_px=(720, 1280))
    assert track.attrs["source_format"] == "movement" and track.attrs["movement_source_software"] == "SLEAP"
    np.testing.assert_allclose(_xy(track, "left_foot_index"), _xy(sample, "left_foot_index"))
    np.testing.assert_allclose(track["time"].values, np.arange(pos.shape[0]) / fps)
    assert np.isnan(_xy(track, "right_hip")).all()
    with pytest.raises(InvalidTrackError, match=r"^Cannot read the movement Dataset: .*position"):
        from_movement(xr.Dataset({"x": ("t", [1.0])}))


def test_a_movement_dataset_without_scores_is_read_as_gaits_readers_read_one() -> None:
    """A Dataset whose ``confidence`` is all NaN: movement's fill when the source has no scores.

    (DeepLabCut label files, 3D poses, SLEAP user labels.)

    gait's readers give such points confidence 1, and pick the individual with most points: so must
    :func:`from_movement` (tests/test_movement_interop.py checks it on movement's own Datasets).
    """
    sample = _sample().isel(time=slice(0, 60))
    src = ["left_hip", "left_knee", "left_ankle", "left_heel", "left_foot_index"]
    pos = sample["position"].sel(keypoint=src).transpose("time", "space", "keypoint").values.astype(np.float64)
    sparse = pos.copy()
    sparse[::2] = np.nan  # the second individual is seen in half the frames
    ds = xr.Dataset(
        {
            "position": (("time", "space", "keypoints", "individuals"), np.stack([sparse, pos], axis=-1)),
            "confidence": (("time", "keypoints", "individuals"), np.full((pos.shape[0], len(src), 2), np.nan)),
        },
        coords={"time": np.arange(pos.shape[0]) / 30.0, "space": ["x", "y"], "keypoints": src,
                "individuals": ["id_0", "id_1"]},
        attrs={"fps": 30.0, "source_software": "DeepLabCut"},
    )  # fmt: skip
    track = from_movement(ds, image_size_px=(720, 1280))
    assert json.loads(track.attrs["person_selection"])["individual"] == "id_1"
    conf = track["confidence"].sel(keypoint=src).values
    assert np.all(conf[np.isfinite(pos[:, 0, :])] == 1.0)
    assert np.isnan(track["confidence"].sel(keypoint="right_hip").values).all()


# -- bad input ----------------------------------------------------------------------------------


def test_bad_tool_files_are_one_sentence_errors(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    dlc = plain / DLC_SINGLE.with_suffix(".csv").name
    shutil.copy(DLC_SINGLE.with_suffix(".csv"), dlc)
    with pytest.raises(InvalidTrackError, match=r"is a known human landmark name; map them"):
        load_track(dlc)
    (plain / "keypoints.json").write_text(json.dumps({"bodypart1": "left_hipp"}))
    with pytest.raises(InvalidTrackError, match=r"\['left_hipp'\], which are not gait landmarks"):
        load_track(dlc)
    (plain / "keypoints.json").write_text(json.dumps({"bodypart1": "left_hip", "bodypart2": "left_hip"}))
    with pytest.raises(InvalidTrackError, match=r"several of its keypoints map to \['left_hip'\]"):
        load_track(dlc)
    (plain / "keypoints.json").write_text("{not json")
    with pytest.raises(InvalidTrackError, match=r"'keypoints.json' is not valid JSON"):
        load_track(dlc)
    fake = tmp_path / "fake.h5"
    fake.write_text("not hdf5")
    with pytest.raises(InvalidTrackError, match=r"^Cannot read track 'fake.h5': .*\.$") as err:
        load_track(fake)
    assert "\n" not in str(err.value)
    for suffix in (".slp", ".nwb"):
        with pytest.raises(InvalidTrackError, match=r"^Cannot read track"):
            load_track(fake.rename(fake.with_suffix(suffix)))
        fake = fake.with_suffix(suffix)


def test_dlc_label_file_with_three_index_columns(tmp_path: Path) -> None:
    """DeepLabCut's newer label CSV: index ``labeled-data, <video>, <image>``, multi-animal, no likelihood."""
    src = DATA / "dlc" / "CollectedData_JohnDoe.head4.csv"
    mapping = {"keypoints": {"pup_snout": "nose", "pup_neck": "left_shoulder"}, "individual": "pup1"}
    path = _with_map(src, tmp_path, mapping)
    ref = pd.read_csv(path, header=[0, 1, 2, 3], index_col=[0, 1, 2]).sort_index(axis=1)
    track = load_track(path, fps=30.0, image_size_px=(1280, 720))
    assert track.attrs["dlc_scorer"] == "JohnDoe"
    frames = [int(img.removeprefix("img").removesuffix(".png")) for _, _, img in ref.index]
    np.testing.assert_array_equal(track["frame"].values, frames)
    np.testing.assert_allclose(_xy(track, "left_shoulder"), ref[("JohnDoe", "pup1", "pup_neck")].to_numpy())
    np.testing.assert_allclose(track["time"].values, (np.array(frames) - frames[0]) / 30.0)
