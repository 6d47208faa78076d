"""``gait batch ... --bids DIR``: one BIDS-motion dataset from the done clips of a batch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bids
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from gait.batch._run import _bids_subject, write_batch_bids
from gait.batch._tables import Done
from gait.batch.cli import batch_command
from gait.batch.manifest import ClipEntry
from gait.cli import _friendly
from gait.config import AnalysisConfig

ROOT = Path(__file__).resolve().parents[2]
TRACKS = (
    ROOT / "samples" / "treadmill_side_male_30fps_portrait.track.nc",
    ROOT / "tests" / "data" / "treadmill_side_male_30fps_rot90meta.track.nc",
)


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A real batch of two track files (subject/session columns) with ``--bids``."""
    d = tmp_path_factory.mktemp("bids")
    for track in TRACKS:
        shutil.copy(track, d / track.name)
    manifest = d / "manifest.csv"
    pd.DataFrame(
        {
            "path": [t.name for t in TRACKS],
            "subject": ["S-01", "02"],
            "session": ["pre", "post"],
        }
    ).to_csv(manifest, index=False)
    app = typer.Typer(pretty_exceptions_enable=False)
    app.callback()(lambda: None)
    app.command("batch")(_friendly(batch_command))
    out, root = d / "out", d / "dataset"
    args = ["batch", str(manifest), "-o", str(out), "--no-video", "--workers", "1"]
    result = CliRunner().invoke(app, [*args, "--bids", str(root)])
    assert result.exit_code == 0, result.output
    return out, root, result.output


def test_batch_writes_a_bids_dataset_that_pybids_reads(batch_run: tuple[Path, Path, str]) -> None:
    out, root, output = batch_run
    assert f"BIDS-motion dataset: {root.resolve()} (2 recordings)" in output
    layout = bids.BIDSLayout(root, validate=False)
    assert layout.get_subjects() == ["02", "S01"]
    assert layout.get_sessions(subject="S01") == ["pre"]
    assert layout.get_sessions(subject="02") == ["post"]
    motion = layout.get(suffix="motion", extension=".tsv")
    assert len(motion) == 2
    for f in motion:
        assert f.entities["task"] == "running" and f.entities["datatype"] == "motion"
    events = layout.get(subject="S01", suffix="events", extension=".tsv")
    table = pd.read_csv(events[0].path, sep="\t")
    assert {"foot strike left", "foot off right"} <= set(table["trial_type"])
    record = json.loads((out / "batch.json").read_text())
    assert record["bids"]["recordings"] == 2 and record["bids"]["problems"] == []


def test_a_clip_that_cannot_be_written_is_reported(
    batch_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    out = batch_run[0]
    names = sorted(p.name for p in (out / "clips").iterdir() if p.is_dir())
    assert len(names) == 2
    copy = tmp_path / "out"
    shutil.copytree(out / "clips", copy / "clips")
    (copy / "clips" / names[0] / "track.nc").write_bytes(b"not a track")
    results = [
        Done(ClipEntry(Path(f"/data/{n}.nc"), f"{n}.nc", subject=n[:3]), n, "", {}) for n in names
    ]
    result = write_batch_bids(results, copy, AnalysisConfig(), tmp_path / "dataset")
    assert result.written == 1
    assert len(result.problems) == 1 and result.problems[0].startswith(f"{names[0]}.nc: ")
    assert "Cannot read track 'track.nc'" in result.problems[0]
    assert len(list((tmp_path / "dataset").rglob("*_motion.tsv"))) == 1


def test_folder_input_subject_is_the_parent_folder_or_01() -> None:
    assert _bids_subject(ClipEntry(Path("/d/S-07/run.nc"), "S-07/run.nc")) == "S07"
    assert _bids_subject(ClipEntry(Path("/d/run.nc"), "run.nc")) == "01"
    assert _bids_subject(ClipEntry(Path("/d/x/run.nc"), "x/run.nc", subject="P9")) == "P9"
    assert _bids_subject(ClipEntry(Path("/d/__/run.nc"), "__/run.nc")) == "01"
