"""Running motion capture with force-plate contacts, as a validation source for pose tracks.

Data: the RBDS running trials in ``shared/data/mocap`` (Fukuchi RK, Fukuchi CA, Duarte M. *A public
dataset of running biomechanics and the effects of running speed on lower extremity kinematics and
kinetics.* PeerJ 5:e3298, 2017, doi:10.7717/peerj.3298; CC BY 4.0, attribution required), with the
contact events that ``derive_events.py`` computed from the treadmill's vertical force.

Lab frame, used unchanged except for mm -> m: **x** = running direction (forward), **y** = up,
**z** = to the runner's right (``R.ASIS`` has the larger z). It is right-handed (x cross y = z).

Time base: marker frame ``k`` is at ``k / 150`` s, first frame at 0. That is the base of the event
files (``derive_events.py`` maps an IC at force sample ``i`` to ``i / 300`` s and to marker frame
``round(t * 150)``). The text files' ``Time`` column agrees to its 3-decimal rounding for RBDS001,
but in ``RBDS0041runT252.txt`` it adds rounded increments and drifts to +6.7 ms (one frame) by the
end, so it is not used.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gait.errors import GaitError
from gait.validate import anatomy, clusters, truth
from gait.validate.camera import CameraClip, project_to_camera

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gait.track import PoseTrack

MARKER_RATE_HZ = 150.0


class MocapDataError(GaitError, ValueError):
    """A motion-capture trial is missing, unreadable or inconsistent."""


@dataclass(frozen=True, eq=False)
class MarkerData:
    """Marker trajectories of one trial.

    Attributes
    ----------
    name
        File name the markers came from.
    rate_hz
        Sampling rate (150 Hz for RBDS).
    time_s
        ``(n_frames,)`` frame times, ``k / rate_hz``.
    markers_m
        Marker name (as in the file, e.g. ``"R.Heel.Bottom"``) -> ``(n_frames, 3)`` read-only
        array in metres, lab frame (x forward, y up, z right); NaN in gaps. Columns that are empty
        in the whole trial are left out.
    """

    name: str
    rate_hz: float
    time_s: np.ndarray
    markers_m: Mapping[str, np.ndarray]

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return len(self.time_s)


def read_markers(path: Path | str, *, rate_hz: float = MARKER_RATE_HZ) -> MarkerData:
    """Read an RBDS marker file: tab-separated ``.txt`` (mm) or ``.c3d`` (needs the c3d package).

    Parameters
    ----------
    path
        The file. Text files have a ``Time`` column then ``<marker>X/Y/Z`` columns in mm.
    rate_hz
        Frame rate of text files (their ``Time`` column is not trusted; see the module docstring).

    Returns
    -------
    MarkerData
    """
    path = Path(path)
    if not path.is_file():
        raise MocapDataError(f"Expected a marker file at {path}, found none.")
    if path.suffix.lower() == ".c3d":
        return _read_c3d(path)
    table = pd.read_csv(path, sep="\t", dtype=np.float64)
    cols = list(table.columns)
    if cols[0] != "Time" or (len(cols) - 1) % 3:
        raise MocapDataError(
            f"Expected 'Time' then X/Y/Z triplets in {path.name}, got {cols[:4]}..."
        )
    values = table.to_numpy()[:, 1:].reshape(len(table), -1, 3)
    names = [c[:-1] for c in cols[1::3]]
    if any(c[-1] != "X" for c in cols[1::3]):
        raise MocapDataError(f"Expected X/Y/Z column triplets in {path.name}.")
    return _marker_data(path.name, rate_hz, names, values / 1000.0)


def _read_c3d(path: Path) -> MarkerData:
    """Read a C3D file's points; residual < 0 or all-zero points are gaps."""
    try:
        # c3d ships neither inline types nor stubs (no py.typed): its reader is used untyped
        import c3d  # type: ignore[import-untyped]
    except ImportError as err:
        raise MocapDataError(
            f"Reading {path.name} needs the 'c3d' package (pip install c3d)."
        ) from err

    with path.open("rb") as handle:
        reader = c3d.Reader(handle)
        names = [label.strip() for label in reader.point_labels]
        frames = np.array([pts[:, :4] for _, pts, _ in reader.read_frames()], dtype=np.float64)
        rate = float(reader.point_rate)
        unit = (
            reader.get("POINT:UNITS").string_value.strip(" \x00")
            if reader.get("POINT:UNITS")
            else "mm"
        )
    scale = {"mm": 1e-3, "m": 1.0}.get(unit)
    if scale is None:
        raise MocapDataError(f"Expected POINT:UNITS mm or m in {path.name}, got {unit!r}.")
    xyz = frames[:, :, :3].copy()
    bad = (frames[:, :, 3] < 0) | (xyz == 0).all(axis=2)
    xyz[bad] = np.nan
    return _marker_data(path.name, rate, names, xyz * scale)


