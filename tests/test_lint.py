"""ruff (rules in pyproject.toml) and mypy (the analysis core, [tool.mypy]) pass on the code base.

Part of the test suite, so that the README's test command and `.ci/run` check them too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff_finds_nothing() -> None:
    pytest.importorskip("ruff", reason="ruff is in the test extras")
    result = _run("ruff", "check", "gait", "tests", "--output-format", "concise")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_the_analysis_core() -> None:
    pytest.importorskip("mypy", reason="mypy is in the test extras")
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_checks_every_function_of_the_report() -> None:
    """gait/report in full: every function annotated and its body checked (the typed GaitReport and its users)."""
    pytest.importorskip("mypy", reason="mypy is in the test extras")
    strict = ("--disallow-untyped-defs", "--disallow-incomplete-defs", "--check-untyped-defs")
    result = _run("mypy", *strict, "gait/report")
    assert result.returncode == 0, result.stdout + result.stderr
