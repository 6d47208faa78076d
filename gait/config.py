"""One configuration object for a whole analysis, composed of each stage's typed parameters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from gait.events import EventParams
from gait.metrics import MetricParams
from gait.pose import PoseParams
from gait.track import CleanParams


@dataclass(frozen=True)
class AnalysisConfig:
    """Everything that changes the result of an analysis (recorded in every report).

    Attributes
    ----------
    pose, clean, events, metrics
        Parameters of each stage.
    slowmo_factor
        Capture fps / playback fps of a slow-motion clip; ``None``: from metadata, else 1.
    height_cm
        Runner's height; lets vertical oscillation be reported in centimetres.
    """

    pose: PoseParams = field(default_factory=PoseParams)
    clean: CleanParams = field(default_factory=CleanParams)
    events: EventParams = field(default_factory=EventParams)
    metrics: MetricParams = field(default_factory=MetricParams)
    slowmo_factor: float | None = None
    height_cm: float | None = None
    rules_path: str | None = None
    """A TOML file overriding flag thresholds (see gait/flags/rules.toml); ``None``: the defaults."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
