"""Landmarks from other pose tools: OpenPose JSON folders and Sports2D / Pose2Sim TRC files.

The files are made from the committed sample track (MIT) by small writers that follow each tool's
own layout, then read back with :func:`gait.track.load_track` and analysed: the cadence and the
foot contacts must match those of the sample track.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from gait.config import AnalysisConfig
from gait.errors import InvalidTrackError
from gait.pipeline import Analysis, analyze_track
from gait.skeleton import KEYPOINTS
from gait.track import PoseTrack, load_track, save_track
from gait.track._foreign import BODY_25, COCO_18, TRC_MARKERS
from gait.track._io import is_track_path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "treadmill_side_male_30fps_portrait.track.nc"
#: Pose2Sim's HALPE_26 marker order, as its TRC files list them.
HALPE_26 = (
    "Hip", "RHip", "RKnee", "RAnkle", "RBigToe", "RSmallToe", "RHeel", "LHip", "LKnee", "LAnkle",
    "LBigToe", "LSmallToe", "LHeel", "Neck", "Head", "Nose", "RShoulder", "RElbow", "RWrist",
    "LShoulder", "LElbow", "LWrist",
)  # fmt: skip
MAX_CADENCE_DIFF_SPM = 0.5
MAX_CONTACT_DIFF_FRAMES = 1


@cache
def _sample() -> PoseTrack:
    return load_track(SAMPLE)


@cache
def _sample_analysis() -> Analysis:
    return analyze_track(_sample())


def _point(track: PoseTrack, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(n, 2)`` px and ``(n,)`` confidence of a tool's keypoint (Neck, MidHip, Hip: means)."""
    parts = {
        "Neck": ("left_shoulder", "right_shoulder"),
        "MidHip": ("left_hip", "right_hip"),
        "Hip": ("left_hip", "right_hip"),
        "Head": ("left_ear", "right_ear"),
    }.get(name, (TRC_MARKERS.get(name),))
    if parts == (None,):  # small toes: not in BlazePose
        n = track.sizes["time"]
        return np.full((n, 2), np.nan), np.full(n, np.nan)
    pos = track["position"].sel(keypoint=list(parts)).values.astype(np.float64)
    conf = track["confidence"].sel(keypoint=list(parts)).values.astype(np.float64)
    return pos.mean(axis=1), conf.min(axis=1)


def write_openpose(
    track: PoseTrack, folder: Path, *, layout: tuple[str, ...] = BODY_25, decoy: bool = True
) -> Path:
    """The track as OpenPose ``--write_json`` output: one ``*_keypoints.json`` file per frame.

    With ``decoy``, every third frame also holds a second, less confident person to the left.
    """
    folder.mkdir(parents=True, exist_ok=True)
    points = [_point(track, name) for name in layout]
    detected = track["detected"].values
    for i, frame in enumerate(track["frame"].values):
        flat = []
        for xy, c in points:
            ok = np.isfinite(xy[i]).all() and np.isfinite(c[i]) and c[i] > 0
            flat += [float(xy[i, 0]), float(xy[i, 1]), float(c[i])] if ok else [0.0, 0.0, 0.0]
        people = []
        if detected[i]:
            people.append(_person(flat))
            if decoy and i % 3 == 0:
                faint = [v - 200.0 if j % 3 == 0 and v else v for j, v in enumerate(flat)]
                faint = [v * 0.3 if j % 3 == 2 else v for j, v in enumerate(faint)]
                people.insert(0, _person(faint))
        doc = {"version": 1.3, "people": people}
        (folder / f"clip_{int(frame):012d}_keypoints.json").write_text(json.dumps(doc))
    return folder


def _person(flat: list[float]) -> dict:
    return {
        "person_id": [-1],
        "pose_keypoints_2d": flat,
        "face_keypoints_2d": [],
        "hand_left_keypoints_2d": [],
        "hand_right_keypoints_2d": [],
        "pose_keypoints_3d": [],
        "face_keypoints_3d": [],
        "hand_left_keypoints_3d": [],
        "hand_right_keypoints_3d": [],
    }


def write_trc(
    track: PoseTrack,
    path: Path,
    *,
    units: str = "m",
    m_per_px: float = 0.002,
    markers: tuple[str, ...] = HALPE_26,
) -> Path:
    """The track as a TRC file laid out as Pose2Sim (``m``) or Sports2D (``px``) write it.

    ``m``: X = x * m_per_px, Y = (image height - y) * m_per_px. ``px``: X = x, Y = -y (Sports2D).
    ``px_up``: X = x, Y = image height - y (gait's own export), written with units ``px``. Z = 0.
    Missing values are empty fields.
    """
    h = track.attrs["image_height_px"]
    cols = []
    for name in markers:
        xy, _ = _point(track, name)
        if units == "px":
            x, y = xy[:, 0], -xy[:, 1]
        elif units == "px_up":
            x, y = xy[:, 0], h - xy[:, 1]
        else:
            x, y = xy[:, 0] * m_per_px, (h - xy[:, 1]) * m_per_px
        cols += [x, y, np.zeros_like(x)]
    data = np.column_stack(cols)
    n, rate = len(data), float(track.attrs["fps"])
    names = "DataRate CameraRate NumFrames NumMarkers Units OrigDataRate OrigDataStartFrame"
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "\t".join((*names.split(), "OrigNumFrames")),
        f"{rate}\t{rate}\t{n}\t{len(markers)}\t{units[:2]}\t{rate}\t0\t{n}",
        "Frame#\tTime\t" + "\t\t\t".join(markers) + "\t\t",
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, len(markers) + 1)),
    ]
    times, frames = track["time"].values, track["frame"].values
    for i in range(n):
        cells = ["" if not np.isfinite(v) else f"{v:.6f}" for v in data[i]]
        lines.append("\t".join([str(int(frames[i]) + 1), f"{times[i]:.6f}", *cells]))
    path.write_text("\n".join(lines) + "\n")
    return path


