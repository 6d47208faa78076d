"""Batch test fixtures: fake clips (see ``_jobs.py``), a shared Ray runtime, the markers of these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.batch._jobs import clip_file


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ray: starts a real local Ray runtime (about 5 s)")


@pytest.fixture
def fake_clips(tmp_path: Path) -> Path:
    """Five fake clips in nested folders: three good, one bad (GaitError), one empty file."""
    root = tmp_path / "clips"
    clip_file(root, "a/run1.mp4", cadence=172.0, steps=6)
    clip_file(root, "a/run2.MOV", cadence=160.0, steps=5, short=True)
    clip_file(root, "b/run3.mkv", cadence=181.5, steps=7)
    clip_file(root, "b/nobody.mp4", fail="No person was found in 'nobody.mp4'.")
    (root / "empty.mp4").write_bytes(b"")
    return root


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    d = tmp_path / "log"
    d.mkdir()
    return d


def calls(log_dir: Path) -> list[str]:
    """File names the fake job ran on, in completion order."""
    f = log_dir / "calls.log"
    return f.read_text().split() if f.exists() else []


@pytest.fixture(scope="session")
def ray_runtime():
    """A real local Ray runtime with 2 CPUs, started once for the session (start-up costs ~4 s).

    The engine uses an initialised Ray as it is; the worker environment matches the local engine's.
    """
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'gait[batch]')")
    from gait.batch._job import WORKER_ENV

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": dict(WORKER_ENV)},
    )
    yield ray
    ray.shutdown()
