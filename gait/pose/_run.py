"""Run the pose model over a clip, in one or two threads, and build the pose track."""

from __future__ import annotations

import json
import numbers
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gait import __version__
from gait.errors import ConfigError, NoPersonError, SpeedChangeError
from gait.pose._models import ModelFile, resolve_model
from gait.pose._orient import (
    Orientation,
    ProbeScore,
    RotatedClipError,
    best_rotation,
    check_rotation,
    orientation_from_landmarks,
    probe_frames,
    probe_rotations,
    rotate_frame,
    rotated_size,
    rotation_advice,
)
from gait.pose._select import select_runner
from gait.video import (
    Frame,
    VideoMeta,
    file_sha256,
    frame_changes,
    grey_keeper,
    iter_frames,
    mark_new_frames,
    picture_keeper,
    prefetch,
    probe_video,
    speed_change_message,
    speed_segments,
)

if TYPE_CHECKING:
    from gait.track import PoseTrack

#: Frames decoded before a chunk's first frame so the second chunk's tracker has locked on.
WARMUP_FRAMES = 20
#: Clips shorter than this run as one chunk. The second chunk's tracker starts afresh, so its half
#: differs slightly from a one-chunk run (sample: median 0.02 px, but 38 of 180 frames > 20 px on the
#: lower body at leg crossings). Keeping short clips in one chunk makes the CLI, web app and batch
#: engine (always one chunk per clip) agree exactly on them.
MIN_FRAMES_FOR_SPLIT = 600

Progress = Callable[[int, int], None]