def _marker_data(name: str, rate_hz: float, names: list[str], xyz_m: np.ndarray) -> MarkerData:
    """Freeze arrays into a MarkerData, dropping markers that are empty in every frame."""
    markers = {}
    for j, marker in enumerate(names):
        arr = np.ascontiguousarray(xyz_m[:, j, :])
        if np.isfinite(arr).any():
            arr.flags.writeable = False
            markers[marker] = arr
    time_s = np.arange(xyz_m.shape[0]) / rate_hz
    time_s.flags.writeable = False
    return MarkerData(
        name=name, rate_hz=rate_hz, time_s=time_s, markers_m=MappingProxyType(markers)
    )


def read_events(path: Path | str) -> pd.DataFrame:
    """Read a ground-truth events CSV (one row per foot contact; see ``SOURCES.md``).

    Returns
    -------
    pandas.DataFrame
        The file's columns, plus ``side`` (``"left"``/``"right"`` from ``foot`` L/R) and
        ``contact_time_s`` (``to_time_s - ic_time_s``), sorted by ``ic_time_s``.
    """
    table = pd.read_csv(path)
    expected = {"foot", "ic_time_s", "to_time_s", "foot_strike_angle_deg", "strike_class"}
    if not expected <= set(table.columns):
        raise MocapDataError(
            f"Expected columns {sorted(expected)} in {path}, got {list(table.columns)}."
        )
    side = table["foot"].map({"L": "left", "R": "right"})
    return (
        table.assign(side=side, contact_time_s=table["to_time_s"] - table["ic_time_s"])
        .sort_values("ic_time_s")
        .reset_index(drop=True)
    )


def list_trials(data_dir: Path | str) -> tuple[str, ...]:
    """List trial ids with events, e.g. ``"RBDS001_runT25"``; C3D ones only if c3d imports."""
    events = sorted((Path(data_dir) / "events").glob("*_events.csv"))
    ids = [p.name.removesuffix("_events.csv") for p in events]
    has_c3d = _c3d_available()
    return tuple(i for i in ids if has_c3d or not i.endswith("_c3d"))


def _c3d_available() -> bool:
    """Whether the optional ``c3d`` package imports."""
    try:
        import c3d  # noqa: F401
    except ImportError:
        return False
    return True


def _trial_files(data_dir: Path, trial_id: str) -> tuple[Path, Path, Path]:
    """Marker, static and events files of a trial id ``<subject>_<run>[_c3d]``."""
    parts = trial_id.split("_")
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "c3d"):
        raise MocapDataError(f"Expected a trial id like 'RBDS001_runT25', got {trial_id!r}.")
    subject, run = parts[0], parts[1]
    events = data_dir / "events" / f"{trial_id}_events.csv"
    static = data_dir / subject / f"{subject}static.txt"
    ext = ".c3d" if len(parts) == 3 else ".txt"
    candidates = sorted(
        p for p in (data_dir / subject).glob(f"{subject}{run}*{ext}") if "forces" not in p.name
    )
    for path in (events, static):
        if not path.is_file():
            raise MocapDataError(f"Expected {path} for trial {trial_id!r}, found none.")
    if len(candidates) != 1:
        raise MocapDataError(f"Expected one marker file for {trial_id!r}, found {candidates}.")
    return candidates[0], static, events


