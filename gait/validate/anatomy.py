"""Joint centres from running motion capture: technical-to-anatomical calibration.

The running trials of the RBDS data set (Fukuchi RK, Fukuchi CA, Duarte M. *A public dataset of
running biomechanics and the effects of running speed on lower extremity kinematics and kinetics.*
PeerJ 5:e3298, 2017, doi:10.7717/peerj.3298, CC BY 4.0) carry only technical markers: pelvis
(ASIS, PSIS, iliac crests), four-marker clusters on each thigh and shank, and shoe markers
(``Heel.Top``, ``Heel.Bottom``, ``Heel.Lateral``, ``MT1``, ``MT5``). The static standing trial adds
the anatomical markers (epicondyles ``Knee``/``Knee.Medial``, malleoli ``Ankle``/``Ankle.Medial``,
``MT2``, ``GTR``, ``HF``, ``TT``). The standard calibrated-anatomical-systems approach
(Cappozzo et al. 1995, Clin Biomech 10:171) is used:

1. In the static trial, the mean position of every anatomical point is stored together with the mean
   positions of its segment's cluster markers (the cluster's reference shape).
2. In every running frame, the rigid motion that best maps the reference shape onto the visible
   cluster markers is found by least squares (Kabsch/SVD; any 3 of the markers suffice), and the
   anatomical points are carried along with it.

Points and their definitions (all in the lab frame, see :mod:`gait.validate.mocap`):

``left_hip``/``right_hip``
    Hip joint centre from Harrington et al. 2007 (J Biomech 40:595,
    doi:10.1016/j.jbiomech.2006.02.003),
    width/depth-only equations, in a pelvis frame with origin at the ASIS midpoint, x anterior
    (perpendicular to the inter-ASIS axis, towards the ASIS from the PSIS midpoint), y superior,
    z towards the side: ``x = -0.24 PD - 9.9 mm``, ``y = -0.30 PW - 10.9 mm``,
    ``z = 0.33 PW + 7.3 mm``, PW = inter-ASIS distance, PD = ASIS-midpoint to PSIS-midpoint
    distance. Computed in the static trial, then carried by the 6-marker pelvis cluster.
``*_knee``
    Midpoint of the femoral epicondyle markers, carried by the thigh cluster.
``*_ankle``
    Midpoint of the malleolus markers, carried by the shank cluster.
``*_heel``
    The ``Heel.Bottom`` shoe marker (posterior, lower heel counter); the foot-cluster
    reconstruction fills its gaps.
``*_foot_index``
    MediaPipe's "foot index" sits at the front of the shoe near the 2nd toe. Ours: in the static
    trial, ``MT2`` moved forward horizontally along the heel->MT2 direction by
    ``toe_ratio`` (0.37) times the horizontal heel->MT2 distance, at the height of ``Heel.Bottom``
    (so the heel->foot-index line is level in standing). 0.37 assumes the metatarsal heads at about
    73 % of foot (shoe) length from the heel: an approximation, not a published constant.
    Carried by the foot cluster. Without ``MT2`` the MT1/MT5 midpoint is used.
``*_asis``, ``*_psis``, ``*_heel_top``, ``*_mt1``, ``*_mt5``
    The markers themselves, gaps filled from their cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from gait.skeleton import SIDES
from gait.validate.clusters import carry_points

if TYPE_CHECKING:
    from collections.abc import Mapping

PELVIS_CLUSTER = ("R.ASIS", "L.ASIS", "R.PSIS", "L.PSIS", "R.Iliac.Crest", "L.Iliac.Crest")
TOE_RATIO = 0.37
#: Greater-trochanter height / stature (Winter, Biomechanics and Motor Control of Human Movement,
#: 4th ed. 2009, Fig. 4.1); used to estimate stature from the hip-joint-centre height.
HIP_HEIGHT_FRACTION = 0.530


@dataclass(frozen=True, eq=False)
class SegmentCalibration:
    """One rigid segment: its technical cluster and the anatomical points it carries.

    Attributes
    ----------
    segment
        Segment name, e.g. ``"pelvis"``, ``"left_thigh"``.
    cluster
        Names of the technical markers that define the segment's pose.
    cluster_ref_m
        ``(n_markers, 3)`` mean static positions of ``cluster``, in metres.
    points_m
        Anatomical point name -> ``(3,)`` static position in metres (lab frame).
    measured_from
        Point name -> the static markers whose mean defines it (empty for derived points such as the
        hip joint centre); used to check the calibration on the static trial.
    raw_marker
        Point name -> a running-trial marker that *is* this point (preferred where visible).
    """

    segment: str
    cluster: tuple[str, ...]
    cluster_ref_m: np.ndarray
    points_m: Mapping[str, np.ndarray]
    measured_from: Mapping[str, tuple[str, ...]]
    raw_marker: Mapping[str, str]


@dataclass(frozen=True, eq=False)
class Calibration:
    """The segments of one subject, from the static trial.

    Attributes
    ----------
    segments
        Pelvis, then thigh, shank and foot of each side.
    stature_m
        Estimated standing height with shoes: static hip-joint-centre height above the lab floor
        (``y = 0``) divided by :data:`HIP_HEIGHT_FRACTION`.
    """

    segments: tuple[SegmentCalibration, ...]
    stature_m: float


def harrington_hjc_m(markers_m: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Hip joint centres by Harrington et al. (2007), from ASIS and PSIS positions.

    Parameters
    ----------
    markers_m
        At least ``R.ASIS``, ``L.ASIS``, ``R.PSIS``, ``L.PSIS``; arrays ``(..., 3)`` in metres.

    Returns
    -------
    dict
        ``{"left_hip": (..., 3), "right_hip": (..., 3)}`` in metres.
    """
    r_asis, l_asis = markers_m["R.ASIS"], markers_m["L.ASIS"]
    mid_asis = (r_asis + l_asis) / 2
    mid_psis = (markers_m["R.PSIS"] + markers_m["L.PSIS"]) / 2
    z = _unit(r_asis - l_asis)
    xp = mid_asis - mid_psis
    x = _unit(xp - np.sum(xp * z, axis=-1, keepdims=True) * z)
    y = np.cross(z, x)
    pw_mm = np.linalg.norm(r_asis - l_asis, axis=-1, keepdims=True) * 1000
    pd_mm = np.linalg.norm(mid_asis - mid_psis, axis=-1, keepdims=True) * 1000
    ax = (-0.24 * pd_mm - 9.9) / 1000
    ay = (-0.30 * pw_mm - 10.9) / 1000
    az = (0.33 * pw_mm + 7.3) / 1000
    base = mid_asis + ax * x + ay * y
    return {"right_hip": base + az * z, "left_hip": base - az * z}


