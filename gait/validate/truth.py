"""Ground truth of a mocap-derived pose track: events, per-contact values, per-frame angles.

Contacts come from the instrumented treadmill's vertical force (``derive_events.py`` in the data
folder; RBDS data of Fukuchi RK, Fukuchi CA, Duarte M. PeerJ 5:e3298, 2017,
doi:10.7717/peerj.3298, CC BY 4.0). Angles come from the joint centres of
:mod:`gait.validate.anatomy`, in the lab frame (x forward, y up, z right).

Angle definitions (frontal plane = the lab y-z plane, the image plane of a rear camera):

``pelvic_obliquity_deg``
    Angle of the left->right hip-joint-centre line from horizontal; **positive when the right hip
    is higher** (the left side has dropped).
``femoral_adduction_<side>_deg``
    Angle of the hip->knee line from the downward vertical; positive when the knee is medial of the
    hip (Dingenen et al. 2018's femoral adduction).
``hip_adduction_<side>_deg``
    Angle of the hip->knee line from the pelvis's downward perpendicular (perpendicular to the
    hip-hip line); positive = adduction. Approximately femoral adduction + contralateral drop.
``rearfoot_<side>_deg``
    Rearfoot-angle proxy (Souza 2016's posterior-view definition, on shoe markers): angle of the
    ``Heel.Top``->``Heel.Bottom`` line minus the angle of the knee->ankle (shank) line, each from
    the downward vertical towards lateral; **positive = eversion** (heel bottom lateral). Not
    corrected for its standing value; it is a shoe-counter angle, not a calcaneus angle. NaN when
    the heel line's frontal projection is shorter than half its length (foot pitched, e.g. at
    toe-off and in swing), where the projected angle is meaningless.
``knee_flexion_<side>_deg``
    3D: 180 deg minus the hip-knee-ankle angle (0 = straight).

Per-contact values (:func:`contact_truth`):

``step_width_m``
    At each IC, mediolateral (z) distance between this contact's heel and the previous contact's
    heel, each taken at its own IC: right heel z minus left heel z, so **<= 0 is a crossover**.
    NaN for the first contact or when the previous contact is the same foot.
``pelvic_drop_midstance_deg``
    Contralateral pelvic drop at midstance (halfway between IC and TO): positive when the
    swing-side hip is lower (domain.md section 2.2).
``peak_hip_adduction_deg``, ``peak_rearfoot_eversion_deg``
    Maxima of the stance side's angle between IC and TO.
``knee_flexion_ic_deg``
    Stance knee flexion at IC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gait.validate.camera import CameraClip, VirtualCamera

_MEDIAL_Z = {"left": 1.0, "right": -1.0}


def cadence_spm(ic_time_s: np.ndarray) -> float:
    """60 / mean interval between consecutive ICs of both feet; NaN with fewer than 2 ICs."""
    ic = np.sort(np.asarray(ic_time_s, dtype=float))
    return float(60.0 / np.mean(np.diff(ic))) if len(ic) >= 2 else float("nan")


def _frontal_angle_deg(v: np.ndarray, toward_z: float) -> np.ndarray:
    """Angle of vectors ``(n, 3)`` from the downward vertical, positive towards ``toward_z`` * z."""
    return np.degrees(np.arctan2(toward_z * v[:, 2], -v[:, 1]))


def frame_angles(points_m: Mapping[str, np.ndarray], time_s: np.ndarray) -> pd.DataFrame:
    """Per-frame true angles (definitions in the module docstring).

    Parameters
    ----------
    points_m
        Point name -> ``(n_frames, 3)`` in metres, lab frame; needs hips, knees, ankles, heels and
        ``*_heel_top``.
    time_s
        ``(n_frames,)`` times, used as the index.

    Returns
    -------
    pandas.DataFrame
        Columns ``pelvic_obliquity_deg`` and, per side, ``femoral_adduction_``, ``hip_adduction_``,
        ``rearfoot_`` and ``knee_flexion_<side>_deg``; index ``time_s``.
    """
    lh, rh = points_m["left_hip"], points_m["right_hip"]
    pelvis = rh - lh
    out = {"pelvic_obliquity_deg": np.degrees(np.arctan2(pelvis[:, 1], pelvis[:, 2]))}
    p = np.stack([pelvis[:, 2], pelvis[:, 1]], axis=1)
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    down = np.stack([p[:, 1], -p[:, 0]], axis=1)
    for side in ("left", "right"):
        hip, knee, ankle = (points_m[f"{side}_{j}"] for j in ("hip", "knee", "ankle"))
        thigh = knee - hip
        medial = _MEDIAL_Z[side]
        out[f"femoral_adduction_{side}_deg"] = _frontal_angle_deg(thigh, medial)
        t2 = np.stack([thigh[:, 2], thigh[:, 1]], axis=1)
        out[f"hip_adduction_{side}_deg"] = np.degrees(
            np.arctan2(np.sum(t2 * p, axis=1) * medial, np.sum(t2 * down, axis=1))
        )
        heel_line = points_m[f"{side}_heel"] - points_m[f"{side}_heel_top"]
        rear = _frontal_angle_deg(heel_line, -medial) - _frontal_angle_deg(ankle - knee, -medial)
        foreshortened = np.hypot(heel_line[:, 1], heel_line[:, 2]) < 0.5 * np.linalg.norm(
            heel_line, axis=1
        )
        out[f"rearfoot_{side}_deg"] = np.where(
            foreshortened, np.nan, (rear + 180.0) % 360.0 - 180.0
        )
        a, b = hip - knee, ankle - knee
        cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        out[f"knee_flexion_{side}_deg"] = 180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    return pd.DataFrame(out, index=pd.Index(np.asarray(time_s, dtype=float), name="time_s"))


def contact_truth(
    contacts: pd.DataFrame, points_m: Mapping[str, np.ndarray], time_s: np.ndarray
) -> pd.DataFrame:
    """Add per-contact truth columns (module docstring) to a contacts table; returns a new table."""
    angles = frame_angles(points_m, time_s)
    heel_z = {s: points_m[f"{s}_heel"][:, 2] for s in ("left", "right")}
    rows = []
    prev: tuple[str, float] | None = None
    for c in contacts.itertuples(index=False):
        side, ic, to = c.side, c.ic_time_s, c.to_time_s
        z_here = float(np.interp(ic, time_s, heel_z[side]))
        width = np.nan
        if prev is not None and prev[0] != side:
            width = z_here - prev[1] if side == "right" else prev[1] - z_here
        prev = (side, z_here)
        stance = (angles.index >= ic) & (angles.index <= to)
        obliq = float(np.interp((ic + to) / 2, time_s, angles["pelvic_obliquity_deg"]))
        rows.append(
            {
                "step_width_m": width,
                "pelvic_drop_midstance_deg": obliq if side == "right" else -obliq,
                "peak_hip_adduction_deg": float(
                    angles.loc[stance, f"hip_adduction_{side}_deg"].max()
                ),
                "peak_rearfoot_eversion_deg": float(
                    angles.loc[stance, f"rearfoot_{side}_deg"].max()
                ),
                "knee_flexion_ic_deg": float(
                    np.interp(ic, time_s, angles[f"knee_flexion_{side}_deg"])
                ),
            }
        )
    extra = pd.DataFrame(rows, index=contacts.index)
    return pd.concat([contacts.drop(columns=extra.columns, errors="ignore"), extra], axis=1)


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """The truth behind a mocap-derived pose track, in the track's time base (first frame at 0).

    Attributes
    ----------
    trial_id, view, fps
        Trial, camera view and frame rate of the track.
    time_offset_s
        Mocap time of the track's first frame (track time = mocap time - offset).
    events
        One row per IC or TO inside the clip: ``side`` (``"left"``/``"right"``), ``kind``
        (``"ic"``/``"to"``), ``time_s`` (track time), ``frame`` (nearest track frame); sorted by
        time.
    contacts
        One row per contact whose IC and TO both lie in the clip: ``side``, ``ic_time_s``,
        ``to_time_s`` (track time), ``contact_time_s``, ``foot_strike_angle_deg``, ``strike_class``,
        ``peak_vgrf_N`` and the :func:`contact_truth` columns.
    cadence_spm
        From the ICs inside the clip (:func:`cadence_spm`).
    angles
        Per track frame (:func:`frame_angles`), from the noise-free 3D points.
    position_true_px
        ``(n_frames, 33, 2)`` noise-free projection (same keypoint order as the track).
    noise_px
        Standard deviation of the added landmark noise, per image axis.
    camera
        The virtual camera.
    """

    trial_id: str
    view: str
    fps: float
    time_offset_s: float
    events: pd.DataFrame
    contacts: pd.DataFrame
    cadence_spm: float
    angles: pd.DataFrame
    position_true_px: np.ndarray
    noise_px: float
    camera: VirtualCamera


_CONTACT_COLUMNS = (
    "side",
    "ic_time_s",
    "to_time_s",
    "contact_time_s",
    "foot_strike_angle_deg",
    "strike_class",
    "peak_vgrf_N",
    "step_width_m",
    "pelvic_drop_midstance_deg",
    "peak_hip_adduction_deg",
    "peak_rearfoot_eversion_deg",
    "knee_flexion_ic_deg",
)


def ground_truth(trial_id: str, contacts: pd.DataFrame, clip: CameraClip) -> GroundTruth:
    """Shift a trial's contacts into a clip's time base and bundle them with the clip's truth."""
    t = clip.track["time"].to_numpy()
    t_end, fps = float(t[-1]), float(clip.track.attrs["fps"])
    cols = [c for c in _CONTACT_COLUMNS if c in contacts.columns]
    shifted = contacts[cols].assign(
        ic_time_s=contacts["ic_time_s"] - clip.time_offset_s,
        to_time_s=contacts["to_time_s"] - clip.time_offset_s,
    )
    inside = (shifted["ic_time_s"] >= 0) & (shifted["to_time_s"] <= t_end)
    events = pd.concat(
        [
            pd.DataFrame(
                {"side": shifted["side"], "kind": kind, "time_s": shifted[f"{kind}_time_s"]}
            )
            for kind in ("ic", "to")
        ]
    )
    events = events[(events["time_s"] >= 0) & (events["time_s"] <= t_end)]
    events = events.sort_values("time_s", kind="stable").reset_index(drop=True)
    events["frame"] = np.clip(np.round(events["time_s"].to_numpy() * fps), 0, len(t) - 1).astype(
        int
    )
    ics = events.loc[events["kind"] == "ic", "time_s"].to_numpy()
    return GroundTruth(
        trial_id=trial_id,
        view=clip.camera.view,
        fps=fps,
        time_offset_s=clip.time_offset_s,
        events=events,
        contacts=shifted[inside].reset_index(drop=True),
        cadence_spm=cadence_spm(ics),
        angles=frame_angles(clip.points_m, t),
        position_true_px=clip.position_true_px,
        noise_px=clip.noise_px,
        camera=clip.camera,
    )
