"""Open a video file and read what we need to know before decoding: streams, rotation, frame times."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from gait.bounds import check_option
from gait.errors import VideoReadError, file_problem
from gait.notes import QualityNote

#: Metadata keys that phones use for the true capture rate of a slow-motion clip, in order of
#: preference: Android's camera writes ``com.android.capture.fps`` into the MP4 ``udta/meta`` keys
#: (FFmpeg shows it as a container tag), Apple's ``com.apple.quicktime.*`` keys are QuickTime
#: ``mdta`` keys (container or track); the last two are what other tools write (Matroska tags).
_CAPTURE_FPS_KEYS = (
    "com.android.capture.fps",
    "com.apple.quicktime.capture-fps",
    "com.apple.quicktime.capture.fps",
    "capture_fps",
    "capture-fps",
)
#: Capture rates outside this range in metadata are taken as garbage and ignored.
_CAPTURE_FPS_RANGE = (1.0, 10000.0)

#: A slow-motion factor is taken from metadata only when capture rate / playback rate exceeds this.
_SLOWMO_MIN_RATIO = 1.5
#: Frames missing from a file (truncation) or repeating another frame's timestamp that are
#: tolerated: this many, or this fraction of the frames, whichever is more.
_TOLERATED_MISSING = 2
_TOLERATED_FRACTION = 0.02
#: Codecs reorder frames (B-frames) by a few frame intervals; a timestamp further back than this many
#: intervals below the highest one so far is a jump back (a joined recording), not reordering.
_REORDER_FRAMES = 16
#: A gap between consecutive frames longer than both of these is a discontinuity (a paused or joined
#: recording), not a dropped frame: phones drop frames for at most a few hundred milliseconds.
_GAP_FRAMES = 20
_MAX_GAP_S = 2.0
#: Stands for a packet without a decode timestamp (decode timestamps may be negative).
_NO_DTS = np.iinfo(np.int64).min


@dataclass(frozen=True)
class VideoMeta:
    """What a video file holds, as read before decoding.

    Times are real-world seconds: media times divided by ``slowmo_factor``, first frame at 0.
    Width and height are those of the *displayed* frame, i.e. after ``rotation_deg``.
    """

    path: str
    container: str
    codec: str
    width_px: int
    height_px: int
    rotation_deg: int
    """Clockwise rotation (0, 90, 180, 270) applied to stored frames to display them."""
    nominal_fps: float
    """The stream's declared playback rate (media time)."""
    capture_fps: float | None
    """Capture rate from phone metadata, when the file has it."""
    slowmo_factor: float
    """Capture rate / playback rate; 1 for ordinary video."""
    frame_pts: np.ndarray
    """Presentation timestamps of the frames, in stream time-base units, sorted (demux order)."""
    time_base: float
    """Seconds per pts unit (media time)."""
    frame_times_s: np.ndarray
    """Real-world time of each frame, seconds from the first frame."""
    slowmo_source: str = "none"
    """Where ``slowmo_factor`` comes from: ``"given"`` (by the caller), ``"metadata"`` (capture rate
    in the file above the playback rate) or ``"none"`` (ordinary video, factor 1)."""
    new_frames: np.ndarray | None = None
    """Per frame, True for a new picture of a frame-rate-converted export (repeated or blended
    images), set by :func:`gait.video.mark_new_frames`; ``None``: every frame is new."""
    frame_conversion: str | None = None
    """``"repeated"`` or ``"blended"`` when ``new_frames`` is set, else ``None``."""

    @property
    def n_frames(self) -> int:
        return len(self.frame_pts)

    @property
    def n_new_frames(self) -> int:
        """Frames that are new pictures (all of them unless ``new_frames`` is set)."""
        return self.n_frames if self.new_frames is None else int(self.new_frames.sum())

    def _used_times_s(self) -> np.ndarray:
        return self.frame_times_s if self.new_frames is None else self.frame_times_s[self.new_frames]

    @property
    def duration_s(self) -> float:
        """Real-world duration, first to last frame plus one frame interval."""
        if self.n_frames == 0:
            return 0.0
        return float(self.frame_times_s[-1] + 1.0 / self.fps)

    @property
    def fps(self) -> float:
        """Real-world frame rate: median of the frame-time differences (nominal if one frame).

        With ``new_frames`` set, the rate of the new pictures (30 for a 30 fps recording exported
        with every picture shown four times at 120 fps).
        """
        times = self._used_times_s()
        if len(times) < 2:
            return self.nominal_fps * self.slowmo_factor
        return float(1.0 / np.median(np.diff(times)))

    @property
    def variable_frame_rate(self) -> bool:
        """True when frame intervals (of the new pictures) differ by more than 10 % from their median."""
        times = self._used_times_s()
        if len(times) < 3:
            return False
        d = np.diff(times)
        return bool(np.any(np.abs(d - np.median(d)) > 0.1 * np.median(d)))


