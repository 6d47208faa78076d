"""Run the pose model over a clip, in one or two processes, and build the pose track."""

from __future__ import annotations

import json
import multiprocessing as mp_proc
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from gait import __version__
from gait.errors import NoPersonError
from gait.pose._models import resolve_model
from gait.pose._select import select_runner
from gait.track import PoseTrack, from_numpy
from gait.video import VideoMeta, file_sha256, iter_frames, prefetch, probe_video

#: Frames decoded before a chunk's first frame so the second process's tracker has locked on.
WARMUP_FRAMES = 20
#: Clips shorter than this run in one process. Spawning a second one costs ~1-2 s, so short clips gain
#: little (the 12 s sample: 7.0 s in one process, 6.0 s in two), and the second process's tracker
#: starts afresh, so its half differs slightly from a one-process run (sample: median 0.02 px, but
#: 38 of 180 frames > 20 px on the lower body at leg crossings). Keeping short clips in one process
#: makes the CLI, web app and batch engine (always one process per clip) agree exactly on them.
MIN_FRAMES_FOR_SPLIT = 600

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PoseParams:
    """Parameters of the pose stage.

    Attributes
    ----------
    model
        ``"full"`` (default), ``"heavy"`` or a path to a ``.task`` bundle.
    num_poses
        People tracked per frame. 1 (default) is twice as fast; use 2-3 when others are in view and
        the model locks onto the wrong person.
    min_detection_confidence, min_presence_confidence, min_tracking_confidence
        MediaPipe thresholds in [0, 1].
    max_input_long_side_px
        Frames with a longer side are downscaled before inference (1920: 4K phone clips are halved;
        1080p is fed at full size, which is as fast as downscaling there). Landmarks are always in
        pixels of the full displayed frame.
    workers
        Processes for one clip; ``None`` chooses 2 on machines with >= 2 cores for clips of at least
        600 frames (MediaPipe keeps one core busy per process), else 1.
    """

    model: str = "full"
    num_poses: int = 1
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    max_input_long_side_px: int | None = 1920
    workers: int | None = None


@dataclass
class _Chunk:
    index: np.ndarray  # (n,) frame indices
    image: np.ndarray  # (n, P, 33, 3) normalised x, y, visibility
    world: np.ndarray  # (n, P, 33, 3) metres
    duplicate: np.ndarray  # (n,) bool


_counter = None  # per-worker shared progress counter (set by the pool initializer)


def _init_worker(counter: object) -> None:
    global _counter
    _counter = counter
    import cv2

    cv2.setNumThreads(1)  # cv2's pool competes with FFmpeg and MediaPipe on 2 cores


def _run_chunk(meta: VideoMeta, model_path: Path, params: PoseParams, start: int, stop: int, first: int) -> _Chunk:
    """Infer frames ``start..stop``; frames before ``first`` only warm up the tracker and are dropped."""
    from gait.pose._mediapipe import Landmarker, native_logs_silenced

    n = stop - first
    P = params.num_poses
    image = np.full((n, P, 33, 3), np.nan, dtype=np.float32)
    world = np.full((n, P, 33, 3), np.nan, dtype=np.float32)
    dup = np.zeros(n, dtype=bool)
    got = np.zeros(n, dtype=bool)
    pts0 = int(meta.frame_pts[0])
    # LiteRT logs warnings straight to fd 2 at unpredictable frames: keep them off the user's terminal.
    with native_logs_silenced(), Landmarker(
        model_path,
        num_poses=P,
        min_detection_confidence=params.min_detection_confidence,
        min_presence_confidence=params.min_presence_confidence,
        min_tracking_confidence=params.min_tracking_confidence,
    ) as landmarker:
        frames = iter_frames(meta, start=start, stop=stop, max_long_side_px=params.max_input_long_side_px)
        for frame in prefetch(frames):
            ts_ms = round((int(meta.frame_pts[frame.index]) - pts0) * meta.time_base * 1000.0)
            img, wld = landmarker.detect(frame.rgb, ts_ms)
            if frame.index >= first:
                i = frame.index - first
                image[i], world[i], dup[i], got[i] = img, wld, frame.duplicate, True
                if _counter is not None:
                    with _counter.get_lock():
                        _counter.value += 1
    return _Chunk(np.arange(first, stop)[got], image[got], world[got], dup[got])


