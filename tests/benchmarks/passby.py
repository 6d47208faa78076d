"""Short overground pass-bys on the mocap harness: cadence and IC accuracy, fps x severity.

Each clip is a force-plate trial turned into overground running at the trial speed and filmed by
a static virtual side camera (:func:`gait.validate.passby.film_passby`): 0.3 s of empty frames,
the runner in view for ``--in-view-s`` seconds (2 s: about 5-6 contacts), 0.5 s of empty frames,
with MediaPipe-like errors of the given severity. Clip ``k`` (trial, start, seed) is the same in
every cell. Scored against the contacts made while the runner is in view.

``--camera follow``: the same clips filmed by a camera at the same place that turns to keep the
runner centred (:func:`gait.validate.passby.film_passby`, ``camera="follow"``: he is in view for
the whole window), its known pan removed as the pipeline removes the measured one;
``--camera follow_raw``: the same without removing it (what the detector saw before).

    .venv/bin/python tests/benchmarks/passby.py --clips 12
    .venv/bin/python tests/benchmarks/passby.py --fps 30 --fps 60 --camera static --camera follow --camera follow_raw
    .venv/bin/python tests/benchmarks/passby.py --fps 30 --foot-lag-s 0.04
    .venv/bin/python tests/benchmarks/passby.py --fps 30 --fps 60 --camera static --camera follow \
        --slide-hz 0 --slide-hz 5.5 --slide-hz 3

``--ic-rule stance``: the ground-stance detector's IC at the stance level's crossing (the rule before
:data:`gait.events._ground.IC_PEAK_FRACTION`), for comparison.

``--slide-hz``: MediaPipe's foot slide after contact (:func:`gait.validate.passby.slide_feet`; the sample
treadmill clip's is 5.5 Hz, :data:`gait.validate.passby.SLIDE_TREADMILL_HZ`; lower = a longer slide).

``--foot-lag-s``: the severity's errors plus MediaPipe's foot lag (opt-in
:attr:`gait.validate.errors.PoseErrorModel.foot_lag_s`; measured on the treadmill clip,
``tests/benchmarks/foot_lag.py``).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from gait.validate import list_trials, load_trial
from gait.validate.errors import PoseErrorModel
from gait.validate.passby import passby_summary, run_passby_once

ROOT = Path(__file__).resolve().parents[2]
#: --camera choices: (film_passby camera, remove its pan before cleaning)
CAMERAS = {"static": ("static", True), "follow": ("follow", True), "follow_raw": ("follow", False)}
SEED = 20261202


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mocap", type=Path, default=ROOT.parent / "shared" / "data" / "mocap")
    ap.add_argument("--clips", type=int, default=12, help="clips per (severity, fps) cell")
    ap.add_argument("--fps", type=float, action="append", help="repeatable; default 30-240")
    ap.add_argument("--severity", type=int, action="append", help="repeatable; default 0 and 2")
    ap.add_argument("--in-view-s", type=float, default=2.0)
    ap.add_argument("--view", default="side_left", choices=["side_left", "side_right"])
    ap.add_argument(
        "--camera", action="append", choices=list(CAMERAS), help="repeatable; default static"
    )
    ap.add_argument("--foot-lag-s", type=float, default=0.0, help="feet low-pass time constant, s")
    ap.add_argument(
        "--slide-hz", type=float, action="append", help="foot slide frequency, Hz (repeatable; default 0 = none)"
    )
    ap.add_argument("--ic-rule", default="peak", choices=["peak", "stance"], help="stance: IC_PEAK_FRACTION = 0")
    args = ap.parse_args()
    if args.ic_rule == "stance":
        import gait.events._ground as ground

        ground.IC_PEAK_FRACTION = 0.0
    cameras = args.camera or ["static"]
    fps_list = args.fps or [30.0, 60.0, 120.0, 240.0]
    severities = args.severity or [0, 2]
    trials = [load_trial(args.mocap, t) for t in list_trials(args.mocap)]
    clips = []
    for k in range(args.clips):
        rng = np.random.default_rng([SEED, k])
        tr = trials[int(rng.integers(len(trials)))]
        start = float(rng.uniform(1.0, tr.duration_s - 5.0))
        clips.append((tr, start, int(rng.integers(2**31 - 1))))
    cols = (
        "| camera | severity | foot lag ms | slide Hz | fps | clips | running % | cadence reported % | "
        "cadence MAE spm | cadence max err spm | ICs in view | IC det % | IC within 1 frame % | "
        "IC within 2 frames % | IC bias ms | IC SD ms | IC false pos | strike agree % (near) | FSA bias deg |"
    )
    print(cols)
    print("|" + "---|" * (cols.count("|") - 1))
    slides = args.slide_hz or [0.0]
    cells_iter = ((c, g, v, f) for c in cameras for g in slides for v in severities for f in fps_list)
    for cam_name, slide, sev, fps in cells_iter:
        camera, compensate = CAMERAS[cam_name]
        t0 = time.perf_counter()
        runs = [
            run_passby_once(
                tr,
                fps=fps,
                seed=seed,
                severity=sev,
                start_s=start,
                in_view_s=args.in_view_s,
                view=args.view,
                camera=camera,
                compensate=compensate,
                error_model=replace(PoseErrorModel.at_severity(sev), foot_lag_s=args.foot_lag_s),
                slide_hz=slide,
            )
            for tr, start, seed in clips
        ]
        s = passby_summary(runs)
        cells = [
            cam_name,
            f"{sev}",
            f"{1000 * args.foot_lag_s:.0f}",
            f"{slide:g}",
            f"{fps:.0f}",
            f"{s['runs']}",
            f"{s['running_pct']:.0f}",
            f"{s['cadence_reported_pct']:.0f}",
            f"{s['cadence_mae_spm']:.2f}",
            f"{s['cadence_max_abs_spm']:.2f}",
            f"{s['ic_n']}",
            f"{s['ic_detected_pct']:.0f}",
            f"{s['ic_within_1_frame_pct']:.0f}",
            f"{s['ic_within_2_frames_pct']:.0f}",
            f"{s['ic_bias_ms']:+.1f}",
            f"{s['ic_sd_ms']:.1f}",
            f"{s['ic_false_pos']}",
            f"{s['strike_agreement_pct']:.0f} ({s['strike_n']})",
            f"{s['fsa_bias_deg']:+.1f}",
        ]
        print("| " + " | ".join(cells) + f" |  <!-- {time.perf_counter() - t0:.0f} s -->")


if __name__ == "__main__":
    main()