def file_sha256(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_bytes):
            h.update(block)
    return h.hexdigest()


def check_video_file(path: str | Path) -> Path:
    """``path`` as a Path when it is a readable, non-empty regular file; else a one-sentence VideoReadError.

    Nothing is opened that could block (a named pipe) or never end (``/dev/zero``).
    """
    p = Path(path)
    problem = file_problem(p)
    if problem is None:
        return p
    if problem.what == "does not exist":
        raise VideoReadError(f"Video file '{p}' does not exist; check the path.")
    if problem.what.startswith("is a folder"):
        raise VideoReadError(f"'{p}' is a folder, not a video file; give the path of a clip.")
    if problem.what.startswith("is empty"):
        raise VideoReadError(f"Video file '{p.name}' is empty (0 bytes); copy or export the clip again.")
    if problem.what.startswith("is a") and "regular file" in problem.what:
        what = problem.what.replace("not a regular file", "not a video file")
        raise VideoReadError(f"'{p}' {what}; give the path of a video clip.")
    raise VideoReadError(f"Video file '{p}' {problem.what}; {problem.fix}.")


def open_container(path: str | Path) -> av.container.InputContainer:
    """Open a media file with PyAV, turning every failure into a one-sentence VideoReadError."""
    p = check_video_file(path)
    try:
        return av.open(str(p), metadata_errors="ignore")
    except PermissionError as err:
        raise VideoReadError(
            f"Video file '{p}' cannot be read (permission denied); check the file's permissions."
        ) from err
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise VideoReadError(
            f"'{p.name}' is not a readable video (the file is corrupt, truncated or of another type); "
            "export it again as MP4, MOV, MKV, AVI or WebM."
        ) from err


def _time_base(stream: av.video.stream.VideoStream, name: str) -> float:
    """The stream's time base in seconds, or a VideoReadError for a stream without one."""
    if stream.time_base is None:
        raise VideoReadError(f"'{name}' has a video stream without a time base; re-export or convert the clip.")
    return float(stream.time_base)


def video_stream(container: av.container.InputContainer, name: str) -> av.video.stream.VideoStream:
    """The first video stream, or a VideoReadError for audio-only and other stream-less files."""
    if not container.streams.video:
        kinds = sorted({str(s.type) for s in container.streams}) or ["no"]
        raise VideoReadError(
            f"'{name}' has no video stream (it holds {', '.join(kinds)} streams); "
            "give a video clip, not an audio or data file."
        )
    return container.streams.video[0]


def _tag_rate(value: object) -> float | None:
    """A frame rate from a metadata value: ``"240"``, ``"240.000000"``, ``"240000/1001"``; else None."""
    try:
        text = str(value).strip().split()[0]
        rate = float(Fraction(text)) if "/" in text else float(text)
    except (ValueError, ZeroDivisionError, IndexError):
        return None
    lo, hi = _CAPTURE_FPS_RANGE
    return rate if math.isfinite(rate) and lo <= rate <= hi else None


