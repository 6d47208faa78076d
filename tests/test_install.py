"""The installation itself: one OpenCV, the README's commands are the ones CI runs."""

from __future__ import annotations

import re
from importlib.metadata import distributions

from tests.conftest import ROOT


def test_exactly_one_opencv_distribution_is_installed() -> None:
    """Two distributions of cv2 overwrite each other's files; mediapipe pulls opencv-contrib-python."""
    owners = sorted(
        {d.metadata["Name"] for d in distributions() if d.files and any(str(f).startswith("cv2/") for f in d.files)}
    )
    assert owners == ["opencv-contrib-python"]


def _readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README.md must open with a bash block of set-up commands"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_two_commands_and_ci_runs_the_test_one() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    assert "gait " in commands[0] and "samples/" in commands[0]
    assert "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci


def test_readme_sample_exists() -> None:
    sample = re.search(r"(samples/\S+\.(?:mp4|mov))", _readme_commands()[0])
    assert sample and (ROOT / sample.group(1)).is_file()
