"""Where the sample clip's hand-annotated contacts sit against force-plate physics and the detector.

    python tests/benchmarks/ic_annotation.py [--mocap ../shared/data/mocap]

Prints, in order:

1. Force plates (RBDS mocap, Fukuchi et al. 2017): how long after the foot's furthest-forward point
   (heel/foot-index midpoint, lab frame = treadmill frame) the force plate registers contact.
2. The sample clip: the foot's furthest-forward point per annotated IC, from the committed
   VIDEO-mode track and from MediaPipe in IMAGE mode (every frame on its own: no tracking, no
   temporal smoothing, so no lag), relative to the annotated frame; and the detected IC.
3. Agreement within one frame with the annotation as drawn, and with the contact that the force
   plates predict from the annotation's own landmark (furthest-forward point + step 1's delay).

The annotation's rule is "the first frame the landing shoe is on the belt (foot at its most
anterior point)"; step 1 shows contact comes a measurable time after that point. The script runs
MediaPipe in IMAGE mode itself (about 15 s); nothing else needs the model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gait.events import detect_events  # noqa: E402
from gait.track import clean_track, load_track  # noqa: E402
from gait.validate import list_trials, load_trial  # noqa: E402

CLIP = ROOT / "samples" / "treadmill_side_male_30fps_portrait.mp4"
TRACK = ROOT / "samples" / "treadmill_side_male_30fps_portrait.track.nc"
ANNOTATION = ROOT / "samples" / "treadmill_side_male_30fps_portrait.events.csv"


def forward_point_to_contact_ms(mocap_dir: Path) -> dict[str, np.ndarray]:
    """Per trial: force-plate IC minus the time of the foot's furthest-forward point, ms."""
    out = {}
    for trial_id in list_trials(mocap_dir):
        trial = load_trial(mocap_dir, trial_id)
        t, pts = trial.time_s, trial.landmarks_m
        delays = []
        for c in trial.contacts.itertuples():
            side = "left" if c.side == "left" else "right"
            mid_x = (pts[f"{side}_heel"][:, 0] + pts[f"{side}_foot_index"][:, 0]) / 2
            m = (t > c.ic_time_s - 0.2) & (t < c.ic_time_s + 0.05)
            delays.append(c.ic_time_s - t[m][np.argmax(mid_x[m])])
        out[trial_id] = np.array(delays) * 1000
    return out


def image_mode_positions(n_frames: int) -> np.ndarray:
    """``(n, 33, 2)`` pixel landmarks of the sample with MediaPipe in IMAGE mode."""
    import av
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(ROOT / "models" / "pose_landmarker_full.task")),
        running_mode=vision.RunningMode.IMAGE,
        num_poses=1,
    )
    out = np.full((n_frames, 33, 2), np.nan)
    with av.open(str(CLIP)) as container, vision.PoseLandmarker.create_from_options(opts) as lm:
        for i, frame in enumerate(container.decode(video=0)):
            rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
            found = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)).pose_landmarks
            if found and i < n_frames:
                out[i] = [(p.x * rgb.shape[1], p.y * rgb.shape[0]) for p in found[0]]
    return out


def furthest_forward_frame(forward: np.ndarray, frame: int) -> float:
    """Sub-frame peak of ``forward`` within 4 frames of ``frame`` (parabola through the top 3)."""
    lo = max(frame - 4, 0)
    seg = forward[lo : frame + 5]
    k = int(np.nanargmax(seg))
    if 0 < k < len(seg) - 1:
        y0, y1, y2 = seg[k - 1 : k + 2]
        return lo + k + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
    return float(lo + k)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mocap", type=Path, default=ROOT.parent / "shared" / "data" / "mocap")
    args = ap.parse_args()

    delays = forward_point_to_contact_ms(args.mocap)
    print("1. force-plate contact after the foot's furthest-forward point (ms):")
    for trial_id, d in delays.items():
        print(f"   {trial_id}: {d.mean():.1f} +- {d.std():.1f} (n={len(d)})")
    delay_ms = float(np.mean(np.concatenate(list(delays.values()))))
    print(f"   all: {delay_ms:.1f}")

    raw = load_track(TRACK)
    fps = float(raw.attrs["fps"])
    ann = pd.read_csv(ANNOTATION)
    ann = ann[ann["event"] == "IC"]
    kp = list(raw["keypoint"].values)
    video = raw["position"].values
    image = image_mode_positions(len(video))
    events = detect_events(clean_track(raw)).table
    rows = []
    for a in ann.itertuples():
        side = "left" if a.foot == "L" else "right"
        h, t = kp.index(f"{side}_heel"), kp.index(f"{side}_foot_index")
        row = {"foot": a.foot, "frame": a.frame}
        for name, pos in (("video", video), ("image", image)):
            forward = -(pos[:, h, 0] + pos[:, t, 0]) / 2  # the runner faces image-left
            row[f"forward_{name}"] = furthest_forward_frame(forward, a.frame) - a.frame
        det = events[(events["type"] == "IC") & (events["foot"] == a.foot)]
        d = det["time_s"].to_numpy() * fps - a.frame
        row["detected"] = d[np.argmin(np.abs(d))] if len(d) else np.nan
        row["detected_frame"] = det["frame"].to_numpy()[np.argmin(np.abs(d))] if len(d) else -99
        rows.append(row)
    r = pd.DataFrame(rows)
    print("2. sample clip, frames after the annotated IC (mean +- SD per foot; L near, R far):")
    for col, what in (
        ("forward_video", "furthest-forward point, VIDEO-mode track"),
        ("forward_image", "furthest-forward point, IMAGE mode (no lag)"),
        ("detected", "detected IC (sub-frame)"),
    ):
        g = r.groupby("foot")[col]
        print(f"   {what}: " + ", ".join(f"{f} {g.mean()[f]:+.2f} +- {g.std()[f]:.2f}" for f in "LR"))
    lag = r["forward_video"] - r["forward_image"]
    print(f"   VIDEO-mode lag at the furthest-forward point: {lag.mean():+.2f} frames")

    predicted = r["frame"] + r["forward_image"] + delay_ms / 1000 * fps
    as_drawn = np.mean(np.abs(r["detected_frame"] - r["frame"]) <= 1)
    vs_physics = np.mean(np.abs(r["detected_frame"] - np.round(predicted)) <= 1)
    offset = (r["frame"] + r["detected"] - predicted).mean()
    print("3. detected ICs within one frame:")
    print(f"   of the annotation as drawn: {as_drawn:.1%}")
    print(
        f"   of furthest-forward point (IMAGE mode) + {delay_ms:.0f} ms: {vs_physics:.1%} "
        f"(detected minus predicted: {offset:+.2f} frames = {offset / fps * 1000:+.0f} ms)"
    )


if __name__ == "__main__":
    main()
