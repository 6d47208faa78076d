"""report.json: the schema, a golden copy for the sample clip, steps.csv, and the CLI that writes them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from gait.config import AnalysisConfig
from gait.pipeline import analyze_track, write_outputs
from gait.report import SCHEMA_FILE
from gait.track import load_track
from tests.conftest import SAMPLE_TRACK, TEST_DATA

GOLDEN = Path(__file__).with_name("golden") / "sample_report.json"


@pytest.fixture(scope="module")
def sample_analysis():
    return analyze_track(load_track(SAMPLE_TRACK), AnalysisConfig())


def _rounded(value, digits: int = 4):
    """Floats to ``digits`` significant digits so that the golden file survives last-bit changes."""
    if isinstance(value, float):
        if value == 0 or not math.isfinite(value):
            return value
        return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v, digits) for v in value]
    return value


def _stable(report: dict) -> dict:
    """The report without what legitimately changes between runs and machines."""
    out = json.loads(json.dumps(report))
    out["provenance"].pop("gait_version", None)
    return _rounded(out)


def test_report_follows_the_schema(sample_analysis) -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.validate(sample_analysis.report.to_dict(), schema)


def test_schema_rejects_a_broken_report(sample_analysis) -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    broken = sample_analysis.report.to_dict()
    broken["events"][0]["foot"] = "left"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_golden_report_for_the_sample_clip(sample_analysis, update_golden: bool) -> None:
    """Regenerate deliberately with ``pytest --update-golden`` and review the diff."""
    current = _stable(sample_analysis.report.to_dict())
    if update_golden or not GOLDEN.exists():
        GOLDEN.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
        if not update_golden:
            pytest.fail(f"golden file {GOLDEN.name} was missing and has been written; review and commit it")
    assert current == json.loads(GOLDEN.read_text())


def test_every_metric_name_carries_its_unit(sample_analysis) -> None:
    suffixes = (
        "_spm", "_s", "_ms", "_deg", "_pct", "_leg_lengths", "_pelvis_widths", "_cm", "_px", "duty_factor", "_fraction"
    )
    for name, metric in sample_analysis.report.metrics.items():
        assert name.endswith(suffixes), name
        assert metric.confidence in ("high", "medium", "low")


def test_outputs_written_and_steps_match_report(sample_analysis, tmp_path: Path) -> None:
    paths = write_outputs(sample_analysis, tmp_path, video=False)
    assert {"report", "steps", "html", "track"} <= set(paths)
    assert "overlay" not in paths
    report = json.loads(paths["report"].read_text())
    steps = pd.read_csv(paths["steps"])
    ics = [e for e in report["events"] if e["type"] == "IC"]
    assert len(steps) == len(ics)
    assert set(steps["foot"]) == {"L", "R"}
    assert load_track(paths["track"]).sizes["time"] == report["clip"]["n_frames"]
    assert not list(tmp_path.glob("*.tmp"))


def test_non_running_clip_has_no_cadence_and_no_flags() -> None:
    analysis = analyze_track(load_track(TEST_DATA / "sports2d_demo_two_people_vp9.track.nc"), AnalysisConfig())
    report = analysis.report
    assert report.running is False
    assert report.metric_value("cadence_spm") is None
    assert report.flags == ()
    assert report.quality, "a non-running clip must say why there is no cadence"
    jsonschema.validate(report.to_dict(), json.loads(SCHEMA_FILE.read_text()))
