"""The one-way architecture: video -> pose -> track -> events -> metrics -> flags -> report -> export -> pipeline.

Each stage imports only stages before it; the analytic core never imports the model, the decoder or
the front ends. Checked on the source (imports anywhere in a module, including inside functions).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gait"

#: What each part of the package must never import (gait modules or third-party top-level names).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "gait.video": ("gait.pose", "gait.track", "gait.events", "gait.metrics", "gait.flags", "gait.report",
                   "gait.pipeline", "gait.web", "gait.batch", "gait.cli", "mediapipe", "gait.export"),
    "gait.track": ("gait.pose", "gait.video", "gait.events", "gait.metrics", "gait.flags", "gait.report",
                   "gait.pipeline", "gait.web", "gait.batch", "gait.cli", "mediapipe", "cv2", "av", "gait.export"),
    "gait.events": ("gait.pose", "gait.video", "gait.metrics", "gait.flags", "gait.report", "gait.pipeline",
                    "gait.web", "gait.batch", "gait.cli", "mediapipe", "cv2", "av", "ray", "fastapi", "gait.export"),
    "gait.metrics": ("gait.pose", "gait.video", "gait.flags", "gait.report", "gait.pipeline", "gait.web",
                     "gait.batch", "gait.cli", "mediapipe", "cv2", "av", "ray", "fastapi", "gait.export"),
    "gait.flags": ("gait.pose", "gait.video", "gait.events", "gait.metrics", "gait.report", "gait.pipeline",
                   "gait.web", "gait.batch", "gait.cli", "mediapipe", "cv2", "av", "ray", "fastapi", "gait.export"),
    "gait.report": ("gait.pose", "gait.pipeline", "gait.web", "gait.batch", "gait.cli", "mediapipe", "ray", "fastapi", "gait.export"),
    "gait.export": ("gait.pose", "gait.video", "gait.pipeline", "gait.web", "gait.batch", "gait.cli",
                    "mediapipe", "ray", "fastapi"),
    "gait.pipeline": ("gait.web", "gait.batch", "gait.cli", "ray", "fastapi"),
    "gait.web": ("gait.batch", "gait.cli", "mediapipe", "ray"),
    "gait.batch": ("gait.web", "gait.cli", "mediapipe", "fastapi"),
}

#: The only modules allowed to import these third-party packages.
ONLY_IN = {"mediapipe": "gait.pose._mediapipe", "ray": "gait.batch._ray"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


MODULES = {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _hits(imported: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(i for i in imported for b in banned if i == b or i.startswith(b + "."))


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_stage_imports_only_earlier_stages(stage: str) -> None:
    offenders = {
        mod: _hits(imported, FORBIDDEN[stage])
        for mod, imported in MODULES.items()
        if (mod == stage or mod.startswith(stage + ".")) and _hits(imported, FORBIDDEN[stage])
    }
    assert offenders == {}


@pytest.mark.parametrize(("package", "home"), sorted(ONLY_IN.items()))
def test_heavy_dependency_is_imported_in_one_module(package: str, home: str) -> None:
    users = sorted(mod for mod, imported in MODULES.items() if _hits(imported, (package,)))
    assert users == [home]


def test_the_scan_sees_the_package() -> None:
    assert "gait.pose._mediapipe" in MODULES and "mediapipe" in MODULES["gait.pose._mediapipe"]
    assert len(MODULES) > 50
