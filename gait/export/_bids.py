"""BIDS-motion export: one BIDS dataset of pose tracks from several runners, sessions and runs.

``write_bids_motion(root, [(analysis, "01", "pre", 1), ...])`` writes (BIDS 1.10, motion datatype)::

    root/dataset_description.json          Name, BIDSVersion, DatasetType raw, GeneratedBy
    root/README.md, participants.tsv, participants.json
    root/sub-01/ses-pre/motion/
        sub-01_ses-pre_task-running_tracksys-mediapipe_run-1_motion.tsv     samples x channels
        ..._motion.json    sampling, channel counts
        ..._channels.tsv   one row per channel (the columns of _motion.tsv)
        ..._channels.json  the reference frame and units levels
        ..._events.tsv     gait events
        ..._events.json    the event columns

``*_motion.tsv`` has no header; its columns are the rows of ``*_channels.tsv``: for each of the 33
landmarks of the cleaned track ``<landmark>_x`` and ``<landmark>_y`` (type ``POS``, component
``x``/``y``, units ``px``, reference frame ``image``: x right, **y up** (the track's image y
flipped: ``y = image height - y_image``), origin bottom-left of the displayed frame, as in the C3D
and TRC exports), then ``<landmark>_visibility`` (type ``MISC``, component ``n/a``, MediaPipe's
visibility 0..1). Missing values are ``n/a``. Samples are at a constant rate, the track's frame rate
(``SamplingFrequency``); a variable-frame-rate track is resampled to it by linear interpolation
(:func:`gait.export._common.resample`) and ``SamplingFrequencyEffective`` keeps the rate of the
recorded frames.

``*_events.tsv``: ``onset`` (s from the first sample), ``duration`` 0, ``trial_type`` (``foot
strike left``, ``foot off right``, ...), ``sample`` (0-based row of ``*_motion.tsv`` nearest the
event), ``foot``, ``confidence``.

Labels: subject and session labels keep their letters and digits only (BIDS labels are
alphanumeric: ``"S-01"`` becomes ``sub-S01``); the run is a non-negative integer (``run-1``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gait.export._common import ExportSource, Resampled, resample, y_up

#: BIDS version written in ``dataset_description.json``.
BIDS_VERSION = "1.10.0"
#: ``tracksys`` entity of every file.
TRACKSYS = "mediapipe"
#: ``trial_type`` words of each event type and foot.
EVENT_WORDS = {"IC": "foot strike", "TO": "foot off"}
FOOT_WORDS = {"L": "left", "R": "right"}
#: Level of the ``reference_frame`` column of ``*_channels.tsv``.
REFERENCE_FRAME = "image"
REFERENCE_FRAME_DESCRIPTION = (
    "the displayed video frame: x to the right of the image, y up (image y flipped: y = image "
    "height - y_image), origin at the bottom-left corner, pixels; one camera, so no z"
)

#: One recording: (analysis, subject, session or None, run or None).
Row = tuple[ExportSource, str, str | None, int | str | None]


def bids_label(text: str, what: str = "label") -> str:
    """``text`` as a BIDS label: its letters and digits only.

    Raises
    ------
    ValueError
        No letter or digit is left.
    """
    label = re.sub(r"[^A-Za-z0-9]", "", str(text))
    if not label:
        raise ValueError(f"The {what} {text!r} has no letter or digit to make a BIDS label of.")
    return label


def _run_index(run: int | str | None) -> int | None:
    if run is None or (isinstance(run, str) and not run.strip()):
        return None
    text = str(run).strip()
    if not text.isdigit():
        raise ValueError(f"A BIDS run is a non-negative integer, got {run!r}.")
    return int(text)


@dataclass(frozen=True)
class _Recording:
    analysis: ExportSource
    subject: str
    session: str | None
    run: int | None

    def stem(self, task: str) -> str:
        parts = [f"sub-{self.subject}"]
        if self.session is not None:
            parts.append(f"ses-{self.session}")
        parts += [f"task-{task}", f"tracksys-{TRACKSYS}"]  # BIDS entity order
        if self.run is not None:
            parts.append(f"run-{self.run}")
        return "_".join(parts)

    def folder(self, root: Path) -> Path:
        out = root / f"sub-{self.subject}"
        if self.session is not None:
            out = out / f"ses-{self.session}"
        return out / "motion"


def _plan(rows: Sequence[Row], task: str) -> list[_Recording]:
    recordings = []
    seen: dict[tuple, int] = {}
    for i, (analysis, subject, session, run) in enumerate(rows):
        rec = _Recording(
            analysis,
            bids_label(subject, "subject"),
            None if session is None or not str(session).strip() else bids_label(session, "session"),
            _run_index(run),
        )
        key = (rec.subject, rec.session, rec.run)
        if key in seen:
            raise ValueError(
                f"Rows {seen[key]} and {i} would both be {rec.stem(task)}: give them different "
                "runs (or sessions)."
            )
        seen[key] = i
        recordings.append(rec)
    sessions: dict[str, set[bool]] = {r.subject: set() for r in recordings}
    for r in recordings:
        sessions[r.subject].add(r.session is None)
    mixed = [s for s, kinds in sessions.items() if len(kinds) > 1]
    if mixed:
        raise ValueError(
            f"Subject {mixed[0]} has recordings with and without a session: BIDS wants all or none."
        )
    return recordings


def motion_channels(keypoints: Sequence[str]) -> pd.DataFrame:
    """The ``*_channels.tsv`` table: ``<kp>_x``, ``<kp>_y`` (POS) per landmark, then visibility."""
    rows = [
        {
            "name": f"{kp}_{axis}",
            "component": axis,
            "type": "POS",
            "tracked_point": kp,
            "units": "px",
            "reference_frame": REFERENCE_FRAME,
        }
        for kp in keypoints
        for axis in ("x", "y")
    ] + [
        {
            "name": f"{kp}_visibility",
            "component": "n/a",
            "type": "MISC",
            "tracked_point": kp,
            "units": "n/a",
            "reference_frame": "n/a",
        }
        for kp in keypoints
    ]
    return pd.DataFrame(rows)


def _samples(analysis: ExportSource) -> tuple[np.ndarray, np.ndarray, Resampled]:
    """Constant-rate ``(m, channels)`` motion samples, their times and the resampling."""
    track = analysis.cleaned
    pos = track["position"].transpose("time", "keypoint", "space").values.astype(np.float64)
    conf = track["confidence"].transpose("time", "keypoint").values.astype(np.float64)
    # position and visibility are resampled together: a third "space" component
    both = xr.Dataset(
        {"position": (("time", "keypoint", "space"), np.concatenate([pos, conf[..., None]], -1))},
        coords={
            "time": track["time"].values,
            "keypoint": track["keypoint"].values,
            "space": ["x", "y", "v"],
            **({"frame": ("time", track["frame"].values)} if "frame" in track.coords else {}),
        },
        attrs=dict(track.attrs),
    )
    rs = resample(both)
    xy = y_up(rs.position_px[..., :2], track.attrs["image_height_px"], None)[..., :2]
    data = np.concatenate([xy.reshape(len(rs.time_s), -1), rs.position_px[..., 2]], axis=1)
    return data, rs.time_s, rs


def _write_tsv(frame: pd.DataFrame, path: Path, *, header: bool = True) -> None:
    frame.to_csv(path, sep="\t", index=False, header=header, na_rep="n/a", lineterminator="\n")


def _write_json(obj: dict, path: Path) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_recording(rec: _Recording, root: Path, task: str) -> Path:
    analysis = rec.analysis
    track = analysis.cleaned
    attrs = track.attrs
    names = [str(k) for k in track["keypoint"].values]
    data, time_s, rs = _samples(analysis)
    rate = float(rs.rate_hz)
    t = track["time"].values.astype(np.float64)
    effective = float((len(t) - 1) / (t[-1] - t[0])) if len(t) > 1 and t[-1] > t[0] else rate
    channels = motion_channels(names)
    folder = rec.folder(root)
    folder.mkdir(parents=True, exist_ok=True)
    stem = rec.stem(task)

    motion_tsv = folder / f"{stem}_motion.tsv"
    _write_tsv(pd.DataFrame(data), motion_tsv, header=False)
    _write_tsv(channels, folder / f"{stem}_channels.tsv")
    _write_json(
        {
            "reference_frame": {
                "LongName": "reference frame",
                "Description": "coordinate frame of the position channels",
                "Levels": {
                    REFERENCE_FRAME: {
                        "Description": REFERENCE_FRAME_DESCRIPTION,
                        "SpatialAxes": "RS_",  # x right, y up (superior); BIDS letters A/P/L/R/S/I
                    }
                },
            },
            "units": {
                "Description": "unit of the channel",
                "Levels": {"px": "pixels of the displayed (rotated) video frame"},
            },
        },
        folder / f"{stem}_channels.json",
    )
    model = str(attrs.get("model_name") or "unknown")
    n_pos = int((channels["type"] == "POS").sum())
    _write_json(
        {
            "TaskName": task,
            "TaskDescription": "running, filmed by one video camera; landmarks estimated from the "
            f"video by MediaPipe BlazePose GHUM and cleaned by gait ({analysis.events.view} view)",
            "SamplingFrequency": round(rate, 6),
            "SamplingFrequencyEffective": round(effective, 6),
            "RecordingDuration": round(len(time_s) / rate, 6),
            "TrackingSystemName": f"MediaPipe BlazePose GHUM ({model} model) from video",
            "Manufacturer": "Google MediaPipe",
            "ManufacturersModelName": f"pose_landmarker_{model} "
            f"(SHA-256 {attrs.get('model_sha256') or 'unknown'})",
            "SoftwareVersions": f"gait {attrs.get('gait_version') or 'unknown'}",
            "MotionChannelCount": len(channels),
            "POSChannelCount": n_pos,
            "MISCChannelCount": len(channels) - n_pos,
            "TrackedPointsCount": len(names),
            "MissingValues": "n/a",
        },
        folder / f"{stem}_motion.json",
    )

    table = analysis.events.table.sort_values("time_s")
    onset = table["time_s"].to_numpy(dtype=float) - float(time_s[0])
    sample = np.clip(np.rint(onset * rate).astype(int), 0, len(time_s) - 1)
    events = pd.DataFrame(
        {
            "onset": np.round(onset, 6),
            "duration": 0.0,
            "trial_type": [
                f"{EVENT_WORDS[str(k)]} {FOOT_WORDS[str(f)]}"
                for k, f in zip(table["type"], table["foot"], strict=True)
            ],
            "sample": sample,
            "foot": table["foot"].map(FOOT_WORDS).to_numpy(),
            "confidence": np.round(table["confidence"].to_numpy(dtype=float), 4),
        }
    )
    _write_tsv(events, folder / f"{stem}_events.tsv")
    _write_json(
        {
            "onset": {"Description": "event time from the first sample", "Units": "s"},
            "duration": {"Description": "instantaneous events", "Units": "s"},
            "trial_type": {
                "Description": "gait event and foot",
                "Levels": {
                    f"{EVENT_WORDS[k]} {FOOT_WORDS[f]}": (
                        f"{'initial contact' if k == 'IC' else 'toe-off'} of the "
                        f"{FOOT_WORDS[f]} foot"
                    )
                    for k in EVENT_WORDS
                    for f in FOOT_WORDS
                },
            },
            "sample": {"Description": "0-based row of the motion file nearest the event"},
            "foot": {"Description": "the foot", "Levels": {"left": "left", "right": "right"}},
            "confidence": {"Description": "event detector confidence, 0..1"},
        },
        folder / f"{stem}_events.json",
    )
    return motion_tsv


def write_bids_motion(
    root: Path,
    rows: Sequence[Row],
    *,
    task: str = "running",
    name: str = "Running gait from video",
) -> list[Path]:
    """Write recordings as a BIDS-motion dataset under ``root``.

    Parameters
    ----------
    root
        Dataset folder (created if needed; existing files of the same names are replaced).
    rows
        ``(analysis, subject, session, run)`` per recording: a :class:`gait.pipeline.Analysis`
        (read only), the subject label, the session label or None, the run (non-negative
        integer, or None). Labels keep their letters and digits only (:func:`bids_label`).
    task
        BIDS task label (``TaskName``).
    name
        ``Name`` of the dataset.

    Returns
    -------
    list of Path
        The ``*_motion.tsv`` files, in the order of ``rows``.

    Raises
    ------
    ValueError
        An empty label, a run that is not an integer, two rows with the same subject, session
        and run, or a subject with and without sessions (checked before anything is written).
    """
    task = bids_label(task, "task")
    recordings = _plan(rows, task)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    version = next(
        (str(r.analysis.cleaned.attrs.get("gait_version")) for r in recordings), "unknown"
    )
    _write_json(
        {
            "Name": name,
            "BIDSVersion": BIDS_VERSION,
            "DatasetType": "raw",
            "GeneratedBy": [
                {
                    "Name": "gait",
                    "Version": version,
                    "Description": "pose landmarks by MediaPipe BlazePose GHUM from video, "
                    "cleaned, with gait events",
                }
            ],
        },
        root / "dataset_description.json",
    )
    readme = root / "README.md"
    if not readme.exists():
        readme.write_text(
            f"# {name}\n\nRunning filmed by one video camera. Body landmarks (BlazePose, 33 "
            "points) were estimated from each video by MediaPipe and cleaned by gait; positions "
            "are in pixels of the video frame (x right, y up). Gait events (foot strike, foot "
            "off) are in the events files.\n",
            encoding="utf-8",
        )
    subjects = sorted({r.subject for r in recordings})
    _write_tsv(
        pd.DataFrame({"participant_id": [f"sub-{s}" for s in subjects], "species": "homo sapiens"}),
        root / "participants.tsv",
    )
    _write_json(
        {
            "participant_id": {"Description": "participant label"},
            "species": {"Description": "species of the participant"},
        },
        root / "participants.json",
    )
    return [_write_recording(r, root, task) for r in recordings]


def write_bids(analysis: ExportSource, path: Path) -> Path:
    """One analysis as a one-recording BIDS-motion dataset in folder ``path`` (subject ``01``).

    The registry's ``"bids"`` format; :func:`write_bids_motion` writes many subjects, sessions
    and runs into one dataset.
    """
    write_bids_motion(Path(path), [(analysis, "01", None, None)])
    return Path(path)
