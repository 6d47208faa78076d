"""Camera view and direction of travel, read from the landmarks themselves.

Image frame as in :mod:`gait.track._schema` (+x right, +y down). Conventions:

``direction``
    Where the runner faces (and travels) in the image: ``"image_left"`` or ``"image_right"``.
``view``
    ``"side_left"``: the camera sees the runner's **left** side; ``"side_right"``: the right side;
    ``"rear"``: filmed from behind; ``"front"``: filmed from the front.

For an image that is not mirrored, a runner seen from the left faces image-left (stand on a
runner's left and look at him: his front is on your left), so a side view follows from the
direction of travel alone. That is the rule used here; MediaPipe's per-leg visibility (the near leg
scores higher, e.g. 0.97 against 0.79 on the sample clip) is checked against it, and a disagreement
is reported as a possible mirrored (selfie) video or a track whose leg labels were swapped.

Side versus frontal: in a side view the two shoulders (and hips) nearly coincide in x; seen from
behind or in front they are about a torso-length apart (shoulder width is ~0.26 of stature, the
shoulder-to-hip distance ~0.30; Winter 2009, Fig. 4.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gait.notes import QualityNote
from gait.skeleton import VIEWS
from gait.track._model import PoseTrack

#: Shoulder (or hip) width over torso length above which the view is frontal (rear/front).
FRONTAL_WIDTH_RATIO = 0.45
#: Visibility difference between the legs that counts as a clear near side.
NEAR_VISIBILITY_MARGIN = 0.05
#: Without shoulders: hip x-width over leg length (hip to ankle) above which the view is frontal.
#: Hip joint centres are ~0.19 of the leg length apart (about 0.09 and 0.49 of stature; Winter
#: 2009, Fig. 4.1) and MediaPipe's hip landmarks sit wider; in side views the hips overlap in x.
FRONTAL_HIP_RATIO = 0.10
#: The views a user may give instead of the detected one.


@dataclass(frozen=True)
class TrackView:
    """What :func:`detect_view` found.

    Attributes
    ----------
    view
        ``"side_left"``, ``"side_right"``, ``"rear"``, ``"front"`` or ``"unknown"``.
    direction
        ``"image_left"`` or ``"image_right"`` (side views), else None.
    near_foot
        ``"L"`` or ``"R"``: the foot nearer the camera in a side view (from ``view``), else None.
    confidence
        In [0, 1]: the agreement of the cues (share of frames voting for the chosen direction, or
        for frontal views how clearly the width ratio exceeds the threshold).
    evidence
        The numbers behind the decision (width ratio, direction votes, leg visibilities).
    quality
        Notes for the user (uncertain direction, mirrored video, ...).
    """

    view: str
    direction: str | None
    near_foot: str | None
    confidence: float
    evidence: dict[str, float] = field(default_factory=dict)
    quality: tuple[QualityNote, ...] = ()

    @property
    def forward_sign(self) -> float:
        """+1 when the runner faces image-right, -1 when image-left (0 if unknown)."""
        return {"image_right": 1.0, "image_left": -1.0}.get(self.direction or "", 0.0)


def _xy(track: PoseTrack, name: str) -> np.ndarray:
    """``(n_frames, 2)`` float64 positions of one keypoint (NaN where missing)."""
    if name not in set(map(str, track["keypoint"].values)):
        return np.full((track.sizes["time"], 2), np.nan)
    pos = track["position"].sel(keypoint=name).transpose("time", "space")
    return pos.values.astype(np.float64)


def _median_visibility(track: PoseTrack, side: str) -> float:
    names = [f"{side}_{p}" for p in ("knee", "ankle", "heel", "foot_index")]
    conf = track["confidence"].sel(keypoint=names).values.astype(np.float64)
    return float(np.nanmedian(conf)) if np.isfinite(conf).any() else float("nan")


def _direction_votes(track: PoseTrack) -> tuple[float, int]:
    """Signed share of frames where toe is right of heel (+) or left (-), and the vote count.

    Each foot votes in each frame where its heel and foot index are both present and more than
    2 px apart; the nose votes where it is ahead of the ear midpoint by more than 2 px.
    """
    votes = []
    for side in ("left", "right"):
        dx = _xy(track, f"{side}_foot_index")[:, 0] - _xy(track, f"{side}_heel")[:, 0]
        votes.append(np.sign(dx[np.isfinite(dx) & (np.abs(dx) > 2.0)]))
    ears = (_xy(track, "left_ear")[:, 0] + _xy(track, "right_ear")[:, 0]) / 2
    dx = _xy(track, "nose")[:, 0] - ears
    votes.append(np.sign(dx[np.isfinite(dx) & (np.abs(dx) > 2.0)]))
    allv = np.concatenate(votes)
    return (float(np.mean(allv)) if allv.size else 0.0), int(allv.size)


def _width_ratio(track: PoseTrack) -> float:
    """Median over frames of max(shoulder, hip) x-width divided by the shoulder-hip distance."""
    ls, rs = _xy(track, "left_shoulder"), _xy(track, "right_shoulder")
    lh, rh = _xy(track, "left_hip"), _xy(track, "right_hip")
    torso = np.linalg.norm((ls + rs) / 2 - (lh + rh) / 2, axis=1)
    width = np.fmax(np.abs(ls[:, 0] - rs[:, 0]), np.abs(lh[:, 0] - rh[:, 0]))
    ok = np.isfinite(width) & np.isfinite(torso) & (torso > 1.0)
    return float(np.median(width[ok] / torso[ok])) if ok.any() else float("nan")


def _hip_ratio(track: PoseTrack) -> float:
    """Median over frames of the hip x-width divided by the mean hip-to-ankle length."""
    lh, rh = _xy(track, "left_hip"), _xy(track, "right_hip")
    la, ra = _xy(track, "left_ankle"), _xy(track, "right_ankle")
    leg = (np.linalg.norm(lh - la, axis=1) + np.linalg.norm(rh - ra, axis=1)) / 2
    width = np.abs(lh[:, 0] - rh[:, 0])
    ok = np.isfinite(width) & np.isfinite(leg) & (leg > 1.0)
    return float(np.median(width[ok] / leg[ok])) if ok.any() else float("nan")


def given_view(track: PoseTrack, view: str) -> TrackView:
    """The view the user gave (``--view``), checked against the vocabulary.

    Side views imply the direction (``side_left``: the runner faces image-left) and the near
    foot. A note is added when the landmarks clearly disagree with the given view.
    """
    if view not in VIEWS:
        raise ValueError(f"Expected view in {VIEWS}, got {view!r}.")
    detected = detect_view(track)
    notes: tuple[QualityNote, ...] = ()
    if detected.view not in (view, "unknown") and detected.confidence >= 0.5:
        notes = (
            QualityNote(
                "view_override_disagrees",
                f"The view was given as {view}, but the landmarks look like {detected.view}; "
                "results assume the given view.",
            ),
        )
    evidence = {**detected.evidence, "view_given": 1.0}
    if view in ("rear", "front"):
        return TrackView(view, None, None, 1.0, evidence, notes)
    direction = "image_left" if view == "side_left" else "image_right"
    near = "L" if view == "side_left" else "R"
    return TrackView(view, direction, near, 1.0, evidence, notes)


def detect_view(track: PoseTrack) -> TrackView:
    """Detect the camera view, the direction of travel and the near foot of a pose track.

    Parameters
    ----------
    track
        A pose track, raw or cleaned.

    Returns
    -------
    TrackView
        See the module docstring for the conventions.

    Notes
    -----
    When it works: a runner filmed roughly perpendicular to the line of travel (side) or along it
    (rear/front), with feet and shoulders visible for most frames. When it fails: mirrored
    (selfie-mode) video flips the side (reported by a note when MediaPipe's leg visibility
    disagrees); oblique views (~45 deg) sit between the two width regimes; a runner who turns
    around within the clip gets the majority direction. Without shoulders in view the hip width
    against the leg length decides side versus frontal (:data:`FRONTAL_HIP_RATIO`).
    """
    ratio = _width_ratio(track)
    vote, n_votes = _direction_votes(track)
    vis_l, vis_r = _median_visibility(track, "left"), _median_visibility(track, "right")
    evidence = {
        "width_ratio": ratio,
        "direction_vote": vote,
        "n_direction_votes": float(n_votes),
        "visibility_left_leg": vis_l,
        "visibility_right_leg": vis_r,
    }
    if np.isfinite(ratio) and ratio > FRONTAL_WIDTH_RATIO:
        return _frontal_view(track, ratio, evidence)
    if not np.isfinite(ratio):  # no shoulders in view: fall back on the hips
        hip_ratio = _hip_ratio(track)
        evidence["hip_width_ratio"] = hip_ratio
        if np.isfinite(hip_ratio) and hip_ratio > FRONTAL_HIP_RATIO:
            return _frontal_view(track, hip_ratio, evidence, threshold=FRONTAL_HIP_RATIO)
    if n_votes == 0 or vote == 0.0:
        note = QualityNote(
            "view_unknown",
            "Could not tell which way the runner faces (feet and face not visible); film the "
            "runner from the side with the whole body in view.",
        )
        return TrackView("unknown", None, None, 0.0, evidence, (note,))
    direction = "image_right" if vote > 0 else "image_left"
    view = "side_right" if direction == "image_right" else "side_left"
    near = "R" if view == "side_right" else "L"
    confidence = abs(vote)
    notes: list[QualityNote] = []
    if confidence < 0.5:
        notes.append(
            QualityNote(
                "direction_uncertain",
                f"The runner's facing direction is uncertain ({100 * (1 + confidence) / 2:.0f}% of "
                "frames agree); events and angles may be mirrored. Film perpendicular to the "
                "line of travel.",
            )
        )
    vis_near = vis_l - vis_r if near == "L" else vis_r - vis_l
    if np.isfinite(vis_near) and vis_near < -NEAR_VISIBILITY_MARGIN:
        notes.append(
            QualityNote(
                "leg_labels_mirrored",
                f"The runner faces {direction.replace('_', '-')}, so the camera should see the "
                f"{'left' if near == 'L' else 'right'} side, but the other leg is the more "
                "visible one: the video may be mirrored (front camera) or the legs mislabelled. "
                "Left/right results may be swapped.",
            )
        )
    return TrackView(view, direction, near, confidence, evidence, tuple(notes))


def _frontal_view(
    track: PoseTrack,
    ratio: float,
    evidence: dict[str, float],
    *,
    threshold: float = FRONTAL_WIDTH_RATIO,
) -> TrackView:
    """Rear or front view: the runner's left shoulder is on image-left when seen from behind.

    Without shoulders the hips decide.
    """
    dx = _xy(track, "left_shoulder")[:, 0] - _xy(track, "right_shoulder")[:, 0]
    if not np.isfinite(dx).any():
        dx = _xy(track, "left_hip")[:, 0] - _xy(track, "right_hip")[:, 0]
    dx = dx[np.isfinite(dx)]
    share_left = float(np.mean(dx < 0)) if dx.size else 0.5
    view = "rear" if share_left >= 0.5 else "front"
    confidence = float(min(1.0, (ratio - threshold) / threshold + 0.5))
    evidence = {**evidence, "share_left_shoulder_on_image_left": share_left}
    return TrackView(view, None, None, confidence, evidence)