def _contacts(analysis: Analysis) -> dict[tuple[str, str], np.ndarray]:
    table = analysis.events.table
    return {
        (foot, kind): table[(table["foot"] == foot) & (table["type"] == kind)]["frame"].to_numpy()
        for foot in ("L", "R")
        for kind in ("IC", "TO")
    }


def _assert_same_gait(track: PoseTrack) -> Analysis:
    ref, got = _sample_analysis(), analyze_track(track)
    cad_ref = ref.metrics.metrics["cadence_spm"].value
    cad = got.metrics.metrics["cadence_spm"].value
    assert abs(cad - cad_ref) <= MAX_CADENCE_DIFF_SPM
    expected, found = _contacts(ref), _contacts(got)
    for key, frames in expected.items():
        assert len(found[key]) == len(frames), key
        assert np.abs(found[key] - frames).max() <= MAX_CONTACT_DIFF_FRAMES, key
    return got


# -- OpenPose ---------------------------------------------------------------------------------


def test_openpose_folder_gives_the_sample_gait(tmp_path: Path) -> None:
    folder = write_openpose(_sample(), tmp_path / "json")
    assert is_track_path(folder) and not is_track_path(tmp_path)
    track = load_track(folder, fps=30.0, image_size_px=(720, 1280))
    assert track.attrs["source_format"] == "openpose"
    assert track.attrs["openpose_model"] == "BODY_25"
    assert "fps_assumed" not in track.attrs
    assert track.sizes["keypoint"] == len(KEYPOINTS)
    # the most confident person is kept, not the decoy listed first
    ref = _sample()["position"].sel(keypoint="left_heel").values
    got = track["position"].sel(keypoint="left_heel").values
    np.testing.assert_allclose(got, ref, atol=1e-3, equal_nan=True)
    assert np.isnan(track["position"].sel(keypoint="mouth_left").values).all()
    assert json.loads(track.attrs["person_selection"])["frames_with_several_people"] > 100
    _assert_same_gait(track)


def test_openpose_without_fps_assumes_30_and_says_so(tmp_path: Path) -> None:
    folder = write_openpose(_sample().isel(time=slice(0, 10)), tmp_path / "json", decoy=False)
    track = load_track(folder)
    assert track.attrs["fps_assumed"] == 1 and track.attrs["fps"] == 30.0
    assert track.attrs["image_size_inferred"] == 1
    np.testing.assert_allclose(track["time"].values, np.arange(10) / 30.0)


def test_openpose_coco_without_feet_still_analyses(tmp_path: Path) -> None:
    folder = write_openpose(_sample(), tmp_path / "json", layout=COCO_18, decoy=False)
    track = load_track(folder, fps=30.0, image_size_px=(720, 1280))
    assert track.attrs["openpose_model"] == "COCO_18"
    for name in ("left_heel", "right_heel", "left_foot_index", "right_foot_index"):
        assert np.isnan(track["position"].sel(keypoint=name).values).all()
    analysis = analyze_track(track, AnalysisConfig(view="side_left"))  # must not crash
    assert analysis.events.table.empty  # no feet, no contacts
    assert {"too_few_strides", "running_without_events"} <= {
        q.code for q in analysis.events.quality
    }
    cadence = analysis.metrics.metrics["cadence_spm"].value
    assert abs(cadence - _sample_analysis().metrics.metrics["cadence_spm"].value) <= 0.5


def test_openpose_bad_files_are_one_sentence_errors(tmp_path: Path) -> None:
    folder = tmp_path / "json"
    folder.mkdir()
    (folder / "a_000000000000_keypoints.json").write_text('{"version": 1.3, "people": [')
    with pytest.raises(InvalidTrackError, match=r"is not OpenPose JSON"):
        load_track(folder)
    (folder / "a_000000000000_keypoints.json").write_text(
        json.dumps({"people": [{"pose_keypoints_2d": [1.0, 2.0, 0.5] * 7}]})
    )
    with pytest.raises(InvalidTrackError, match=r"not 25 \(BODY_25\) or 18"):
        load_track(folder)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidTrackError, match=r"folder without OpenPose"):
        load_track(empty)


# -- TRC --------------------------------------------------------------------------------------


