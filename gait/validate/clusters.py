"""Rigid marker clusters: least-squares pose fits, carried points and cluster diagnostics.

Used by :mod:`gait.validate.anatomy` on the RBDS running data (Fukuchi RK, Fukuchi CA, Duarte M.
PeerJ 5:e3298, 2017, doi:10.7717/peerj.3298, CC BY 4.0).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gait.validate.anatomy import Calibration, SegmentCalibration


def rigid_fit(ref_m: np.ndarray, cur_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares rigid motion ``cur ~ R @ ref + t`` per frame (Kabsch), tolerant of gaps.

    Parameters
    ----------
    ref_m
        ``(k, 3)`` reference marker positions.
    cur_m
        ``(n, k, 3)`` measured positions; NaN rows are left out of that frame's fit.

    Returns
    -------
    rotation, translation, ok
        ``(n, 3, 3)``, ``(n, 3)`` and ``(n,)`` (at least 3 non-collinear markers); NaN where not ok.
    """
    w = np.isfinite(cur_m).all(axis=-1)
    wf = w.astype(float)[..., None]
    cnt = np.maximum(w.sum(axis=1), 1)[:, None]
    cur0 = np.where(w[..., None], cur_m, 0.0)
    c_cur = cur0.sum(axis=1) / cnt
    c_ref = (wf * ref_m[None]).sum(axis=1) / cnt
    a = (ref_m[None] - c_ref[:, None]) * wf
    b = (cur0 - c_cur[:, None]) * wf
    h = np.einsum("nki,nkj->nij", a, b)
    u, s, vt = np.linalg.svd(h)
    v = np.swapaxes(vt, 1, 2)
    ut = np.swapaxes(u, 1, 2)
    d = np.sign(np.linalg.det(v @ ut))
    d[d == 0] = 1.0
    v = v.copy()
    v[:, :, 2] *= d[:, None]
    rot = v @ ut
    trans = c_cur - np.einsum("nij,nj->ni", rot, c_ref)
    ok = (w.sum(axis=1) >= 3) & (s[:, 1] > 1e-6 * np.maximum(s[:, 0], 1e-12))
    rot[~ok] = np.nan
    trans[~ok] = np.nan
    return rot, trans, ok


def carry_points(
    seg: SegmentCalibration, markers_m: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Carry one segment's anatomical points into every frame of ``markers_m``."""
    n = len(next(iter(markers_m.values())))
    cur = np.stack([markers_m.get(m, np.full((n, 3), np.nan)) for m in seg.cluster], axis=1)
    rot, trans, _ = rigid_fit(seg.cluster_ref_m, cur)
    return {p: np.einsum("nij,j->ni", rot, x) + trans for p, x in seg.points_m.items()}


def static_residuals_m(
    calibration: Calibration, static_m: Mapping[str, np.ndarray]
) -> dict[str, float]:
    """Compare reconstructed and measured anatomical points frame by frame on a static trial.

    Each static frame's clusters are fitted independently, so the figure measures the calibration
    chain itself (cluster fit + carried point), not the running soft-tissue artefact.

    Returns
    -------
    dict
        Point name -> RMS error in metres, for points defined by measured markers.
    """
    out: dict[str, float] = {}
    for seg in calibration.segments:
        pts = carry_points(seg, static_m)
        for p, sources in seg.measured_from.items():
            if not sources:
                continue
            measured = np.mean([static_m[m] for m in sources], axis=0)
            err = np.linalg.norm(pts[p] - measured, axis=1)
            out[p] = float(np.sqrt(np.nanmean(err**2)))
    return out


def cluster_residuals_m(
    calibration: Calibration, markers_m: Mapping[str, np.ndarray]
) -> dict[str, float]:
    """RMS residual of the rigid cluster fits over a trial (marker deformation of each cluster).

    Returns
    -------
    dict
        Segment name -> RMS distance in metres between the fitted reference markers and the
        measured ones.
    """
    out: dict[str, float] = {}
    for seg in calibration.segments:
        n = len(next(iter(markers_m.values())))
        cur = np.stack([markers_m.get(m, np.full((n, 3), np.nan)) for m in seg.cluster], axis=1)
        rot, trans, _ = rigid_fit(seg.cluster_ref_m, cur)
        fitted = np.einsum("nij,kj->nki", rot, seg.cluster_ref_m) + trans[:, None]
        err = np.linalg.norm(fitted - cur, axis=-1)
        out[seg.segment] = float(np.sqrt(np.nanmean(err**2)))
    return out


def find_label_swaps(
    calibration: Calibration, markers_m: Mapping[str, np.ndarray], *, min_rms_m: float = 0.005
) -> dict[str, str]:
    """Cluster markers whose labels in a trial are permuted relative to the static trial.

    For each cluster, the trial's median inter-marker distances are compared with the static ones
    under every relabelling; a relabelling is reported only when the labels as given misfit by more
    than ``min_rms_m`` (RMS) and the best relabelling fits at least 3 times better.
    (Mirror-symmetric relabellings of a cluster cannot be told apart by distances; the 3x margin
    keeps them out.)
    Example: in RBDS001's running trials ``R.MT1`` and ``R.MT5`` are swapped (the marker labelled
    ``R.MT1`` is 1.7 cm lateral of ``R.Heel.Lateral``), which made a 46 mm RMS foot-cluster misfit.

    Returns
    -------
    dict
        Trial label -> the label it should have; empty when nothing is permuted.
    """
    swaps: dict[str, str] = {}
    for seg in calibration.segments:
        if not all(m in markers_m for m in seg.cluster):
            continue
        x = np.stack([markers_m[m] for m in seg.cluster], axis=1)
        d_run = np.nanmedian(np.linalg.norm(x[:, :, None] - x[:, None], axis=-1), axis=0)
        ref = seg.cluster_ref_m
        d_ref = np.linalg.norm(ref[:, None] - ref[None], axis=-1)
        k = len(seg.cluster)
        cost = {
            p: float(np.sqrt(np.mean((d_run - d_ref[np.ix_(p, p)]) ** 2)))
            for p in itertools.permutations(range(k))
        }
        best = min(cost, key=cost.__getitem__)
        if cost[tuple(range(k))] > min_rms_m and 3 * cost[best] < cost[tuple(range(k))]:
            swaps.update({seg.cluster[i]: seg.cluster[j] for i, j in enumerate(best) if i != j})
    return swaps