#: Pose backends: "mediapipe" is the reference; "litert" runs the same models directly (gait.pose._litert).
BACKENDS = ("mediapipe", "litert")


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
        Chunks of one clip, each inferred in its own thread (MediaPipe keeps one core busy per
        chunk); ``None`` chooses 2 on machines with >= 2 cores for clips of at least 600 frames,
        else 1.
    backend
        ``"mediapipe"`` (default, the reference: MediaPipe's PoseLandmarker) or ``"litert"`` (the same
        two models run directly in LiteRT with 2 XNNPACK threads and MediaPipe's tracking and smoothing
        re-implemented, :mod:`gait.pose._litert`; one person only). ``tests/benchmarks/speed.py``
        compares the two.
    rotate_deg
        Clockwise rotation (0, 90, 180, 270) applied to the displayed frames (after any rotation
        metadata) before inference, for clips whose picture is turned without metadata. ``None``
        (default): automatic; when the runner lies sideways or upside down in the first pass (or
        nobody is found upright), a probe of a few frames at each rotation picks the one that gives
        upright poses and the pose stage runs again with it (see :mod:`gait.pose._orient`).
    """

    model: str = "full"
    num_poses: int = 1
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    max_input_long_side_px: int | None = 1920
    workers: int | None = None
    rotate_deg: int | None = None
    backend: str = "mediapipe"

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"Unknown pose backend {self.backend!r}; use one of {', '.join(BACKENDS)}.")
        if self.backend == "litert" and self.num_poses != 1:
            raise ConfigError(
                f"The litert pose backend tracks one person (num_poses={self.num_poses}); "
                "use backend mediapipe for several people."
            )
        if not isinstance(self.model, (str, os.PathLike)) or not os.fspath(self.model):
            raise ConfigError(
                f"Expected model 'full', 'heavy' or a path to a .task bundle, got {self.model!r}."
            )
        for name in ("num_poses", "max_input_long_side_px", "workers"):
            value = getattr(self, name)
            if name != "num_poses" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ConfigError(f"Expected {name} to be a whole number >= 1, got {value!r}.")
        for name in (
            "min_detection_confidence",
            "min_presence_confidence",
            "min_tracking_confidence",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ConfigError(f"Expected {name} to be a number in [0, 1], got {value!r}.")
            if not 0 <= float(value) <= 1:
                raise ConfigError(f"Expected {name} in [0, 1], got {value!r}.")
        object.__setattr__(self, "rotate_deg", check_rotation(self.rotate_deg))  # "auto" -> None


@dataclass
class _Chunk:
    index: np.ndarray  # (n,) frame indices
    image: np.ndarray  # (n, P, 33, 3) normalised x, y, visibility
    world: np.ndarray  # (n, P, 33, 3) metres
    duplicate: np.ndarray  # (n,) bool


def _run_chunk(
    meta: VideoMeta,
    model_path: Path,
    params: PoseParams,
    start: int,
    stop: int,
    first: int,
    rotate_deg: int = 0,
    counter: _Counter | None = None,
    litert_threads: int = 2,
    loaded: threading.Event | None = None,
    keep: Callable[[int, np.ndarray], None] | None = None,
) -> _Chunk:
    """Infer frames ``start..stop`` turned ``rotate_deg`` clockwise.

    Frames before ``first`` only warm up the tracker and are dropped. Each frame kept adds one to
    ``counter``. ``litert_threads``: XNNPACK threads of the litert backend (the cores left to this
    chunk). ``loaded`` is set once the model's runtime is imported and the model loaded. ``keep``
    sees every decoded frame (:func:`gait.video.grey_keeper`).
    """
    from gait.pose._native import native_logs_silenced

    if params.backend == "litert":  # does not import mediapipe (~1-3 s of start-up)
        from functools import partial

        from gait.pose._litert import LiteRTLandmarker

        Landmarker = partial(LiteRTLandmarker, num_threads=litert_threads)
    else:
        from gait.pose._mediapipe import Landmarker  # type: ignore[assignment]

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
        if loaded is not None:
            loaded.set()
        frames = iter_frames(meta, start=start, stop=stop, max_long_side_px=params.max_input_long_side_px)
        if keep is not None:
            frames = _kept(frames, keep)  # in prefetch's decoding thread, beside the inference
        for frame in prefetch(frames):
            ts_ms = round((int(meta.frame_pts[frame.index]) - pts0) * meta.time_base * 1000.0)
            img, wld = landmarker.detect(rotate_frame(frame.rgb, rotate_deg), ts_ms)
            if frame.index >= first:
                i = frame.index - first
                image[i], world[i], dup[i], got[i] = img, wld, frame.duplicate, True
                if counter is not None:
                    with counter.get_lock():
                        counter.value += 1
    return _Chunk(np.arange(first, stop)[got], image[got], world[got], dup[got])


def _kept(frames: Iterator[Frame], keep: Callable[[int, np.ndarray], None]) -> Iterator[Frame]:
    for frame in frames:
        keep(frame.index, frame.rgb)
        yield frame


def _both(
    first: Callable[[int, np.ndarray], None] | None, second: Callable[[int, np.ndarray], None] | None
) -> Callable[[int, np.ndarray], None] | None:
    if first is None or second is None:
        return first if second is None else second

    def keep(index: int, rgb: np.ndarray) -> None:
        first(index, rgb)
        second(index, rgb)

    return keep


def _plan(n_frames: int, workers: int) -> list[tuple[int, int, int]]:
    """(start, stop, first) per worker: equal halves, later ones starting WARMUP_FRAMES early."""
    bounds = np.linspace(0, n_frames, workers + 1).round().astype(int)
    return [(max(0, a - WARMUP_FRAMES) if a else 0, b, a) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _choose_workers(params: PoseParams, n_frames: int) -> int:
    if params.workers is not None:
        return max(1, params.workers)
    return 2 if (os.cpu_count() or 1) >= 2 and n_frames >= MIN_FRAMES_FOR_SPLIT else 1


class _Counter:
    """Frames done by the chunks of one pass, counted from their threads."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def get_lock(self) -> threading.Lock:
        return self._lock


