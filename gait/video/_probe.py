"""Open a video file and read what we need to know before decoding: streams, rotation, frame times."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from gait.errors import VideoReadError

#: Metadata keys that phones use for the true capture rate of a slow-motion clip.
_CAPTURE_FPS_KEYS = ("com.android.capture.fps", "com.apple.quicktime.capture-fps", "capture_fps")

#: A slow-motion factor is taken from metadata only when capture rate / playback rate exceeds this.
_SLOWMO_MIN_RATIO = 1.5


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

    @property
    def n_frames(self) -> int:
        return len(self.frame_pts)

    @property
    def duration_s(self) -> float:
        """Real-world duration, first to last frame plus one frame interval."""
        if self.n_frames == 0:
            return 0.0
        return float(self.frame_times_s[-1] + 1.0 / self.fps)

    @property
    def fps(self) -> float:
        """Real-world frame rate: median of the frame-time differences (nominal if one frame)."""
        if self.n_frames < 2:
            return self.nominal_fps * self.slowmo_factor
        return float(1.0 / np.median(np.diff(self.frame_times_s)))

    @property
    def variable_frame_rate(self) -> bool:
        """True when frame intervals differ by more than 10 % from their median."""
        if self.n_frames < 3:
            return False
        d = np.diff(self.frame_times_s)
        return bool(np.any(np.abs(d - np.median(d)) > 0.1 * np.median(d)))


def file_sha256(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_bytes):
            h.update(block)
    return h.hexdigest()


def open_container(path: str | Path) -> av.container.InputContainer:
    """Open a media file with PyAV, turning every failure into a one-sentence VideoReadError."""
    p = Path(path)
    if not p.exists():
        raise VideoReadError(f"Video file '{p}' does not exist; check the path.")
    if p.is_dir():
        raise VideoReadError(f"'{p}' is a folder, not a video file; give the path of a clip.")
    if p.stat().st_size == 0:
        raise VideoReadError(f"Video file '{p.name}' is empty (0 bytes); copy or export the clip again.")
    try:
        return av.open(str(p), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise VideoReadError(
            f"'{p.name}' is not a readable video (the file is corrupt, truncated or of another type); "
            "export it again as MP4, MOV, MKV, AVI or WebM."
        ) from err


def video_stream(container: av.container.InputContainer, name: str) -> av.video.stream.VideoStream:
    """The first video stream, or a VideoReadError for audio-only and other stream-less files."""
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["no"]
        raise VideoReadError(
            f"'{name}' has no video stream (it holds {', '.join(kinds)} streams); "
            "give a video clip, not an audio or data file."
        )
    return container.streams.video[0]


def _capture_fps(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float | None:
    for meta in (dict(stream.metadata), dict(container.metadata)):
        for key, value in meta.items():
            if key.lower() in _CAPTURE_FPS_KEYS:
                try:
                    return float(value)
                except ValueError:
                    continue
    return None


def _demux_pts(container: av.container.InputContainer, stream: av.video.stream.VideoStream, name: str) -> np.ndarray:
    """Presentation timestamps of all video packets, without decoding (cheap)."""
    pts: list[int] = []
    try:
        for packet in container.demux(stream):
            if packet.size > 0 and packet.pts is not None:
                pts.append(packet.pts)
    except av.error.FFmpegError as err:
        if not pts:
            raise VideoReadError(
                f"'{name}' could not be read (corrupt or truncated video data); export the clip again."
            ) from err
    arr = np.unique(np.asarray(pts, dtype=np.int64))  # sorted presentation order, repeats dropped
    return arr


def _rotation_from_first_frame(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> tuple[int, int, int]:
    """(rotation_deg clockwise, stored width, stored height) from the first decodable frame."""
    container.seek(0, stream=stream) if stream.start_time is None else container.seek(stream.start_time, stream=stream)
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
        30 fps). ``None`` takes it from phone metadata when present, else 1.

    Raises
    ------
    VideoReadError
        Empty, missing, corrupt, truncated, non-video or audio-only files.
    """
    p = Path(path)
    if slowmo_factor is not None and not slowmo_factor > 0:
        raise VideoReadError(f"Slow-motion factor must be positive, got {slowmo_factor}; pass e.g. --slowmo-factor 8.")
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
        pts = _demux_pts(container, stream, p.name)
        # MP4/MOV sample tables list every frame; a cut file keeps the table but loses the data.
        # (AVI and Matroska counts are not reliable enough for this check.)
        listed = int(stream.frames or 0) if "mp4" in container.format.name else 0
        capture = _capture_fps(container, stream)
        nominal = float(stream.average_rate or stream.guessed_rate or stream.base_rate or 30.0)
        time_base = float(stream.time_base)
        codec = stream.codec_context.name
        fmt = container.format.name
    if len(pts) == 0:
        raise VideoReadError(f"'{p.name}' contains no video frames; export the clip again.")
    if listed and len(pts) < listed - max(2, 0.02 * listed):
        raise VideoReadError(
            f"'{p.name}' is truncated: its index lists {listed} frames but only {len(pts)} are in the file; "
            "copy or export the clip again."
        )
    if slowmo_factor is None:
        slowmo_factor = capture / nominal if capture and capture / nominal > _SLOWMO_MIN_RATIO else 1.0
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
    )
