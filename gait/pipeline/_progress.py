"""The progress callback every long pipeline call takes (its own module: ``gait pose`` needs no analysis imports)."""

from collections.abc import Callable

Progress = Callable[[str, float], None]
"""``progress(stage, fraction_done)``: stage is 'pose', 'analysis', 'writing' or 'video'."""
