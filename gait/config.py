"""One configuration object for a whole analysis, composed of each stage's typed parameters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from gait.errors import ConfigError
from gait.events import EventParams
from gait.metrics import MetricParams
from gait.pose import PoseParams
from gait.track import CleanParams
from gait.track.view import VIEWS


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
    view
        The camera view (``"side_left"``, ``"side_right"``, ``"rear"``, ``"front"``) when the
        user knows it better than the landmarks; ``None`` (default): detected.
    """

    pose: PoseParams = field(default_factory=PoseParams)
    clean: CleanParams = field(default_factory=CleanParams)
    events: EventParams = field(default_factory=EventParams)
    metrics: MetricParams = field(default_factory=MetricParams)
    slowmo_factor: float | None = None
    height_cm: float | None = None
    rules_path: str | None = None
    """A TOML file overriding flag thresholds (see gait/flags/rules.toml); ``None``: the defaults."""
    view: str | None = None

    def __post_init__(self) -> None:
        if self.view is not None and self.view not in VIEWS:
            raise ConfigError(f"Unknown view '{self.view}'; use one of {', '.join(VIEWS)}.")

    def to_dict(self) -> dict[str, Any]:
        """All fields; ``view`` only when given (detected views are in the report's ``view``)."""
        out = asdict(self)
        if out["view"] is None:
            del out["view"]  # keeps provenance of existing side-view reports unchanged
        return out