def test_pose2sim_trc_in_metres_gives_the_sample_gait(tmp_path: Path) -> None:
    path = write_trc(_sample(), tmp_path / "run.trc", units="m")
    assert is_track_path(path)
    track = load_track(path)
    assert track.attrs["source_format"] == "trc" and track.attrs["trc_units"] == "m"
    assert track.attrs["px_per_m"] == 1000.0 and track.attrs["image_size_from_data"] == 1
    assert track.attrs["fps"] == pytest.approx(30.0)
    # 1 px = 1 mm: the sample's 0.002 m per px become 2 px per px, y still down
    ref = _sample()["position"].sel(keypoint="right_ankle").values.astype(np.float64)
    got = track["position"].sel(keypoint="right_ankle").values.astype(np.float64)
    d = got - 2.0 * ref
    assert np.nanstd(d[:, 0]) < 0.01 and np.nanstd(d[:, 1]) < 0.01
    np.testing.assert_array_equal(track["frame"].values, _sample()["frame"].values)
    _assert_same_gait(track)


def test_sports2d_trc_in_pixels_gives_the_sample_gait(tmp_path: Path) -> None:
    path = write_trc(_sample(), tmp_path / "run.trc", units="px")
    track = load_track(path, image_size_px=(720, 1280))
    assert track.attrs["trc_y_flip"].startswith("-Y")
    # without the size, the same pixels (the image size inferred from them)
    plain = load_track(path)
    assert plain.attrs["trc_y_flip"].startswith("-Y") and plain.attrs["image_size_inferred"] == 1
    ref = _sample()["position"].values
    for loaded in (track, plain):
        feet = loaded["position"].sel(keypoint=["left_heel", "right_foot_index"]).values
        want = _sample()["position"].sel(keypoint=["left_heel", "right_foot_index"]).values
        np.testing.assert_allclose(feet, want, atol=1e-3, equal_nan=True)
    assert np.isnan(track["position"].values).sum() >= np.isnan(ref).sum()
    _assert_same_gait(track)


def test_trc_without_heels_gets_what_it_can(tmp_path: Path) -> None:
    markers = tuple(m for m in HALPE_26 if "Heel" not in m)
    path = write_trc(_sample(), tmp_path / "noheels.trc", units="m", markers=markers)
    track = load_track(path)
    assert np.isnan(track["position"].sel(keypoint=["left_heel", "right_heel"]).values).all()
    assert np.isfinite(track["position"].sel(keypoint="left_foot_index").values).any()
    # without heels the facing direction is unknown: a clear note, no metric, no crash
    unforced = analyze_track(track)
    assert "view_unknown" in {q.code for q in unforced.report.quality}
    assert unforced.metrics.metrics["cadence_spm"].value is None
    # with the view given, the cadence comes from the body's rhythm, and says so
    forced = analyze_track(track, AnalysisConfig(view="side_left"))
    cadence = forced.metrics.metrics["cadence_spm"]
    ref = _sample_analysis().metrics.metrics["cadence_spm"].value
    assert abs(cadence.value - ref) <= MAX_CADENCE_DIFF_SPM
    assert "foot contacts could not be found" in cadence.note


def test_gait_snake_case_trc_names_are_read(tmp_path: Path) -> None:
    sample = _sample().isel(time=slice(0, 20))
    path = tmp_path / "own.trc"
    write_trc(sample, path, units="px_up", markers=("RHip", "RKnee"))
    text = path.read_text().replace("RHip", "right_hip").replace("RKnee", "right_knee")
    path.write_text(text)
    track = load_track(path, image_size_px=(720, 1280))
    assert track.attrs["trc_y_flip"] == "image height - Y"
    got = track["position"].sel(keypoint="right_knee").values
    np.testing.assert_allclose(got, sample["position"].sel(keypoint="right_knee").values, atol=1e-3)


def _tiny_trc(units: str, marker: str, row: str) -> str:
    head = f"PathFileType\t4\nDataRate\tUnits\n30\t{units}\nFrame#\tTime\t{marker}\t\t\n"
    return head + "\t\tX1\tY1\tZ1\n" + row + "\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello\n", r"does not start with a 'PathFileType' line"),
        (_tiny_trc("ft", "RHip", "1\t0\t1\t2\t0"), r"units 'ft' are not px, m, cm or mm"),
        (_tiny_trc("m", "Foo", "1\t0\t1\t2\t0"), r"none of its markers \['Foo'\] is a known name"),
        (_tiny_trc("m", "RHip", "1\t0\tabc\t2\t0"), r"non-numeric value"),
    ],
)
def test_bad_trc_files_are_one_sentence_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.trc"
    path.write_text(text)
    with pytest.raises(InvalidTrackError, match=r"^Cannot read track 'bad.trc': .*" + message):
        load_track(path)


def test_foreign_formats_are_read_only(tmp_path: Path) -> None:
    with pytest.raises(InvalidTrackError, match=r"'.trc' files are read only; use .nc or .csv\."):
        save_track(_sample(), tmp_path / "out.trc")
    assert not (tmp_path / "out.trc").exists()
