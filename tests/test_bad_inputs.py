"""Bad input at the command line, as a user types it.

Every case ends with exit code 1 and one line on stderr that says what is wrong (no traceback), before any
work is done.

A representative table of what a hardening review threw at the CLI: missing, odd and broken files,
clips whose timestamps cannot be trusted, out-of-range options, output paths that cannot be written,
bad rules files and bad track files. No case runs the pose model (each is a second or two).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_CLIP, SAMPLE_TRACK
from tests.video.conftest import joined_segments, moving_frames, mux_packets, write_clip


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gait.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


def _csv_track(src: Path, dst: Path, **header: str) -> Path:
    """The sample track as CSV, with header lines ``# key: value`` replaced (or added)."""
    from gait.track import load_track, save_track

    save_track(load_track(src), dst)
    lines = dst.read_text().splitlines()
    for key, value in header.items():
        lines = [ln for ln in lines if not ln.startswith(f"# {key}:")]
        lines.insert(0, f"# {key}: {value}")
    dst.write_text("\n".join(lines) + "\n")
    return dst


def _audio_only(path: Path) -> Path:
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=44100)
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(
                (0.1 * np.sin(np.arange(1024) * 0.05 + i)).astype(np.float32)[None, :], format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 44100, i * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of bad inputs (and one good track, ``t.nc``), made once for the module."""
    d = tmp_path_factory.mktemp("bad")
    (d / "t.nc").write_bytes(SAMPLE_TRACK.read_bytes())
    (d / "folder").mkdir()
    (d / "empty.mp4").write_bytes(b"")
    (d / "text.mp4").write_text("these are not the frames you are looking for\n" * 50)
    (d / "cut_no_index.mp4").write_bytes(SAMPLE_CLIP.read_bytes()[: SAMPLE_CLIP.stat().st_size // 2])
    faststart = write_clip(d / "long.mp4", moving_frames(90, 64, 64), options={"movflags": "faststart"})
    (d / "cut_index.mp4").write_bytes(faststart.read_bytes()[: faststart.stat().st_size // 2])
    _audio_only(d / "voice.m4a")
    os.mkfifo(d / "pipe.mp4")
    (d / "loop_a.mp4").symlink_to(d / "loop_b.mp4")
    (d / "loop_b.mp4").symlink_to(d / "loop_a.mp4")
    (d / "dangling.mp4").symlink_to(d / "gone.mp4")
    locked = write_clip(d / "locked.mp4", moving_frames(5, 64, 64))
    locked.chmod(0)
    joined_segments(d / "joined.mp4")
    frames = moving_frames(30, 64, 64) + moving_frames(30, 64, 64, seed=1)
    mux_packets(d / "restart.mp4", frames, [(i % 30) * 2000 for i in range(60)], [i - 100 for i in range(60)])
    repeats = [(i * 71 // 120) * 2000 + 1000 for i in range(120)]
    mux_packets(d / "repeats.mp4", moving_frames(120, 64, 64), repeats, list(range(120)))
    times = [i / 30 for i in range(30)] + [60 + i / 30 for i in range(30)]
    write_clip(d / "gap.mkv", moving_frames(60, 64, 64), times_s=times)
    (d / "a_file").write_text("not a folder")
    (d / "taken.nc").mkdir()
    # rules files
    (d / "not_toml.toml").write_text("this is [not toml\n")
    (d / "v99.toml").write_text("schema_version = 99\n[thresholds]\nlow_step_rate = 160\n")
    (d / "unknown_key.toml").write_text("colour = 'red'\n")
    (d / "bad_metric.toml").write_text("[[rule]]\ncode = 'low_step_rate'\nmetric = 'speed_of_light'\n")
    (d / "rules_dir.toml").mkdir()
    # track files
    _csv_track(SAMPLE_TRACK, d / "zero_image.csv", image_width_px="0", image_height_px="0")
    _csv_track(SAMPLE_TRACK, d / "tiny_image.csv", image_width_px="16", image_height_px="16")
    _csv_track(SAMPLE_TRACK, d / "zero_fps.csv", fps="0")
    (d / "garbage.nc").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    (d / "no_landmarks.csv").write_text("frame,time_s,speed\n0,0.0,1\n1,0.033,1\n")
    (d / "empty.csv").write_text("")
    (d / "latin1.csv").write_bytes("frame,time_s,caf\xe9_x\n0,0,1\n".encode("latin-1"))
    from gait.track import load_track, save_track

    save_track(load_track(SAMPLE_TRACK).isel(time=slice(0, 20)), d / "short.nc")
    # batch inputs
    (d / "clips").mkdir()
    (d / "clips" / "x.mp4").write_text("not a video")
    (d / "manifest_bad_slowmo.csv").write_text("path,slowmo_factor\nt.nc,0.5\n")
    os.mkfifo(d / "pipe.csv")
    return d


T = ("analyze", "{d}/t.nc", "-o", "{o}", "--no-video")

#: (id, command line with {d} for the folder of bad inputs and {o} for an output path of the case's
#: own, a phrase the one line must contain)
CASES = [
    # files that are not videos, or not files
    ("missing", ("analyze", "{d}/nope.mp4", "-o", "{o}"), "does not exist; check the path"),
    ("directory", ("analyze", "{d}/folder", "-o", "{o}"), "is a folder, not a video file"),
    ("empty", ("analyze", "{d}/empty.mp4", "-o", "{o}"), "is empty (0 bytes)"),
    ("text-as-mp4", ("analyze", "{d}/text.mp4", "-o", "{o}"), "is not a readable video"),
    ("truncated-no-index", ("analyze", "{d}/cut_no_index.mp4", "-o", "{o}"), "corrupt, truncated"),
    ("truncated-index", ("analyze", "{d}/cut_index.mp4", "-o", "{o}"), "is truncated: its index lists 90 frames"),
    ("audio-only", ("analyze", "{d}/voice.m4a", "-o", "{o}"), "has no video stream (it holds audio streams)"),
    ("fifo", ("analyze", "{d}/pipe.mp4", "-o", "{o}"), "is a named pipe (FIFO), not a video file"),
    ("dev-zero", ("analyze", "/dev/zero", "-o", "{o}"), "is a character device (like /dev/zero), not a video file"),
    ("proc-file", ("analyze", "/proc/self/status", "-o", "{o}"), "is not a regular file (a system file"),
    ("symlink-loop", ("analyze", "{d}/loop_a.mp4", "-o", "{o}"), "is a symbolic-link loop"),
    ("dangling-link", ("analyze", "{d}/dangling.mp4", "-o", "{o}"), "gone.mp4', which does not exist"),
    ("unreadable", ("analyze", "{d}/locked.mp4", "-o", "{o}"), "cannot be read (permission denied)"),
    ("track-to-pose", ("pose", "{d}/t.nc", "-o", "{o}.nc"), "is a pose track, not a video clip"),
    # timestamps that give no frame times
    ("joined-recordings", ("analyze", "{d}/joined.mp4", "-o", "{o}"), "has timestamps that jump back by"),
    ("restarting-mp4", ("analyze", "{d}/restart.mp4", "-o", "{o}"), "jump back by 0.97 s after frame 30 of 60"),
    ("repeated-times", ("analyze", "{d}/repeats.mp4", "-o", "{o}"), "gives 49 of its 120 frames the same timestamp"),
    ("long-gap", ("analyze", "{d}/gap.mkv", "-o", "{o}"), "59.0 s gap in its timestamps"),
    # option values
    ("slowmo-0", (*T, "--slowmo-factor", "0"), "--slowmo-factor 0 is outside the range from 1 to 64"),
    ("slowmo-negative", (*T, "--slowmo-factor", "-1"), "--slowmo-factor -1 is outside the range from 1 to 64"),
    ("slowmo-nan", (*T, "--slowmo-factor", "nan"), "--slowmo-factor nan is not a finite number"),
    ("slowmo-inf", (*T, "--slowmo-factor", "inf"), "--slowmo-factor inf is not a finite number"),
    ("slowmo-1e9", (*T, "--slowmo-factor", "1e9"), "--slowmo-factor 1e+09 is outside the range"),
    ("slowmo-for-a-track", (*T, "--slowmo-factor", "8"), "is a pose track, whose times are already real-world seconds"),
    (
        "slowmo-for-a-rear-track",
        ("analyze", "{d}/t.nc", "{d}/t.nc", "-o", "{o}", "--slowmo-factor", "4"),
        "is a pose track",
    ),
    (
        "pose-slowmo-0",
        ("pose", str(SAMPLE_CLIP), "-o", "{o}.nc", "--slowmo-factor", "0"),
        "--slowmo-factor 0 is outside",
    ),
    ("height-low", (*T, "--height-cm", "10"), "--height-cm 10 is outside the range from 50 to 250"),
    ("height-text", (*T, "--height-cm", "tall"), "Invalid value for '--height-cm'"),
    ("view", (*T, "--view", "diagonal"), "Unknown view 'diagonal'; use one of side_left"),
    ("workers-0", (*T, "--workers", "0"), "Invalid value for '--workers'"),
    ("unknown-option", (*T, "--colour", "red"), "No such option: --colour"),
    ("missing-output", ("analyze", "{d}/t.nc"), "Missing option '-o' / '--output'"),
    ("missing-argument", ("analyze",), "Missing argument"),
    # output paths
    ("output-is-a-file", ("analyze", "{d}/t.nc", "-o", "{d}/a_file"), "Output folder '{d}/a_file' is an existing file"),
    ("output-under-a-file", ("analyze", "{d}/t.nc", "-o", "{d}/a_file/out"), "'{d}/a_file' is a file, not a folder"),
    ("output-etc-hostname", ("analyze", "{d}/t.nc", "-o", "/etc/hostname"), "is an existing file, not a folder"),
    (
        "output-in-proc",
        ("analyze", "{d}/t.nc", "-o", "/proc/nope/out"),
        "Cannot create the output folder '/proc/nope/out'",
    ),
    (
        "pose-output-no-folder",
        ("pose", str(SAMPLE_CLIP), "-o", "{d}/none/x.nc"),
        "the folder '{d}/none' does not exist",
    ),
    ("pose-output-is-a-folder", ("pose", str(SAMPLE_CLIP), "-o", "{d}/taken.nc"), "is a folder; give -o a file name"),
    ("pose-output-suffix", ("pose", str(SAMPLE_CLIP), "-o", "{d}/x.txt"), "use a .nc or .csv file name"),
    # rules files
    ("rules-missing", (*T, "--rules", "{d}/nope.toml"), "Rules file {d}/nope.toml does not exist"),
    ("rules-folder", (*T, "--rules", "{d}/rules_dir.toml"), "is a folder, not a file"),
    ("rules-not-toml", (*T, "--rules", "{d}/not_toml.toml"), "is not valid TOML"),
    ("rules-schema-99", (*T, "--rules", "{d}/v99.toml"), "has schema_version = 99, but this version of gait reads"),
    ("rules-unknown-key", (*T, "--rules", "{d}/unknown_key.toml"), "unknown top-level key 'colour'"),
    ("rules-unknown-metric", (*T, "--rules", "{d}/bad_metric.toml"), "names unknown metric 'speed_of_light'"),
    ("rules-fifo", (*T, "--rules", "{d}/pipe.mp4"), "is a named pipe (FIFO)"),
    # track files
    ("track-0x0", ("analyze", "{d}/zero_image.csv", "-o", "{o}"), "declares an image of 0 x 0 px"),
    ("track-16x16", ("analyze", "{d}/tiny_image.csv", "-o", "{o}"), "lie far outside the 16 x 16 px image it declares"),
    ("track-fps-0", ("analyze", "{d}/zero_fps.csv", "-o", "{o}"), "frame rate (0 fps) is not a positive number"),
    ("track-garbage", ("analyze", "{d}/garbage.nc", "-o", "{o}"), "is not a readable NetCDF4 file"),
    ("track-no-landmarks", ("analyze", "{d}/no_landmarks.csv", "-o", "{o}"), "has no landmark columns"),
    ("track-empty", ("analyze", "{d}/empty.csv", "-o", "{o}"), "the file is empty"),
    ("track-not-utf8", ("analyze", "{d}/latin1.csv", "-o", "{o}"), "is not UTF-8 text"),
    ("track-too-short", ("analyze", "{d}/short.nc", "-o", "{o}"), "record at least"),
    ("track-missing", ("analyze", "{d}/nope.nc", "-o", "{o}"), "the file does not exist"),
    # batch
    ("batch-missing-input", ("batch", "{d}/nowhere", "-o", "{o}"), "does not exist; give a folder of clips"),
    ("batch-slowmo-0", ("batch", "{d}/clips", "-o", "{o}", "--slowmo-factor", "0"), "--slowmo-factor 0 is outside"),
    (
        "batch-manifest-slowmo",
        ("batch", "{d}/manifest_bad_slowmo.csv", "-o", "{o}"),
        "line 2: slowmo_factor 0.5 is outside",
    ),
    ("batch-output-is-a-file", ("batch", "{d}/clips", "-o", "{d}/a_file"), "is an existing file, not a folder"),
    ("batch-manifest-fifo", ("batch", "{d}/pipe.csv", "-o", "{o}"), "is a named pipe (FIFO)"),
]


@pytest.mark.parametrize(("args", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_code_1(d: Path, args: tuple[str, ...], phrase: str, request) -> None:
    case = request.node.callspec.id
    if case == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads any file")
    if case in ("proc-file", "output-in-proc") and not Path("/proc/self/status").exists():
        pytest.skip("no /proc on this system")
    if case == "output-etc-hostname" and not Path("/etc/hostname").is_file():
        pytest.skip("no /etc/hostname on this system")
    out = d / f"out-{case}"  # each case its own output path: nothing may be written there
    result = _run(*(a.format(d=d, o=out) for a in args), cwd=d)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gait: error: ") and "Traceback" not in result.stderr
    assert phrase.format(d=d) in lines[0]
    assert lines[0].endswith("."), lines[0]
    assert not out.exists() and not out.with_suffix(".nc").exists()  # refused before any work was done


def test_a_gap_in_the_runner_prints_no_numpy_warning(d: Path, tmp_path: Path) -> None:
    """A track whose runner is missing for over 0.1 s prints no numpy warning; the analysis itself is fine.

    A 16x16 clip is one such track; it printed numpy's 'Mean of empty slice' twice.
    """
    import numpy as np

    from gait.track import load_track, save_track

    track = load_track(SAMPLE_TRACK).copy(deep=True)
    track["position"][100:140] = np.nan
    track["confidence"][100:140] = np.nan
    track["detected"][100:140] = False
    save_track(track, tmp_path / "gap.nc")
    result = _run("analyze", str(tmp_path / "gap.nc"), "-o", str(tmp_path / "out"), "--no-video", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Mean of empty slice" not in result.stderr, result.stderr
