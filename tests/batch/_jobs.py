"""Small real jobs for the batch engine tests: no pose model, no analysis stages.

A "clip" here is a small text file (any suffix) holding a JSON object, read by :class:`FakeJob`:

- ``{"cadence": 170.0, "steps": 6}``: a report.json-shaped dict whose metrics derive from the
  numbers, a steps DataFrame of ``steps`` rows, and the two files written into ``out_dir``;
- ``{"fail": "message"}``: raises a GaitError (``NoPersonError``) with that message;
- ``{"boom": true}``: raises ``RuntimeError`` (a bug, not the clip's fault);
- ``{"kill": true}``: the worker process kills itself with SIGKILL (a crashed worker);
- ``{"sleep": 0.5, ...}``: sleeps first (to interrupt a run mid-way, or to overrun a time limit);
- anything that is not JSON (empty, binary): raises ``VideoReadError``.

With ``rear`` (a two-view row), the rear file is a JSON object too: ``{"pelvic_drop": 5.0}`` adds a
``pelvic_drop_deg`` metric measured in the rear view, the report's view becomes ``side_left+rear``
and the steps get a ``view`` column, as in a real two-view session.

Every call appends the clip's file name to ``<log_dir>/calls.log`` (``side+rear`` for a two-view
row) so tests can see which clips ran.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gait.errors import NoPersonError, VideoReadError


def clip_file(folder: Path, name: str, **spec: object) -> Path:
    """Write a fake clip whose content is ``spec`` as JSON."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, sort_keys=True))
    return path


def _report(path: Path, spec: dict, config) -> dict:
    cadence = float(spec.get("cadence", 170.0))
    flags = (
        [
            {
                "code": "low_step_rate",
                "severity": "moderate",
                "metric": "cadence_spm",
                "value": cadence,
                "threshold": 165.0,
                "message": "m",
                "evidence": "e",
                "reference": "r",
            }
        ]
        if cadence < 165
        else []
    )
    return {
        "schema_version": "1.0",
        "clip": {
            "path": str(path),
            "sha256": None,
            "fps": 30.0,
            "duration_s": 10.0,
            "n_frames": 300,
            "n_frames_with_runner": 300,
            "rotation_deg": 0,
            "slowmo_factor": config.slowmo_factor or 1.0,
        },
        "view": getattr(config, "view", None) or "side_left",
        "direction": "image_left",
        "running": True,
        "events": [],
        "metrics": {
            "cadence_spm": {
                "value": cadence,
                "unit": "steps/min",
                "n": 10,
                "sd": 1.5,
                "uncertainty": 0.5,
                "confidence": "high",
                "note": None,
            },
            "contact_time_s": {
                "value": round(60.0 / cadence * 0.6, 6),
                "unit": "s",
                "n": 10,
                "sd": None,
                "uncertainty": None,
                "confidence": "medium",
                "note": "n/a",
            },
        },
        "foot_strike": {
            "L": {"pattern": "rearfoot", "angle_deg": 12.5, "n": 5},
            "R": {"pattern": None, "angle_deg": None, "n": 0},
        },
        "quality": [{"code": "short_clip", "message": "short"}] if spec.get("short") else [],
        "flags": flags,
        "flags_not_assessed": ["pelvic_drop"],
        "provenance": {"gait_version": "test", "config": config.to_dict()},
    }


@dataclass(frozen=True)
class FakeJob:
    """See the module notes. ``html`` mimics :class:`gait.batch.PipelineJob`'s optional outputs."""

    log_dir: str | None = None
    html: bool = True

    cache_id = "tests.batch.FakeJob"

    def requested_outputs(self) -> frozenset[str]:
        return frozenset(["report.html"] if self.html else [])

    max_clips = 3

    def __call__(
        self, clips: tuple[Path, ...], out_dir: Path, config
    ) -> tuple[dict, pd.DataFrame, list[str]]:
        path, rear = clips[0], (clips[1] if len(clips) > 1 else None)
        if self.log_dir is not None:
            with open(Path(self.log_dir) / "calls.log", "a") as fh:
                fh.write("+".join(c.name for c in clips) + "\n")
        spec = _spec(path)
        rear_spec = None if rear is None else _spec(rear)
        time.sleep(float(spec.get("sleep", 0.0)))
        if "fail" in spec:
            raise NoPersonError(str(spec["fail"]))
        if spec.get("boom"):
            raise RuntimeError("fake bug")
        if spec.get("kill"):
            os.kill(os.getpid(), signal.SIGKILL)
        report = _report(path, spec, config)
        if rear_spec is not None:
            report["view"] = f"{report['view']}+rear"
            report["metrics"]["pelvic_drop_deg"] = {
                "value": float(rear_spec.get("pelvic_drop", 4.0)),
                "unit": "deg",
                "n": 8,
                "sd": 1.0,
                "uncertainty": 0.4,
                "confidence": "medium",
                "note": None,
                "source_view": "rear",
            }
        n = int(spec.get("steps", 4))
        cadence = report["metrics"]["cadence_spm"]["value"]
        steps = pd.DataFrame(
            {
                "step": range(n),
                "foot": ["L" if i % 2 == 0 else "R" for i in range(n)],
                "ic_time_s": [i * 60.0 / cadence for i in range(n)],
                "contact_time_s": [0.2 + 0.001 * i + 1e-9 for i in range(n)],
            }
        )
        if rear_spec is not None:
            steps.insert(0, "view", "side_left")
        (out_dir / "report.json").write_text(json.dumps(report, indent=2))
        steps.to_csv(out_dir / "steps.csv", index=False, float_format="%.5g")
        if self.html:
            (out_dir / "report.html").write_text("<html></html>")
        return report, steps, []


def _spec(path: Path) -> dict:
    try:
        spec = json.loads(path.read_text())
        assert isinstance(spec, dict)
    except (ValueError, UnicodeError, AssertionError):
        raise VideoReadError(f"'{path.name}' is not a readable video; check the file.") from None
    return spec


@dataclass(frozen=True)
class SideOnlyJob:
    """A job of one clip per row (no ``max_clips``): it cannot take a rear clip."""

    cache_id = "tests.batch.SideOnlyJob"

    def __call__(self, clips: tuple[Path, ...], out_dir: Path, config) -> tuple[dict, pd.DataFrame]:
        report, steps, _ = FakeJob(html=False)(clips[:1], out_dir, config)
        return report, steps


def fake_pipeline_job(video: bool = True, exports: tuple[str, ...] = ()) -> FakeJob:
    """Stands in for ``PipelineJob(video=..., exports=...)`` in CLI tests."""
    return FakeJob()
