"""NWB (Neurodata Without Borders) export with ``pynwb`` and the ``ndx-pose`` extension.

The file holds, in the processing module ``behavior`` (where ``movement`` and DeepLabCut / SLEAP
converters look):

``PoseEstimation``
    The **cleaned** track (what every metric, event and other export was computed from: leg labels
    repaired, low-confidence landmarks masked, short gaps interpolated, see the track's ``cleaning``
    attribute), one ``PoseEstimationSeries`` per landmark.
``PoseEstimationRaw``
    The model's landmarks as MediaPipe returned them (the track before cleaning), for re-analysis.
``Skeletons``
    One ``Skeleton`` (``blazepose``): the 33 landmark names and the limb edges of
    :data:`gait.skeleton.EDGES`.

Each series stores ``(n_frames, 2)`` positions in **image pixels, origin at the top-left corner of
the displayed frame, +x right, +y down** (the pose track's own frame, and what ``movement``,
DeepLabCut and SLEAP store: no flip, unlike the y-up C3D / TRC exports), the MediaPipe visibility
as ``confidence`` (0..1, NaN where no landmark), and ``timestamps`` = the track's frame times in
seconds (real-world, first frame at 0, never resampled: a variable-frame-rate clip keeps its true
times). Missing landmarks are NaN.

Gait events are two core ``EventsTable`` objects (NWB 2.10, ``pynwb>=4``): ``foot_strikes``
(initial contacts) and ``foot_offs`` (toe-offs), columns ``timestamp`` (s, sub-frame, same clock
as the series), ``foot`` (``left``/``right``), ``frame`` (0-based decode index) and
``confidence``.

Provenance: ``source_software`` "MediaPipe BlazePose GHUM", ``source_software_version`` the model
variant and its SHA-256, ``scorer``, the description (coordinates, cleaning), the file's
``was_generated_by`` (gait and its version), ``source_script`` and ``notes`` (video path and
SHA-256). The video is linked as an external ``ImageSeries`` (``acquisition/source_video``, frame
size in ``dimension``). The recording's wall-clock start is unknown to a pose track: the
``session_start_time`` defaults to 1970-01-01 UTC, a placeholder, unless given.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from gait.export._common import ExportSource
from gait.skeleton import EDGES, KEYPOINTS
from gait.track import PoseTrack

#: Stated in every series' ``reference_frame``.
REFERENCE_FRAME = (
    "(0, 0) is the top-left corner of the displayed video frame (after rotation); +x right, "
    "+y down (image convention, not flipped), in pixels"
)
#: ``source_software`` of both pose estimations.
SOURCE_SOFTWARE = "MediaPipe BlazePose GHUM"
#: Placeholder session start (a pose track does not know when the video was recorded).
UNKNOWN_START = datetime(1970, 1, 1, tzinfo=UTC)
#: NWB names of the processing module and of the two pose estimations.
MODULE = "behavior"
CLEANED_NAME = "PoseEstimation"
RAW_NAME = "PoseEstimationRaw"
SKELETON_NAME = "blazepose"
#: Event type -> (EventsTable name, description).
EVENT_TABLES = {
    "IC": ("foot_strikes", "initial contacts (foot strike) detected by gait"),
    "TO": ("foot_offs", "toe-offs (foot off) detected by gait"),
}
FOOT_NAMES = {"L": "left", "R": "right"}


def _identifier(track: PoseTrack) -> str:
    sha = str(track.attrs.get("source_sha256") or "")
    if not sha:
        data = np.ascontiguousarray(track["position"].values, dtype=np.float32).tobytes()
        sha = hashlib.sha256(data).hexdigest()
    return f"gait-{sha[:16]}"


def _model_version(track: PoseTrack) -> str:
    model = str(track.attrs.get("model_name") or "unknown")
    sha = str(track.attrs.get("model_sha256") or "unknown")
    return f"pose_landmarker_{model}, model SHA-256 {sha}"


def _pose_estimation(
    track: PoseTrack,
    *,
    name: str,
    description: str,
    scorer: str,
    skeleton,
    device,
    source_video,
):
    from ndx_pose import PoseEstimation, PoseEstimationSeries

    pos = track["position"].transpose("time", "keypoint", "space").values.astype(np.float64)
    conf = (
        track["confidence"].transpose("time", "keypoint").values.astype(np.float64)
        if "confidence" in track
        else np.full(pos.shape[:2], np.nan)
    )
    time_s = track["time"].values.astype(np.float64)
    names = [str(k) for k in track["keypoint"].values]
    series: list[Any] = []
    for i, keypoint in enumerate(names):
        series.append(
            PoseEstimationSeries(
                name=keypoint,
                description=f"{keypoint} (MediaPipe pose landmark {KEYPOINTS.index(keypoint)})"
                if keypoint in KEYPOINTS
                else keypoint,
                data=pos[:, i, :],
                unit="pixels",
                reference_frame=REFERENCE_FRAME,
                confidence=conf[:, i],
                confidence_definition="MediaPipe landmark visibility, 0..1; NaN where none",
                # the first series holds the frame times, the others link to them
                timestamps=series[0] if series else time_s,
            )
        )
    return PoseEstimation(
        name=name,
        pose_estimation_series=series,
        description=description,
        scorer=scorer,
        source_software=SOURCE_SOFTWARE,
        source_software_version=_model_version(track),
        skeleton=skeleton,
        device=device,
        source_video=source_video,
    )


def write_nwb(
    analysis: ExportSource,
    path: Path,
    *,
    subject_id: str | None = None,
    session_id: str | None = None,
    session_start_time: datetime | None = None,
) -> Path:
    """Write the pose tracks, skeleton and gait events of ``analysis`` to an NWB file.

    Parameters
    ----------
    analysis
        A :class:`gait.pipeline.Analysis` (read only).
    path
        Output file (``.nwb``, HDF5); written under a temporary name, then renamed.
    subject_id, session_id
        Labels stored in ``NWBFile.subject`` (species Homo sapiens) and ``NWBFile.session_id``.
    session_start_time
        Wall-clock start of the recording (timezone-aware); default the 1970-01-01 UTC
        placeholder (frame times are relative to it either way).

    Returns
    -------
    Path
        ``path``.
    """
    try:
        import ndx_pose
        import pynwb
        from pynwb.event import EventsTable
        from pynwb.file import Subject
        from pynwb.image import ImageSeries
    except ImportError as err:  # optional extra
        raise ImportError(
            "NWB export needs pynwb>=4 and ndx-pose: pip install 'gait[export]'."
        ) from err
    path = Path(path)
    raw, cleaned = analysis.track, analysis.cleaned
    attrs = cleaned.attrs
    version = str(attrs.get("gait_version") or "")
    source = str(analysis.report.clip.path or attrs.get("source_path") or "")
    video_sha = str(attrs.get("source_sha256") or "")
    provenance = {
        "gait_version": version,
        "pose_model": SOURCE_SOFTWARE,
        "model_name": attrs.get("model_name"),
        "model_sha256": attrs.get("model_sha256"),
        "source_video": source or None,
        "source_sha256": video_sha or None,
        "view": analysis.events.view,
        "event_detector": analysis.events.detector,
    }
    start = UNKNOWN_START if session_start_time is None else session_start_time
    nwb = pynwb.NWBFile(
        session_description=(
            f"Running-gait pose track from a video ({source or 'unknown video'}), "
            f"{analysis.events.view} view; landmarks by {SOURCE_SOFTWARE}, analysed by gait."
        ),
        identifier=_identifier(cleaned),
        session_start_time=start,
        session_id=session_id,
        source_script=f"gait {version}".strip(),
        source_script_file_name="gait",
        was_generated_by=[["gait", version or "unknown"]],
        notes=json.dumps(provenance, sort_keys=True),
        subject=Subject(subject_id=subject_id or "runner", species="Homo sapiens"),
    )
    camera = nwb.create_device(
        name="camera",
        description=f"video camera; frame {attrs['image_width_px']} x "
        f"{attrs['image_height_px']} px (displayed, after a {attrs.get('rotation_deg', 0)} "
        f"degree rotation), source SHA-256 {video_sha or 'unknown'}",
    )
    video = ImageSeries(
        name="source_video",
        description=f"the analysed video (external file), SHA-256 {video_sha or 'unknown'}",
        external_file=[source or "unknown"],
        starting_frame=[0],
        format="external",
        dimension=[int(attrs["image_width_px"]), int(attrs["image_height_px"])],
        timestamps=raw["time"].values.astype(np.float64),
        unit="n/a",
    )
    nwb.add_acquisition(video)
    names = [str(k) for k in cleaned["keypoint"].values]
    index = {n: i for i, n in enumerate(names)}
    edges = np.array(
        [[index[a], index[b]] for a, b in EDGES if a in index and b in index], dtype=np.uint8
    )
    skeleton = ndx_pose.Skeleton(
        name=SKELETON_NAME, nodes=names, edges=edges.reshape(-1, 2), subject=nwb.subject
    )
    behavior = nwb.create_processing_module(
        name=MODULE, description="pose estimation and gait events of the runner"
    )
    behavior.add(ndx_pose.Skeletons(skeletons=[skeleton]))
    model = f"{SOURCE_SOFTWARE} ({attrs.get('model_name', 'unknown')} model)"
    behavior.add(
        _pose_estimation(
            cleaned,
            name=CLEANED_NAME,
            description=(
                f"Cleaned pose track (gait {version}): {REFERENCE_FRAME}; frame times as "
                f"recorded, not resampled. Cleaning steps: {attrs.get('cleaning', '[]')}"
            ),
            scorer=f"{model}, cleaned by gait {version}".strip(),
            skeleton=skeleton,
            device=camera,
            source_video=video,
        )
    )
    behavior.add(
        _pose_estimation(
            raw,
            name=RAW_NAME,
            description=(
                f"Pose track as the model returned it (before gait's cleaning): "
                f"{REFERENCE_FRAME}; frame times as recorded."
            ),
            scorer=model,
            skeleton=skeleton,
            device=camera,
            source_video=video,
        )
    )
    table = analysis.events.table.sort_values("time_s")
    for kind, (name, description) in EVENT_TABLES.items():
        events = EventsTable(
            name=name,
            description=f"{description}; timestamp in seconds on the pose series' clock",
            source_description=f"gait event detector {analysis.events.detector}",
        )
        events.add_column(name="foot", description="the foot: left or right")
        events.add_column(name="frame", description="0-based decode index of the nearest frame")
        events.add_column(name="confidence", description="detector confidence, 0..1")
        for row in table[table["type"] == kind].itertuples(index=False):
            events.add_event(
                timestamp=float(row.time_s),
                foot=FOOT_NAMES[str(row.foot)],
                frame=int(row.frame),
                confidence=float(row.confidence),
            )
        nwb.add_events_table(events)
    tmp = path.with_name(path.name + ".tmp.nwb")
    with pynwb.NWBHDF5IO(str(tmp), mode="w") as io:
        io.write(nwb)
    tmp.replace(path)
    return path