def _tag_key(key: str) -> str:
    """A metadata key as compared: lower case, without a QuickTime language suffix (``-eng``)."""
    k = key.strip().lower()
    base, _, lang = k.rpartition("-")
    return base if base in _CAPTURE_FPS_KEYS and len(lang) == 3 and lang.isalpha() else k


def capture_fps_from_tags(*tags: Mapping[str, object]) -> float | None:
    """The capture rate a phone stored in metadata tags, or ``None``.

    Parameters
    ----------
    *tags
        Tag dictionaries in order of trust, e.g. the video stream's ``metadata`` and then the
        container's (as PyAV exposes them). Keys are matched without regard to case or a language
        suffix; values that are not a rate between 1 and 10000 fps are skipped.
    """
    for key_wanted in _CAPTURE_FPS_KEYS:
        for meta in tags:
            for key, value in meta.items():
                if _tag_key(key) == key_wanted and (rate := _tag_rate(value)) is not None:
                    return rate
    return None


def slowmo_from_capture(capture_fps: float | None, playback_fps: float) -> float | None:
    """Slow-motion factor implied by a capture rate above the playback rate, or ``None``.

    ``None`` when there is no capture rate or it is not more than :data:`_SLOWMO_MIN_RATIO` times the
    playback rate (a 240 fps phone original stored at 240 fps plays in real time).
    """
    if capture_fps is None or not (playback_fps > 0):
        return None
    ratio = capture_fps / playback_fps
    return float(ratio) if ratio > _SLOWMO_MIN_RATIO else None