def calibrate(static_m: Mapping[str, np.ndarray], *, toe_ratio: float = TOE_RATIO) -> Calibration:
    """Build the segment calibration from a static trial.

    Parameters
    ----------
    static_m
        Marker name -> ``(n_frames, 3)`` static-trial positions in metres (lab frame, y up).
    toe_ratio
        Forward extension of ``MT2`` for the foot-index point, as a fraction of the horizontal
        heel->MT2 distance (see the module docstring).

    Returns
    -------
    Calibration
    """
    mean = {k: np.nanmean(v, axis=0) for k, v in static_m.items() if np.isfinite(v).any()}
    hips = harrington_hjc_m(mean)
    segs = [
        _segment(
            mean,
            "pelvis",
            PELVIS_CLUSTER,
            {
                "left_hip": ((), hips["left_hip"]),
                "right_hip": ((), hips["right_hip"]),
                **{
                    f"{side}_{m.lower()}": ((f"{s}.{m}",), None)
                    for s, side in SIDES
                    for m in ("ASIS", "PSIS")
                },
            },
            raw={f"{side}_{m.lower()}": f"{s}.{m}" for s, side in SIDES for m in ("ASIS", "PSIS")},
        )
    ]
    for s, side in SIDES:
        segs += _leg_segments(mean, s, side, toe_ratio)
    hip_height_m = float(np.mean([hips["left_hip"][1], hips["right_hip"][1]]))
    return Calibration(segments=tuple(segs), stature_m=hip_height_m / HIP_HEIGHT_FRACTION)


