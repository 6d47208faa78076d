"""Pose-model files: where they live, their checksums, and a loader that says what is wrong.

Nothing is downloaded: the model ships in ``models/`` at the top of the repository (or a folder
named by the ``GAIT_MODELS_DIR`` environment variable). See ``models/README.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gait.errors import ModelFileError
from gait.video import file_sha256


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    sha256: str
    note: str


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "full",
            "pose_landmarker_full.task",
            "faec63c4cff088900ffccfe3447e90076016bb6abd266910b5efcf58e59383fa",
            "BlazePose GHUM full (default; committed in models/)",
        ),
        ModelSpec(
            "heavy",
            "pose_landmarker_heavy.task",
            "64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b",
            "BlazePose GHUM heavy (optional, ~30 MB, ~2.5x slower; copy it into models/)",
        ),
    )
}


def models_dir() -> Path:
    """``$GAIT_MODELS_DIR`` if set, else ``models/`` beside the ``gait`` package (source checkout)."""
    env = os.environ.get("GAIT_MODELS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "models"


@dataclass(frozen=True)
class ModelFile:
    name: str
    path: Path
    sha256: str


def resolve_model(name: str = "full") -> ModelFile:
    """Find and verify a pose model by name (``full``, ``heavy``) or by path to a ``.task`` file.

    Raises
    ------
    ModelFileError
        Unknown name, missing file, or a file whose SHA-256 is not the expected one.
    """
    if name in MODELS:
        spec = MODELS[name]
        path = models_dir() / spec.filename
        if not path.is_file():
            raise ModelFileError(
                f"Pose model '{name}' is missing: expected {path}; copy {spec.filename} there "
                "(see models/README.md) or set GAIT_MODELS_DIR."
            )
        digest = file_sha256(path)
        if digest != spec.sha256:
            raise ModelFileError(
                f"Pose model file {path} is corrupt or of another version (SHA-256 {digest[:12]}..., "
                f"expected {spec.sha256[:12]}...); copy it again (see models/README.md)."
            )
        return ModelFile(name, path, digest)
    path = Path(name)
    if path.suffix == ".task" and path.is_file():
        return ModelFile(path.stem, path, file_sha256(path))
    raise ModelFileError(
        f"Unknown pose model '{name}'; use one of {', '.join(MODELS)} or the path of a .task file."
    )