@dataclass(frozen=True, eq=False)
class MocapTrial:
    """One running trial: markers, joint centres and force-plate ground truth.

    Attributes
    ----------
    trial_id
        E.g. ``"RBDS001_runT25"``.
    markers
        The running trial's markers.
    static
        The subject's static standing trial.
    calibration
        Segment calibration from ``static`` (see :mod:`gait.validate.anatomy`).
    landmarks_m
        Point name -> ``(n_frames, 3)`` read-only positions in metres, lab frame: the MediaPipe leg
        landmarks (``left_hip`` ... ``right_foot_index``) and extra points (``*_asis``, ``*_psis``,
        ``*_heel_top``, ``*_mt1``, ``*_mt5``).
    contacts
        One row per force-plate contact (see :func:`read_events`) plus the per-contact truth of
        :func:`gait.validate.truth.contact_truth`.
    relabelled
        Marker labels of the running file that were corrected (file label -> true label), found by
        :func:`gait.validate.clusters.find_label_swaps`; ``markers`` carries the corrected labels.
    """

    trial_id: str
    markers: MarkerData
    static: MarkerData
    calibration: anatomy.Calibration
    landmarks_m: Mapping[str, np.ndarray]
    contacts: pd.DataFrame
    relabelled: Mapping[str, str]

    @property
    def time_s(self) -> np.ndarray:
        """``(n_frames,)`` frame times, the base of the contact times."""
        return self.markers.time_s

    @property
    def duration_s(self) -> float:
        """Time of the last frame."""
        return float(self.markers.time_s[-1])

    @property
    def stature_m(self) -> float:
        """Estimated standing height with shoes (see :class:`gait.validate.anatomy.Calibration`)."""
        return self.calibration.stature_m

    @property
    def cadence_spm(self) -> float:
        """Steps per minute: 60 / mean interval between consecutive ICs, both feet (SOURCES.md)."""
        return truth.cadence_spm(self.contacts["ic_time_s"].to_numpy())

    def angles(self) -> pd.DataFrame:
        """Per-frame true angles (:func:`gait.validate.truth.frame_angles`), index ``time_s``."""
        return truth.frame_angles(self.landmarks_m, self.time_s)

    def static_angles(self) -> pd.Series:
        """Mean :func:`gait.validate.truth.frame_angles` of the static standing trial (offsets)."""
        points = anatomy.reconstruct(self.calibration, self.static.markers_m)
        return truth.frame_angles(points, self.static.time_s).mean()

    def to_track(
        self,
        *,
        view: str = "side_left",
        fps: float = 60.0,
        image_size_px: tuple[int, int] = (1280, 720),
        distance_m: float = 3.0,
        focal_px: float | None = None,
        noise_px: float | None = None,
        seed: int = 0,
        start_s: float = 0.0,
        duration_s: float | None = None,
    ) -> tuple[PoseTrack, truth.GroundTruth]:
        """Film the trial with a virtual camera (:func:`gait.validate.camera.project_to_camera`).

        Parameters
        ----------
        view
            ``"side_left"`` (camera on the runner's left, runner faces image-left),
            ``"side_right"``, ``"rear"`` or ``"front"``.
        fps
            Camera frame rate (30, 60, 120, 240 ...); above 150 Hz the 3D data are spline-upsampled.
        image_size_px
            ``(width, height)``; ``(720, 1280)`` for portrait.
        distance_m
            Camera distance from the runner's mean hip midpoint.
        focal_px
            Default: the estimated stature fills 70 % of the image height.
        noise_px
            Landmark noise SD per axis; default 0.9 % of the stature in pixels; 0 for none.
        seed
            Seeds the sub-frame phase of the first frame and the noise.
        start_s, duration_s
            Window of the trial to film, in trial time.

        Returns
        -------
        track, ground_truth
            The pose track (``from_numpy``; attrs ``source_format="mocap"``, ``view``, ``trial``)
            and the truth in the track's time base.
        """
        clip = self.film(
            view=view,
            fps=fps,
            image_size_px=image_size_px,
            distance_m=distance_m,
            focal_px=focal_px,
            noise_px=noise_px,
            seed=seed,
            start_s=start_s,
            duration_s=duration_s,
        )
        return clip.track, self.ground_truth(clip)

    def film(self, **camera: Any) -> CameraClip:
        """The :class:`gait.validate.camera.CameraClip` of this trial.

        ``camera``: the keywords of :func:`gait.validate.camera.project_to_camera`; the trial's stature and id
        are its own.
        """
        return project_to_camera(
            self.landmarks_m,
            self.time_s,
            stature_m=self.stature_m,
            trial=self.trial_id,
            **camera,
        )

    def ground_truth(self, clip: CameraClip) -> truth.GroundTruth:
        """The force-plate truth of this trial in ``clip``'s time base."""
        return truth.ground_truth(self.trial_id, self.contacts, clip)


def load_trial(
    data_dir: Path | str, trial_id: str, *, toe_ratio: float = anatomy.TOE_RATIO
) -> MocapTrial:
    """Load a trial, calibrate it on the subject's static trial and reconstruct its joint centres.

    Parameters
    ----------
    data_dir
        The mocap folder (holds ``events/``, ``RBDS001/`` ...).
    trial_id
        One of :func:`list_trials`.
    toe_ratio
        Foot-index placement (see :mod:`gait.validate.anatomy`).

    Returns
    -------
    MocapTrial
    """
    marker_path, static_path, events_path = _trial_files(Path(data_dir), trial_id)
    markers = read_markers(marker_path)
    static = read_markers(static_path)
    calibration = anatomy.calibrate(static.markers_m, toe_ratio=toe_ratio)
    swaps = clusters.find_label_swaps(calibration, markers.markers_m)
    if swaps:
        fixed = {swaps.get(k, k): v for k, v in markers.markers_m.items()}
        markers = replace(markers, markers_m=MappingProxyType(fixed))
    points = anatomy.reconstruct(calibration, markers.markers_m)
    for arr in points.values():
        arr.flags.writeable = False
    contacts = read_events(events_path)
    last = contacts["to_time_s"].max()
    if last > markers.time_s[-1] + 1.0 / markers.rate_hz:
        raise MocapDataError(
            f"Expected contacts within the {markers.name} trial, got one at {last} s."
        )
    contacts = truth.contact_truth(contacts, points, markers.time_s)
    return MocapTrial(
        trial_id=trial_id,
        markers=markers,
        static=static,
        calibration=calibration,
        landmarks_m=MappingProxyType(points),
        contacts=contacts,
        relabelled=MappingProxyType(swaps),
    )


def load_landmarks(data_dir: Path | str, trial_id: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Joint centres of a trial and their times; shorthand for :func:`load_trial`.

    Returns
    -------
    landmarks_m, time_s
        Point name -> ``(n_frames, 3)`` in metres, right-handed lab frame (x forward, y up,
        z right; see :attr:`MocapTrial.landmarks_m` for the names), and ``(n_frames,)`` seconds.
    """
    trial = load_trial(data_dir, trial_id)
    return dict(trial.landmarks_m), trial.time_s
