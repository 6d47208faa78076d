"""MediaPipe's foot lag at contact, measured on the sample treadmill clip's hand-annotated contacts.

The treadmill clip (``../shared/data/clips/treadmill_side_male_30fps_portrait.mp4``, 34 ICs
annotated by hand, SOURCES.md section 1; its cached track ``tests/data/*_rot90meta.track.nc``)
is the real clip we may tune on. Adding the belt speed (the feet's median backward image speed
1-4 frames after each annotated IC) to the feet's forward positions makes them ground-relative,
as overground; :func:`gait.events._ground.foot_stances` then finds each stance, and this prints
how late its IC is against the annotation, for the stance level alone (the detector before the
onset rule) and for several onset levels (:data:`gait.events._ground.ONSET_SPEED_FRACTION`).
The 0.35 level's lag is what :attr:`gait.validate.errors.PoseErrorModel.foot_lag_s` reproduces
on the mocap harness's pass-bys (``tests/benchmarks/passby.py --foot-lag-s``).

    .venv/bin/python tests/benchmarks/foot_lag.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import gait.events._ground as ground
from gait.events._detect import _pelvis_and_feet
from gait.track import clean_track, clip_view, load_track

ROOT = Path(__file__).resolve().parents[2]
TRACK = ROOT / "tests" / "data" / "treadmill_side_male_30fps_rot90meta.track.nc"
ANNOTATION = ROOT.parent / "shared" / "data" / "clips" / "treadmill_side_male_30fps_portrait.events.csv"


def main() -> None:
    raw = load_track(TRACK)
    view = clip_view(raw)
    track = clean_track(raw, view=view)
    _, feet = _pelvis_and_feet(track, view.forward_sign)
    t = track["time"].values.astype(float)
    fps = float(track.attrs["fps"])
    ann = pd.read_csv(ANNOTATION)
    ann = ann[ann["event"] == "IC"]
    vs = []
    for r in ann.itertuples():
        heel = feet[r.foot][0]
        for k in range(r.frame + 1, min(r.frame + 5, len(t) - 1)):
            vs.append(-(heel[k + 1] - heel[k - 1]) / (t[k + 1] - t[k - 1]))
    belt = float(np.nanmedian(vs))
    print(f"belt speed {belt:.2f} leg lengths/s; lag = detected - annotated IC, frames at {fps:.0f} fps")
    print("| IC rule | matched | lag median | lag mean | lag SD | within 1 frame % |")
    print("|---|---|---|---|---|---|")
    saved = ground.ONSET_SPEED_FRACTION
    try:
        for onset in (0.0, 0.8, 1.0, 1.2, 1.5):
            ground.ONSET_SPEED_FRACTION = onset
            lags = []
            for f in ("L", "R"):
                heel, toe = (x + belt * t for x in feet[f])
                ics = np.array([s.ic_s for s in ground.foot_stances(t, heel, toe, belt, f)])
                for r in ann[ann["foot"] == f].itertuples():
                    if len(ics):
                        d = ics - t[r.frame]
                        j = int(np.argmin(np.abs(d)))
                        if abs(d[j]) < 0.15:
                            lags.append(d[j] * fps)
            lag = np.array(lags)
            rule = f"onset {onset:.1f} x speed" if onset > ground.STANCE_SPEED_FRACTION else "stance level 0.35"
            print(
                f"| {rule} | {len(lag)}/{len(ann)} | {np.median(lag):+.2f} | {lag.mean():+.2f} | "
                f"{lag.std(ddof=1):.2f} | {100 * np.mean(np.abs(lag) <= 1):.0f} |"
            )
    finally:
        ground.ONSET_SPEED_FRACTION = saved


if __name__ == "__main__":
    main()
