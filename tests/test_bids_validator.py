"""The official BIDS validator on ``gait batch ... --bids`` output.

The Python ``bids-validator`` package checks file names only; the full validator (schema of every
sidecar, columns of every table) is the npm package ``bids-validator`` (Node >= 18):

    npm install bids-validator@1.15.0      # then put node_modules/.bin on PATH,
    export BIDS_VALIDATOR=$PWD/node_modules/.bin/bids-validator   # or point at it

Skipped when neither ``$BIDS_VALIDATOR`` nor ``bids-validator`` on PATH is there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
TRACK = ROOT / "samples" / "treadmill_side_male_30fps_portrait.track.nc"


def _validator() -> str | None:
    given = os.environ.get("BIDS_VALIDATOR")
    if given and Path(given).is_file():
        return given
    return shutil.which("bids-validator")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import typer
    from typer.testing import CliRunner

    from gait.batch.cli import batch_command
    from gait.cli import _friendly

    d = tmp_path_factory.mktemp("bidsval")
    shutil.copy(TRACK, d / TRACK.name)
    manifest = d / "manifest.csv"
    pd.DataFrame({"path": [TRACK.name], "subject": ["01"], "session": ["pre"]}).to_csv(manifest, index=False)
    app = typer.Typer(pretty_exceptions_enable=False)
    app.callback()(lambda: None)
    app.command("batch")(_friendly(batch_command))
    root = d / "dataset"
    args = ["batch", str(manifest), "-o", str(d / "out"), "--no-video", "--workers", "1", "--bids", str(root)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.skipif(_validator() is None, reason="the BIDS validator (npm bids-validator) is not installed")
def test_the_bids_validator_finds_no_errors(dataset: Path) -> None:
    validator = _validator()
    assert validator is not None
    run = subprocess.run(
        [validator, str(dataset), "--json", "--ignoreNiftiHeaders"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(run.stdout)
    errors = [
        f"{issue['key']}: {sorted({f.get('evidence') or '' for f in issue.get('files', [])})[:4]}"
        for issue in report["issues"]["errors"]
    ]
    assert errors == [], "\n".join(errors)
    assert report["summary"]["subjects"] == ["01"] and report["summary"]["sessions"] == ["pre"]
