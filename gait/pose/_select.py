"""Choose the runner among the people the model returns, and keep the same person throughout.

The model returns up to ``num_poses`` people per frame, and in VIDEO mode it may jump to another
person after losing the one it tracked. Poses are linked frame to frame into *tracklets* (the same
person while the body centre moves less than :data:`MAX_JUMP_BODY` body sizes between frames, and
gaps are shorter than :data:`MAX_GAP_FRAMES`). The runner is the tracklet with the largest
``frames x median body height`` (present longest and largest); tracklets that do not overlap it in
time and continue it in place are the same person found again and are joined to it. Everything
else is dropped and counted in the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Largest move of the body centre between linked poses, in body heights (per frame of gap).
MAX_JUMP_BODY = 0.35
#: Largest gap (frames) bridged inside one tracklet.
MAX_GAP_FRAMES = 15
_TORSO = [11, 12, 23, 24]  # shoulders and hips


@dataclass
class _Tracklet:
    id: int
    frames: list[int] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)
    centres: list[np.ndarray] = field(default_factory=list)
    sizes: list[float] = field(default_factory=list)

    @property
    def score(self) -> float:
        return len(self.frames) * float(np.median(self.sizes))


def _centre_and_size(pos: np.ndarray) -> tuple[np.ndarray, float]:
    """Torso centre (px) and body height (px, extent of all landmarks) of one pose (33, 2)."""
    centre = np.nanmean(pos[_TORSO], axis=0)
    size = float(np.nanmax(pos[:, 1]) - np.nanmin(pos[:, 1]))
    return centre, max(size, 1.0)


def _link(pos: np.ndarray) -> list[_Tracklet]:
    tracklets: list[_Tracklet] = []
    active: list[_Tracklet] = []
    for t in range(pos.shape[0]):
        cands = [p for p in range(pos.shape[1]) if np.isfinite(pos[t, p, _TORSO]).all()]
        active = [tr for tr in active if t - tr.frames[-1] <= MAX_GAP_FRAMES]
        pairs = []
        for p in cands:
            c, s = _centre_and_size(pos[t, p])
            for tr in active:
                gap = t - tr.frames[-1]
                d = float(np.linalg.norm(c - tr.centres[-1])) / tr.sizes[-1]
                if d <= MAX_JUMP_BODY * gap:
                    pairs.append((d, p, tr, c, s))
        used_p: set[int] = set()
        used_tr: set[int] = set()
        for _d, p, tr, c, s in sorted(pairs, key=lambda x: x[0]):
            if p in used_p or tr.id in used_tr:
                continue
            used_p.add(p)
            used_tr.add(tr.id)
            tr.frames.append(t)
            tr.slots.append(p)
            tr.centres.append(c)
            tr.sizes.append(s)
        for p in cands:
            if p not in used_p:
                c, s = _centre_and_size(pos[t, p])
                tr = _Tracklet(len(tracklets), [t], [p], [c], [s])
                tracklets.append(tr)
                active.append(tr)
    return tracklets


def _continues(a: _Tracklet, b: _Tracklet) -> bool:
    """True when ``b`` starts after ``a`` ends (or the reverse) close to where the other left off."""
    if b.frames[0] > a.frames[-1]:
        first, second = a, b
    elif a.frames[0] > b.frames[-1]:
        first, second = b, a
    else:
        return False
    d = float(np.linalg.norm(second.centres[0] - first.centres[-1])) / first.sizes[-1]
    return d <= 1.0


def _time_gap(a: _Tracklet, b: _Tracklet) -> int:
    """Frames between two tracklets; negative when they overlap in time."""
    return max(b.frames[0] - a.frames[-1], a.frames[0] - b.frames[-1])


def _joins(group: list[_Tracklet], tr: _Tracklet) -> bool:
    """A tracklet joins the runner when it overlaps no part of it and continues the nearest part."""
    if any(_time_gap(g, tr) <= 0 for g in group):
        return False
    return _continues(min(group, key=lambda g: _time_gap(g, tr)), tr)


def select_runner(pos: np.ndarray, vis: np.ndarray) -> tuple[np.ndarray, dict]:
    """Pick one person per frame.

    Parameters
    ----------
    pos
        ``(n_frames, n_people, 33, 2)`` landmark pixels, NaN where no person.
    vis
        ``(n_frames, n_people, 33)`` visibilities (kept for a future periodicity score).

    Returns
    -------
    chosen, record
        ``chosen[t]`` is the person slot of the runner in frame ``t`` or -1; ``record`` describes the
        choice (JSON-safe) for the track's ``person_selection`` attribute.
    """
    del vis
    tracklets = _link(pos)
    chosen = np.full(pos.shape[0], -1, dtype=np.int64)
    people_per_frame = np.isfinite(pos[:, :, _TORSO]).all(axis=(2, 3)).sum(axis=1)
    record: dict = {
        "rule": "longest x largest tracklet, joined with tracklets that continue it in place",
        "max_people_in_a_frame": int(people_per_frame.max(initial=0)),
        "frames_with_several_people": int((people_per_frame > 1).sum()),
        "n_tracklets": len(tracklets),
    }
    if not tracklets:
        record.update(chosen_tracklets=[], frames_kept=0, frames_dropped=0)
        return chosen, record
    best = max(tracklets, key=lambda tr: tr.score)
    group = [best]
    for tr in sorted(tracklets, key=lambda tr: -tr.score):
        if tr is not best and _joins(group, tr):
            group.append(tr)
    for tr in group:
        chosen[tr.frames] = tr.slots
    detected_frames = int((people_per_frame > 0).sum())
    record.update(
        chosen_tracklets=sorted(tr.id for tr in group),
        frames_kept=int((chosen >= 0).sum()),
        frames_dropped=detected_frames - int((chosen >= 0).sum()),
        median_body_height_px=round(float(np.median(np.concatenate([tr.sizes for tr in group]))), 1),
    )
    return chosen, record
