"""Batch inputs: folder scans and manifest CSVs."""

from __future__ import annotations

from pathlib import Path

import pytest

from gait.batch import BatchInputError, load_input, read_manifest, scan_folder
from gait.errors import GaitError


def _touch(root: Path, *names: str) -> None:
    for n in names:
        p = root / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")


def test_scan_finds_videos_recursively_sorted_case_insensitive(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "b/z.MP4",
        "a/y.mov",
        "a/deep/x.webm",
        "c.m4v",
        "d.avi",
        "e.mkv",
        "notes.txt",
        "a/t.track.nc",
        "ann.csv",
    )
    entries = scan_folder(tmp_path)
    assert [e.label for e in entries] == [
        "a/deep/x.webm",
        "a/y.mov",
        "b/z.MP4",
        "c.m4v",
        "d.avi",
        "e.mkv",
    ]
    assert all(e.path.is_absolute() and e.is_video for e in entries)


def test_scan_tracks_takes_nc_never_csv(tmp_path: Path) -> None:
    _touch(tmp_path, "a.mp4", "t/a.track.nc", "t/a.csv")
    assert [e.label for e in scan_folder(tmp_path, inputs="tracks")] == ["t/a.track.nc"]
    assert [e.label for e in scan_folder(tmp_path, inputs="both")] == ["a.mp4", "t/a.track.nc"]


def test_scan_skips_hidden_files_folders_and_the_output_folder(tmp_path: Path) -> None:
    _touch(tmp_path, "a.mp4", "._a.mp4", ".cache/b.mp4", "results/clips/x/overlay.mp4")
    assert [e.label for e in scan_folder(tmp_path, exclude=[tmp_path / "results"])] == ["a.mp4"]


def test_scan_empty_folder_is_a_one_line_error(tmp_path: Path) -> None:
    _touch(tmp_path, "readme.txt")
    with pytest.raises(BatchInputError, match=r"No video files found in .*mp4"):
        scan_folder(tmp_path)


def test_manifest_columns_relative_paths_and_extras(tmp_path: Path) -> None:
    _touch(tmp_path, "data/a.mp4")
    m = tmp_path / "m" / "manifest.csv"
    m.parent.mkdir()
    m.write_text(
        "path,subject,session,view,height_cm,treadmill_speed_mps,slowmo_factor,shoe\n"
        "../data/a.mp4,S01,pre,rear,178,3.5,,Nike\n"
        f"{tmp_path / 'data/b.mov'},S02,,,,,8,\n"
    )
    a, b = read_manifest(m)
    assert a.path == (tmp_path / "data/a.mp4").resolve() and a.label == "../data/a.mp4"
    assert (a.subject, a.session, a.view, a.height_cm, a.treadmill_speed_mps, a.slowmo_factor) == (
        "S01",
        "pre",
        "rear",
        178.0,
        3.5,
        None,
    )
    assert a.extra == (("shoe", "Nike"),)
    assert b.path == tmp_path / "data/b.mov" and b.session is None and b.slowmo_factor == 8.0
    assert b.extra == (("shoe", ""),)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("clip\na.mp4\n", r"not a manifest: it has no 'path' column \(columns: clip\)"),
        ("path,height_cm\na.mp4,tall\n", r"m.csv line 2: height_cm 'tall' is not a number"),
        ("path,height_cm\na.mp4,170\nb.mp4,1.8\n", r"m.csv line 3: height_cm 1.8 is outside"),
        ("path,view\na.mp4,sideways\n", r"line 2: view 'sideways' is not one of side_left"),
        ("path,slowmo_factor\na.mp4,0\n", r"slowmo_factor 0 is outside"),
        ("path\n\n", r"lists no clips"),
        ("path,subject\n,S1\n", r"line 2: the path is empty"),
        ("path,clip_id\na.mp4,x\n", r"clip_id clash with output columns"),
        ("path,rear_sha256\na.mp4,x\n", r"rear_sha256 clash with output columns"),
        ("path,rear,view\na.mp4,b.mp4,sideways\n", r"line 2: view 'sideways' is not one of"),
    ],
)
def test_manifest_errors_name_the_row(tmp_path: Path, body: str, message: str) -> None:
    m = tmp_path / "m.csv"
    m.write_text(body)
    with pytest.raises(BatchInputError, match=message) as info:
        read_manifest(m)
    assert isinstance(info.value, GaitError) and "\n" not in str(info.value)


def test_manifest_rear_column_is_a_path_like_path(tmp_path: Path) -> None:
    m = tmp_path / "m" / "manifest.csv"
    m.parent.mkdir()
    m.write_text(
        f"path,rear,shoe\n../v/side.mp4,../v/rear.mov,A\nb.nc,,B\nc.mp4,{tmp_path / 'r.nc'},C\n"
    )
    a, b, c = read_manifest(m)
    assert a.rear == (tmp_path / "v/rear.mov").resolve() and a.rear_label == "../v/rear.mov"
    assert a.extra == (("shoe", "A"),)  # rear is a known column, not carried as an extra
    assert (b.rear, b.rear_label) == (None, None) and not b.is_video
    assert c.rear == tmp_path / "r.nc" and c.is_video
    # a track with a rear video needs the pose model, as a video does
    assert read_manifest(_write(tmp_path / "n.csv", "path,rear\nside.nc,rear.mp4\n"))[0].is_video


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_manifest_with_bom_and_spaces(tmp_path: Path) -> None:
    m = tmp_path / "m.csv"
    m.write_bytes("\ufeffpath , subject\n a.mp4 , S1 \n".encode())
    (e,) = read_manifest(m)
    assert e.label == "a.mp4" and e.subject == "S1"


def test_load_input_dispatches_and_rejects_single_clips(tmp_path: Path) -> None:
    _touch(tmp_path, "a.mp4")
    assert len(load_input(tmp_path)) == 1
    with pytest.raises(BatchInputError, match="neither a folder nor a manifest CSV"):
        load_input(tmp_path / "a.mp4")
    with pytest.raises(BatchInputError, match="does not exist"):
        load_input(tmp_path / "nope")
    with pytest.raises(BatchInputError, match="Manifest .* does not exist"):
        load_input(tmp_path / "nope.csv")