def _capture_fps(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float | None:
    return capture_fps_from_tags(dict(stream.metadata), dict(container.metadata))


def slowmo_note(meta: VideoMeta) -> QualityNote | None:
    """A note saying where the slow-motion factor came from when it was read from the file, else None.

    Also notes a factor given by the caller that differs from the one the file's metadata implies.
    """
    implied = slowmo_from_capture(meta.capture_fps, meta.nominal_fps)
    if meta.slowmo_source == "metadata":
        return QualityNote(
            "slowmo_from_metadata",
            f"Slow motion read from the clip: captured at {meta.capture_fps:.0f} fps and played at "
            f"{meta.nominal_fps:.0f} fps, so times were divided by {meta.slowmo_factor:.3g}; give "
            "--slowmo-factor 1 if the clip was exported at normal speed.",
        )
    if meta.slowmo_source == "given" and implied is not None and abs(implied / meta.slowmo_factor - 1) > 0.05:
        return QualityNote(
            "slowmo_differs_from_metadata",
            f"The slow-motion factor given ({meta.slowmo_factor:.3g}) differs from the one the clip's "
            f"metadata implies ({implied:.3g}: captured at {meta.capture_fps:.0f} fps, played at "
            f"{meta.nominal_fps:.0f} fps); the factor given was used.",
        )
    return None


def _demux_pts(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """(pts, dts) of the video packets shown, in file order, without decoding (cheap).

    dts is :data:`_NO_DTS` where missing. Packets an edit list hides (a trimmed clip's cut-off frames:
    decoded, never shown) are left out.
    """
    pts: list[int] = []
    dts: list[int] = []
    try:
        for packet in container.demux(stream):
            if packet.size > 0 and packet.pts is not None and not packet.is_discard:
                pts.append(packet.pts)
                dts.append(_NO_DTS if packet.dts is None else packet.dts)
    except av.error.FFmpegError as err:
        if not pts:
            raise VideoReadError(
                f"'{name}' could not be read (corrupt or truncated video data); export the clip again."
            ) from err
    return np.asarray(pts, dtype=np.int64), np.asarray(dts, dtype=np.int64)


def _median_step(sorted_pts: np.ndarray) -> float:
    steps = np.diff(sorted_pts)
    steps = steps[steps > 0]
    return float(np.median(steps)) if len(steps) else 1.0


def frame_timeline(pts: np.ndarray, dts: np.ndarray, time_base: float, name: str) -> np.ndarray:
    """The frames' presentation timestamps in order, from the packets' ``pts`` and ``dts`` in file order.

    Reordering by the codec (B-frames) is normal; a few repeated timestamps are dropped. Timestamps
    that jump back (two recordings joined, e.g. MPEG-TS segments concatenated), that repeat for many
    frames, or that jump forward by a long gap give no trustworthy frame times: VideoReadError.
    """
    n = len(pts)
    unique = np.unique(pts)  # sorted presentation order
    if n < 2:
        return unique
    step = _median_step(unique)
    tolerance = _REORDER_FRAMES * step
    highest = np.maximum.accumulate(pts)[:-1]
    back = highest - pts[1:]
    has_dts = (dts[:-1] != _NO_DTS) & (dts[1:] != _NO_DTS)
    back_dts = np.zeros(n - 1, dtype=np.int64)
    back_dts[has_dts] = dts[:-1][has_dts] - dts[1:][has_dts]
    jumps = np.flatnonzero((back > tolerance) | (back_dts > tolerance))
    if len(jumps):
        i = int(jumps[0])
        seconds = max(back[i], back_dts[i]) * time_base
        raise VideoReadError(
            f"'{name}' has timestamps that jump back by {seconds:.2f} s after frame {i + 1} of {n} "
            "(two recordings joined into one file, or a damaged file), so its frame times are unknown; "
            "export it again as one continuous recording, or analyse each part as a file of its own."
        )
    repeats = n - len(unique)
    if repeats > max(_TOLERATED_MISSING, _TOLERATED_FRACTION * n):
        raise VideoReadError(
            f"'{name}' gives {repeats} of its {n} frames the same timestamp as another frame, so its frame "
            "times are unknown; export the clip again (at a constant frame rate, for example) and try again."
        )
    gaps = np.diff(unique)
    long_gap = max(_GAP_FRAMES * step, _MAX_GAP_S / time_base)
    big = np.flatnonzero(gaps > long_gap)
    if len(big):
        j = int(big[0])
        raise VideoReadError(
            f"'{name}' has a {gaps[j] * time_base:.1f} s gap in its timestamps after frame {j + 1} of "
            f"{len(unique)} (a paused or joined recording, or a damaged file), so its frame times are "
            "unknown; export it again as one continuous recording, or analyse each part as a file of its own."
        )
    return unique


def _check_hidden_frames(path: Path, listed: int) -> None:
    """An MP4/MOV whose index lists more frames than it plays: truncated, or an edit list hiding frames.

    Read again without the edit list: when the frames are all there, either their timestamps are
    broken (they jump back, so the edit list cannot show them all: :func:`frame_timeline` says so) or
    the edit list hides some on purpose (a trimmed clip, whose shown frames are analysed). When
    they are not there, the file is truncated.
    """
    with av.open(str(path), metadata_errors="ignore", options={"ignore_editlist": "1"}) as container:
        stream = video_stream(container, path.name)
        pts, dts = _demux_pts(container, stream, path.name)
        time_base = _time_base(stream, path.name)
    if len(pts) >= listed - max(_TOLERATED_MISSING, _TOLERATED_FRACTION * listed):
        frame_timeline(pts, dts, time_base, path.name)
        return
    raise VideoReadError(
        f"'{path.name}' is truncated: its index lists {listed} frames but only {len(pts)} are in the "
        "file; copy or export the clip again."
    )


def _rotation_from_first_frame(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> tuple[int, int, int]:
    """(rotation_deg clockwise, stored width, stored height) from the first decodable frame.

    Decodes from where a freshly opened container stands (the start): seeking to the stream's start
    time first lands past the first key frame in MPEG-TS files with B-frames, and decodes nothing.
    """
    for frame in container.decode(stream):
        ccw = int(round(getattr(frame, "rotation", 0) or 0))
        return (-ccw) % 360, frame.width, frame.height
    raise av.error.InvalidDataError(1094995529, "no decodable frame")


def probe_video(path: str | Path, *, slowmo_factor: float | None = None) -> VideoMeta:
    """Read a video's streams, rotation and per-frame timestamps.

    Parameters
    ----------
    path
        The clip (mp4, mov, avi, mkv, webm, ...; any codec FFmpeg decodes).
    slowmo_factor
        Capture rate divided by playback rate for slow-motion clips (e.g. 8 for 240 fps played at
        30 fps); it wins over metadata. ``None`` takes it from phone metadata
        (:func:`capture_fps_from_tags`) when the capture rate there is above the playback rate, else
        1; ``VideoMeta.slowmo_source`` says which (:func:`slowmo_note` words it for the report).

    Raises
    ------
    VideoReadError
        Missing, empty, corrupt, truncated, non-video or audio-only files; paths that are not
        regular files (folders, named pipes, devices, link loops); clips whose timestamps jump
        back, repeat or jump forward by a long gap (:func:`frame_timeline`).
    ConfigError
        ``slowmo_factor`` outside :data:`gait.config.BOUNDS`.
    """
    p = Path(path)
    slowmo_factor = check_option("slowmo_factor", slowmo_factor)
    with open_container(p) as container:
        stream = video_stream(container, p.name)
        try:
            rotation, w, h = _rotation_from_first_frame(container, stream)
        except av.error.FFmpegError as err:
            raise VideoReadError(
                f"'{p.name}' has a video stream but no frame could be decoded (corrupt or truncated); "
                "export the clip again."
            ) from err
        container.seek(0)
        raw_pts, raw_dts = _demux_pts(container, stream, p.name)
        # MP4/MOV sample tables list every frame; a cut file keeps the table but loses the data.
        # (AVI and Matroska counts are not reliable enough for this check.)
        listed = int(stream.frames or 0) if "mp4" in container.format.name else 0
        capture = _capture_fps(container, stream)
        nominal = float(stream.average_rate or stream.guessed_rate or stream.base_rate or 30.0)
        time_base = _time_base(stream, p.name)
        codec = stream.codec_context.name
        fmt = container.format.name
    if len(raw_pts) == 0:
        raise VideoReadError(f"'{p.name}' contains no video frames; export the clip again.")
    pts = frame_timeline(raw_pts, raw_dts, time_base, p.name)
    if listed and len(raw_pts) < listed - max(_TOLERATED_MISSING, _TOLERATED_FRACTION * listed):
        _check_hidden_frames(p, listed)
    if slowmo_factor is not None:
        source = "given"
    elif (implied := slowmo_from_capture(capture, nominal)) is not None:
        slowmo_factor, source = implied, "metadata"
    else:
        slowmo_factor, source = 1.0, "none"
    times = (pts - pts[0]) * time_base / slowmo_factor
    disp_w, disp_h = (h, w) if rotation in (90, 270) else (w, h)
    return VideoMeta(
        path=str(p),
        container=fmt,
        codec=codec,
        width_px=disp_w,
        height_px=disp_h,
        rotation_deg=rotation,
        nominal_fps=nominal,
        capture_fps=capture,
        slowmo_factor=float(slowmo_factor),
        frame_pts=pts,
        time_base=time_base,
        frame_times_s=times,
        slowmo_source=source,
    )


def turned(meta: VideoMeta, extra_deg: int) -> VideoMeta:
    """``meta`` with a further clockwise turn of ``extra_deg`` (0/90/180/270) applied on display.

    For clips whose picture is turned without rotation metadata: the pose stage turned them upright
    (the track's ``rotation_applied_deg``), and drawings on the frames must decode them the same way.
    """
    extra = int(extra_deg) % 360
    if extra == 0:
        return meta
    from dataclasses import replace

    w, h = (meta.height_px, meta.width_px) if extra in (90, 270) else (meta.width_px, meta.height_px)
    return replace(meta, rotation_deg=(meta.rotation_deg + extra) % 360, width_px=w, height_px=h)