def _plan(n_frames: int, workers: int) -> list[tuple[int, int, int]]:
    """(start, stop, first) per worker: equal halves, later ones starting WARMUP_FRAMES early."""
    bounds = np.linspace(0, n_frames, workers + 1).round().astype(int)
    return [(max(0, a - WARMUP_FRAMES) if a else 0, b, a) for a, b in zip(bounds[:-1], bounds[1:])]


def _choose_workers(params: PoseParams, n_frames: int) -> int:
    if params.workers is not None:
        return max(1, params.workers)
    return 2 if (os.cpu_count() or 1) >= 2 and n_frames >= MIN_FRAMES_FOR_SPLIT else 1


def _infer(meta: VideoMeta, model_path: Path, params: PoseParams, progress: Progress | None) -> list[_Chunk]:
    plan = _plan(meta.n_frames, _choose_workers(params, meta.n_frames))
    if len(plan) == 1 and progress is None:
        return [_run_chunk(meta, model_path, params, *plan[0])]
    ctx = mp_proc.get_context("spawn")
    counter = ctx.Value("l", 0)
    with ctx.Pool(len(plan), initializer=_init_worker, initargs=(counter,)) as pool:
        pending = pool.starmap_async(_run_chunk, [(meta, model_path, params, *p) for p in plan])
        while not pending.ready():
            pending.wait(0.25)
            if progress is not None:
                progress(counter.value, meta.n_frames)
        chunks = pending.get()
    if progress is not None:
        progress(counter.value, meta.n_frames)
    return chunks


def estimate_pose(
    path: str | Path,
    params: PoseParams = PoseParams(),
    *,
    slowmo_factor: float | None = None,
    progress: Progress | None = None,
) -> PoseTrack:
    """Landmarks of the runner in every frame of a clip, as a raw (uncleaned) pose track.

    Parameters
    ----------
    path
        Video clip.
    params
        Pose-stage parameters.
    slowmo_factor
        Capture rate / playback rate of a slow-motion clip; ``None``: from metadata, else 1.
    progress
        Called as ``progress(frames_done, frames_total)`` while the model runs.

    Raises
    ------
    VideoReadError
        Unreadable clip.
    ModelFileError
        Missing or corrupt model.
    NoPersonError
        Nobody found in any frame.
    """
    meta = probe_video(path, slowmo_factor=slowmo_factor)
    model = resolve_model(params.model)
    t0 = time.perf_counter()
    chunks = _infer(meta, model.path, params, progress)
    elapsed = time.perf_counter() - t0
    index = np.concatenate([c.index for c in chunks])
    image = np.concatenate([c.image for c in chunks])
    world = np.concatenate([c.world for c in chunks])
    dup = np.concatenate([c.duplicate for c in chunks])
    scale = np.array([meta.width_px, meta.height_px], dtype=np.float32)
    chosen, record = select_runner(image[..., :2] * scale, image[..., 2])
    name = Path(meta.path).name
    if (chosen >= 0).sum() == 0:
        raise NoPersonError(
            f"No person was found in '{name}' (0 of {meta.n_frames} frames); film the runner's whole "
            "body, well lit and large in the frame, and try again."
        )
    rows = np.arange(len(index))
    pick = np.where(chosen >= 0, chosen, 0)
    keep = (chosen >= 0)[:, None]
    pos = np.where(keep[..., None], image[rows, pick, :, :2] * scale, np.nan)
    vis = np.where(keep, image[rows, pick, :, 2], np.nan)
    wld = np.where(keep[..., None], world[rows, pick], np.nan)
    return from_numpy(
        pos,
        vis,
        meta.frame_times_s[index],
        frame=index,
        image_size_px=(meta.width_px, meta.height_px),
        position_world_m=wld,
        detected=chosen >= 0,
        duplicate=dup,
        fps=meta.fps,
        rotation_deg=meta.rotation_deg,
        slowmo_factor=meta.slowmo_factor,
        source_path=str(meta.path),
        source_sha256=file_sha256(meta.path),
        source_format="mediapipe",
        model_name=model.name,
        model_sha256=model.sha256,
        gait_version=__version__,
        person_selection=json.dumps(record),
        pose_params=json.dumps(asdict(params)),
        video=json.dumps(
            {
                "container": meta.container,
                "codec": meta.codec,
                "nominal_fps": meta.nominal_fps,
                "capture_fps": meta.capture_fps,
                "variable_frame_rate": meta.variable_frame_rate,
                "n_frames": meta.n_frames,
                "n_duplicate_frames": int(dup.sum()),
                "pose_seconds": round(elapsed, 3),
            }
        ),
    )