def _infer(
    meta: VideoMeta,
    model_path: Path,
    params: PoseParams,
    progress: Progress | None,
    rotate_deg: int = 0,
    meanwhile: Callable[[], object] | None = None,
    keep: Callable[[int, np.ndarray], None] | None = None,
) -> list[_Chunk]:
    """The chunks of :func:`_plan`, each in its own thread of this process.

    MediaPipe's and LiteRT's inference, FFmpeg's decoding and OpenCV's conversions release the GIL,
    so two chunks keep two cores busy without a second process (which would re-import numpy, PyAV
    and the model's runtime and load the model again: 1-3 s). With ``progress``, this thread
    reports the frames done every 0.25 s. ``meanwhile`` runs once in this thread while the frames
    are inferred, after every chunk has loaded its model: the caller's own start-up (imports) then
    costs no time of its own, and no two threads import at once.
    """
    plan = _plan(meta.n_frames, _choose_workers(params, meta.n_frames))
    if len(plan) == 1 and progress is None and meanwhile is None:
        return [_run_chunk(meta, model_path, params, *plan[0], rotate_deg, keep=keep)]
    counter = _Counter()
    litert_threads = max(1, min(2, (os.cpu_count() or 1) // len(plan)))
    result: list[_Chunk | None] = [None] * len(plan)
    failure: list[BaseException] = []
    loaded = [threading.Event() for _ in plan]

    def work(i: int) -> None:
        try:
            result[i] = _run_chunk(
                meta,
                model_path,
                params,
                *plan[i],
                rotate_deg,
                counter=counter,
                litert_threads=litert_threads,
                loaded=loaded[i],
                keep=keep,
            )
        except BaseException as err:  # handed to the caller's thread below
            failure.append(err)

    # daemon: Ctrl-C in the caller's thread ends the run
    threads = [threading.Thread(target=work, args=(i,), name=f"gait-pose-{i}", daemon=True) for i in range(len(plan))]
    for thread in threads:
        thread.start()
    late = None if meanwhile is None else _run_meanwhile(meanwhile, threads, loaded)
    for thread in threads:
        while thread.is_alive():
            thread.join(0.25)
            if progress is not None:
                progress(counter.value, meta.n_frames)
    if progress is not None:
        progress(counter.value, meta.n_frames)
    if failure:
        raise failure[0]
    if late is not None:
        raise late
    return [chunk for chunk in result if chunk is not None]


def _run_meanwhile(
    meanwhile: Callable[[], object], threads: list[threading.Thread], loaded: list[threading.Event]
) -> BaseException | None:
    """Run ``meanwhile`` once every chunk has loaded its model (or ended); its error, raised later."""
    for thread, ready in zip(threads, loaded, strict=True):
        while not ready.wait(0.05) and thread.is_alive():
            pass
    try:
        meanwhile()
    except BaseException as err:  # raised once the chunks are done, so no thread is left running
        return err
    return None


@dataclass
class _Pass:
    """One inference pass over a clip, with the runner chosen."""

    rotate_deg: int
    index: np.ndarray
    image: np.ndarray
    world: np.ndarray
    duplicate: np.ndarray
    size_px: tuple[int, int]
    chosen: np.ndarray
    record: dict
    seconds: float

    @property
    def found(self) -> bool:
        return bool((self.chosen >= 0).any())

    def runner_px(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(position px (n, 33, 2), visibility (n, 33), world m (n, 33, 3)) of the runner, NaN elsewhere."""
        scale = np.array(self.size_px, dtype=np.float32)
        rows = np.arange(len(self.index))
        pick = np.where(self.chosen >= 0, self.chosen, 0)
        keep = (self.chosen >= 0)[:, None]
        pos = np.where(keep[..., None], self.image[rows, pick, :, :2] * scale, np.nan)
        vis = np.where(keep, self.image[rows, pick, :, 2], np.nan)
        wld = np.where(keep[..., None], self.world[rows, pick], np.nan)
        return pos, vis, wld

    def detected(self) -> np.ndarray:
        """(n_frames,) bool over all decode indices: the runner was found."""
        out = np.zeros(int(self.index.max(initial=-1)) + 1, dtype=bool)
        out[self.index[self.chosen >= 0]] = True
        return out


def _run_pass(
    meta: VideoMeta,
    model: ModelFile,
    params: PoseParams,
    progress: Progress | None,
    rotate_deg: int,
    meanwhile: Callable[[], object] | None = None,
    keep: Callable[[int, np.ndarray], None] | None = None,
) -> _Pass:
    t0 = time.perf_counter()
    chunks = _infer(meta, model.path, params, progress, rotate_deg, meanwhile, keep)
    elapsed = time.perf_counter() - t0
    image = np.concatenate([c.image for c in chunks])
    size = rotated_size(meta.width_px, meta.height_px, rotate_deg)
    chosen, record = select_runner(image[..., :2] * np.array(size, dtype=np.float32), image[..., 2])
    return _Pass(
        rotate_deg,
        np.concatenate([c.index for c in chunks]),
        image,
        np.concatenate([c.world for c in chunks]),
        np.concatenate([c.duplicate for c in chunks]),
        size,
        chosen,
        record,
        elapsed,
    )


def _orientation_of(run: _Pass) -> Orientation:
    pos, _, _ = run.runner_px()
    return orientation_from_landmarks(pos[run.chosen >= 0])


def _probe(
    meta: VideoMeta, model: ModelFile, params: PoseParams, detected: np.ndarray | None
) -> dict[int, ProbeScore]:
    return probe_rotations(
        meta,
        model.path,
        probe_frames(meta.n_frames, detected),
        max_input_long_side_px=params.max_input_long_side_px,
        min_detection_confidence=params.min_detection_confidence,
        min_presence_confidence=params.min_presence_confidence,
        min_tracking_confidence=params.min_tracking_confidence,
    )


def _auto_rotate(
    meta: VideoMeta, model: ModelFile, params: PoseParams, progress: Progress | None, first: _Pass
) -> tuple[_Pass, dict]:
    """The pass to keep and the record of the orientation check (see :mod:`gait.pose._orient`)."""
    name = Path(meta.path).name
    check: dict = {"mode": "auto"}
    if first.found:
        orientation = _orientation_of(first)
        check["first_pass"] = orientation.as_dict()
        if not orientation.turned:
            check["applied_deg"] = 0
            return first, check
        scores = _probe(meta, model, params, first.detected())
    else:
        orientation = None
        check["first_pass"] = None
        scores = _probe(meta, model, params, None)
    check["probe"] = {str(r): asdict(sc) for r, sc in scores.items()}
    best = best_rotation(scores)
    if orientation is None:
        if best in (None, 0):
            check["applied_deg"] = 0
            return first, check  # nobody at any rotation: estimate_pose says so
    elif best is None or best != orientation.fix_deg:
        raise RotatedClipError(rotation_advice(name, orientation))
    assert best is not None
    second = _run_pass(meta, model, params, progress, best)
    after = _orientation_of(second) if second.found else None
    check["second_pass"] = after.as_dict() if after is not None else None
    if after is None or after.head != "up":
        if orientation is not None:
            raise RotatedClipError(rotation_advice(name, orientation))
        check["applied_deg"] = 0
        return first, check
    check["applied_deg"] = best
    check["reason"] = (
        "runner lay sideways or upside down in the first pass" if orientation is not None
        else "nobody was found upright; the probe found an upright runner at this rotation"
    )
    return second, check


def estimate_pose(
    path: str | Path,
    params: PoseParams = PoseParams(),
    *,
    slowmo_factor: float | None = None,
    progress: Progress | None = None,
    meanwhile: Callable[[], object] | None = None,
    keep_pictures_px: int | None = None,
    keep_grey: bool = True,
) -> PoseTrack:
    """Landmarks of the runner in every frame of a clip, as a raw (uncleaned) pose track.

    With ``params.rotate_deg=None`` (automatic), a clip whose picture is turned without rotation
    metadata is detected from the first pass and run again turned upright; the track's
    ``rotation_applied_deg`` attribute says by how much (0: not turned), ``orientation_check`` (JSON)
    holds the evidence, and positions are in pixels of the upright frame.

    Parameters
    ----------
    path
        Video clip.
    params
        Pose-stage parameters.
    slowmo_factor
        Capture rate / playback rate of a slow-motion clip; ``None``: from metadata, else 1.
    progress
        Called as ``progress(frames_done, frames_total)`` while the model runs (from 0 again when a
        turned clip is run a second time).
    meanwhile
        Called once, in the calling thread, while the frames are inferred (after the model has
        loaded): a caller's start-up work, such as importing its later stages, then takes no time
        of its own on a machine with a core to spare. The pose stage itself uses this wait to hash
        the clip and import :mod:`gait.track`.
    keep_pictures_px
        Keep each frame scaled to this long side for an overlay drawn later in this process
        (:func:`gait.video.kept_pictures`; short clips only). None (default): keep none.
    keep_grey
        Keep small grey frames for the quick camera check of an analysis later in this process
        (:func:`gait.video.grey_keeper`; default). False: a caller that only saves the track.

    Raises
    ------
    VideoReadError
        Unreadable clip.
    ModelFileError
        Missing or corrupt model.
    NoPersonError
        Nobody found in any frame, at any rotation.
    RotatedClipError
        The runner lies sideways or upside down and no rotation could be confirmed; the message
        names the rotation to apply.
    ConfigError
        ``params.rotate_deg`` not one of None, 0, 90, 180, 270.
    """
    rotate = check_rotation(params.rotate_deg)
    meta = probe_video(path, slowmo_factor=slowmo_factor)
    model = resolve_model(params.model)
    t0 = time.perf_counter()
    changes = None
    if meta.slowmo_source != "none":
        # a slow-motion export may repeat or blend pictures: only the new ones are analysed
        changes = frame_changes(meta)
        meta = mark_new_frames(meta, changes)
    digest: list[str] = []

    def wait_work() -> None:
        digest.append(file_sha256(meta.path))
        import gait.track  # noqa: F401 - pandas, xarray, scipy.ndimage: ~1 s, needed for the track below

        if meanwhile is not None:
            meanwhile()

    # the quick camera check's grey frames and the overlay's pictures, kept while decoded here
    pictures = None
    if keep_pictures_px is not None and _choose_workers(params, meta.n_frames) == 1:
        pictures = picture_keeper(meta, keep_pictures_px)
    keep = _both(grey_keeper(meta) if keep_grey else None, pictures)
    run = _run_pass(meta, model, params, progress, rotate or 0, wait_work, keep)
    if rotate is None:
        run, check = _auto_rotate(meta, model, params, progress, run)
    else:
        check = {"mode": "given", "applied_deg": rotate}
    elapsed = time.perf_counter() - t0
    name = Path(meta.path).name
    if not run.found:
        raise NoPersonError(
            f"No person was found in '{name}' (0 of {meta.n_frames} frames); film the runner's whole "
            "body, well lit and large in the frame, and try again."
        )
    if changes is not None:
        seen = np.isin(changes.index, run.index[run.chosen >= 0])
        message = speed_change_message(speed_segments(changes.media_time_s, changes.change, valid=seen), name)
        if message is not None:
            raise SpeedChangeError(message)
    from gait.track import from_numpy

    pos, vis, wld = run.runner_px()
    index, dup = run.index, run.duplicate
    return from_numpy(
        pos,
        vis,
        meta.frame_times_s[index],
        frame=index,
        image_size_px=run.size_px,
        position_world_m=wld,
        detected=run.chosen >= 0,
        duplicate=dup,
        fps=meta.fps,
        rotation_deg=meta.rotation_deg,
        rotation_applied_deg=int(run.rotate_deg),
        orientation_check=json.dumps(check),
        slowmo_factor=meta.slowmo_factor,
        source_path=str(meta.path),
        source_sha256=digest[0],
        source_format="mediapipe",
        model_name=model.name,
        model_sha256=model.sha256,
        gait_version=__version__,
        person_selection=json.dumps(run.record),
        pose_params=json.dumps(asdict(params)),
        video=json.dumps(
            {
                "container": meta.container,
                "codec": meta.codec,
                "nominal_fps": meta.nominal_fps,
                "capture_fps": meta.capture_fps,
                "slowmo_source": meta.slowmo_source,
                "frame_conversion": meta.frame_conversion,
                "n_new_frames": None if meta.new_frames is None else int(meta.n_new_frames),
                "variable_frame_rate": meta.variable_frame_rate,
                "n_frames": meta.n_frames,
                "n_duplicate_frames": int(dup.sum()),
                "pose_seconds": round(elapsed, 3),
            }
        ),
    )