def _leg_segments(
    mean: Mapping[str, np.ndarray], s: str, side: str, toe_ratio: float
) -> list[SegmentCalibration]:
    """Thigh, shank and foot segments of one side."""

    def cluster(seg: str) -> tuple[str, ...]:
        return tuple(f"{s}.{seg}.{a}.{b}" for a in ("Top", "Bottom") for b in ("Lateral", "Medial"))

    foot_cluster = tuple(
        f"{s}.{m}" for m in ("Heel.Top", "Heel.Bottom", "Heel.Lateral", "MT1", "MT5")
    )
    heel = mean[f"{s}.Heel.Bottom"]
    mt2 = mean.get(f"{s}.MT2", (mean[f"{s}.MT1"] + mean[f"{s}.MT5"]) / 2)
    step = (mt2 - heel) * np.array([1.0, 0.0, 1.0])
    toe = mt2 + toe_ratio * step
    toe = np.array([toe[0], heel[1], toe[2]])
    foot_raw = {
        f"{side}_heel": f"{s}.Heel.Bottom",
        f"{side}_heel_top": f"{s}.Heel.Top",
        f"{side}_mt1": f"{s}.MT1",
        f"{side}_mt5": f"{s}.MT5",
    }
    mt2_src = (f"{s}.MT2",) if f"{s}.MT2" in mean else ()
    return [
        _segment(
            mean,
            f"{side}_thigh",
            cluster("Thigh"),
            {f"{side}_knee": ((f"{s}.Knee", f"{s}.Knee.Medial"), None)},
        ),
        _segment(
            mean,
            f"{side}_shank",
            cluster("Shank"),
            {f"{side}_ankle": ((f"{s}.Ankle", f"{s}.Ankle.Medial"), None)},
        ),
        _segment(
            mean,
            f"{side}_foot",
            foot_cluster,
            {
                **{name: ((m,), None) for name, m in foot_raw.items()},
                f"{side}_foot_index": ((), toe),
                **({f"{side}_mt2": (mt2_src, None)} if mt2_src else {}),
            },
            raw=foot_raw,
        ),
    ]


def _segment(
    mean: Mapping[str, np.ndarray],
    name: str,
    cluster: tuple[str, ...],
    points: Mapping[str, tuple[tuple[str, ...], np.ndarray | None]],
    raw: Mapping[str, str] | None = None,
) -> SegmentCalibration:
    """One segment; a point is either the mean of its source markers or a given position."""
    missing = [m for m in cluster if m not in mean]
    if missing:
        raise ValueError(
            f"Expected static markers {missing} for segment {name}, which are missing."
        )
    pts: dict[str, np.ndarray] = {}
    for pname, (sources, given) in points.items():
        if given is not None:
            pts[pname] = np.asarray(given, dtype=float)
        else:
            absent = [m for m in sources if m not in mean]
            if absent:
                raise ValueError(
                    f"Expected static markers {absent} for {pname}, which are missing."
                )
            pts[pname] = np.mean([mean[m] for m in sources], axis=0)
    return SegmentCalibration(
        segment=name,
        cluster=cluster,
        cluster_ref_m=np.array([mean[m] for m in cluster]),
        points_m=MappingProxyType(pts),
        measured_from=MappingProxyType(
            {p: src for p, (src, given) in points.items() if given is None}
        ),
        raw_marker=MappingProxyType(dict(raw or {})),
    )


def reconstruct(
    calibration: Calibration, markers_m: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """All anatomical points in every frame of a trial.

    Parameters
    ----------
    calibration
        From :func:`calibrate` on the same subject's static trial.
    markers_m
        Marker name -> ``(n_frames, 3)`` positions in metres.

    Returns
    -------
    dict
        Point name -> ``(n_frames, 3)`` in metres; NaN where the cluster had fewer than 3 markers.
        Points that are markers themselves use the measured marker where it is visible.
    """
    out: dict[str, np.ndarray] = {}
    for seg in calibration.segments:
        pts = carry_points(seg, markers_m)
        for p, marker in seg.raw_marker.items():
            if marker in markers_m:
                raw = markers_m[marker]
                pts[p] = np.where(np.isfinite(raw).all(axis=1, keepdims=True), raw, pts[p])
        out.update(pts)
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    """Normalise vectors along the last axis."""
    return v / np.linalg.norm(v, axis=-1, keepdims=True)
