"""One configuration object for a whole analysis, and one specification per clip.

The configuration is composed of each stage's typed parameters; :class:`ClipSpec` specifies one clip; the
bounds of the user's options (:data:`BOUNDS`, :func:`check_option`) come from the leaf module
:mod:`gait.bounds`.

Importing this module is light: the stages' parameter classes are imported when a configuration is
first made.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gait.bounds import BOUNDS, check_option
from gait.errors import ConfigError

if TYPE_CHECKING:
    from gait.events import EventParams
    from gait.metrics import MetricParams
    from gait.pose import PoseParams
    from gait.track import CleanParams

def check_output_dir(path: str | os.PathLike[str], *, option: str = "-o") -> Path:
    """``path`` when it is a folder that exists or can be created, and can be written to.

    Nothing is created: the nearest existing folder on the way is tried with a temporary file.

    Raises
    ------
    ConfigError
        ``path`` is a file (or a link to nothing), lies under a file, or cannot be written.
    """
    p = Path(path)
    if p.is_symlink() and not p.exists():
        raise ConfigError(
            f"Output folder '{p}' is a symbolic link to nothing (or a link loop); choose another folder with {option}."
        )
    if p.exists() and not p.is_dir():
        raise ConfigError(
            f"Output folder '{p}' is an existing file, not a folder; choose a folder with {option}."
        )
    here = p.absolute()
    while not here.exists() and not here.is_symlink() and here != here.parent:
        here = here.parent
    if not here.is_dir():
        kind = "a broken symbolic link" if here.is_symlink() and not here.exists() else "a file"
        raise ConfigError(
            f"Cannot create the output folder '{p}': '{here}' is {kind}, not a folder; "
            f"choose another place with {option}."
        )
    try:
        fd, probe = tempfile.mkstemp(dir=here, prefix=".gait-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        what = "write to the output folder" if here == p.absolute() else "create the output folder"
        raise ConfigError(
            f"Cannot {what} '{p}' ('{here}' refuses new files: {err.strerror}); "
            f"choose a folder you can write to with {option}."
        ) from None
    return p


def check_output_file(path: str | os.PathLike[str], *, option: str = "-o") -> Path:
    """``path`` when a file can be written there: its folder exists and is writable, and it is not a folder.

    Raises
    ------
    ConfigError
        ``path`` is a folder or a special file, its folder is missing, or the folder cannot be written.
    """
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"'{p}' is a folder; give {option} a file name, not a folder.")
    if p.exists() and not p.is_file():
        raise ConfigError(
            f"'{p}' is not a regular file; give {option} the name of a file to write."
        )
    folder = p.absolute().parent
    if not folder.is_dir():
        raise ConfigError(
            f"Cannot write '{p}': the folder '{folder}' does not exist; "
            f"create it first or choose another path with {option}."
        )
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".gait-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ConfigError(
            f"Cannot write '{p}': the folder '{folder}' refuses new files ({err.strerror}); "
            f"choose another path with {option}."
        ) from None
    return p


def _pose() -> PoseParams:
    from gait.pose import PoseParams

    return PoseParams()


def _clean() -> CleanParams:
    from gait.track import CleanParams

    return CleanParams()


def _events() -> EventParams:
    from gait.events import EventParams

    return EventParams()


def _metrics() -> MetricParams:
    from gait.metrics import MetricParams

    return MetricParams()


@dataclass(frozen=True)
class AnalysisConfig:
    """Everything that changes the result of an analysis (recorded in every report).

    Attributes
    ----------
    pose, clean, events, metrics
        Parameters of each stage.
    slowmo_factor
        Capture fps / playback fps of a slow-motion clip; ``None``: from metadata, else 1.
        Within :data:`BOUNDS`.
    height_cm
        Runner's height; lets vertical oscillation be reported in centimetres. Within :data:`BOUNDS`.
    view
        The camera view (``"side_left"``, ``"side_right"``, ``"rear"``, ``"front"``) when the
        user knows it better than the landmarks; ``None`` (default): detected.
    track_fps
        Frame rate of a landmark input whose files carry no times (an OpenPose JSON folder);
        ``None``: 30 fps assumed, with a note in the report. Within :data:`BOUNDS`.

    Raises
    ------
    ConfigError
        An option out of :data:`BOUNDS`, or an unknown view (one sentence).
    """

    pose: PoseParams = field(default_factory=_pose)
    clean: CleanParams = field(default_factory=_clean)
    events: EventParams = field(default_factory=_events)
    metrics: MetricParams = field(default_factory=_metrics)
    slowmo_factor: float | None = None
    height_cm: float | None = None
    rules_path: str | None = None
    """A TOML file overriding flag thresholds (see gait/flags/rules.toml); ``None``: the defaults."""
    view: str | None = None
    track_fps: float | None = None

    def __post_init__(self) -> None:
        """Check the view and the options against :data:`BOUNDS`; raise ConfigError on a bad one."""
        from gait.skeleton import VIEWS

        if self.view is not None and self.view not in VIEWS:
            raise ConfigError(f"Unknown view '{self.view}'; use one of {', '.join(VIEWS)}.")
        for name in ("slowmo_factor", "height_cm", "track_fps"):
            check_option(name, getattr(self, name))

    def to_dict(self) -> dict[str, Any]:
        """All fields; ``view`` only when given (detected views are in the report's ``view``)."""
        out = asdict(self)
        for name in ("view", "track_fps"):
            if out[name] is None:
                del out[name]  # keeps provenance of existing reports unchanged
        if out["pose"].get("rotate_deg", 0) is None:
            del out["pose"]["rotate_deg"]  # automatic (the default): as before the option existed
        return out


#: Roles a clip can play in a session: one side clip and any frontal clips (a rear clip, a front
#: clip, or both) of the same run, in the order a session lists them.
ROLES: tuple[str, ...] = ("side", "rear", "front")


@dataclass(frozen=True)
class ClipSpec:
    """One clip (or track file) to analyse and what the user says about it, validated once.

    The CLI, the batch manifest rows and the web form all build one; the bounds come from
    :data:`BOUNDS`. A value left ``None`` is taken from the :class:`AnalysisConfig` the clip is
    analysed with (:meth:`config`).

    Attributes
    ----------
    path
        The video clip, track file (``.nc``/``.csv``/``.trc``) or OpenPose JSON folder.
    view
        ``"side_left"``, ``"side_right"``, ``"rear"``, ``"front"``; ``None`` or ``"detect"``:
        detected from the landmarks.
    slowmo_factor, height_cm, track_fps
        As in :class:`AnalysisConfig`.
    role
        ``"side"``, ``"rear"`` or ``"front"`` in a session of several clips; ``None``: by position
        (the first clip is the side clip) and then by the detected views.

    Raises
    ------
    ConfigError
        A value out of :data:`BOUNDS`, an unknown view or role (one sentence).
    """

    path: Path
    view: str | None = None
    slowmo_factor: float | None = None
    height_cm: float | None = None
    track_fps: float | None = None
    role: str | None = None

    def __post_init__(self) -> None:
        """Make ``path`` a Path and the view ``detect`` None; check view, role and options (ConfigError)."""
        from gait.skeleton import VIEWS

        if not isinstance(self.path, Path):
            object.__setattr__(self, "path", Path(self.path))
        if self.view == "detect":
            object.__setattr__(self, "view", None)
        if self.view is not None and self.view not in VIEWS:
            raise ConfigError(
                f"Unknown view '{self.view}' for '{self.path.name}'; use one of {', '.join(VIEWS)} or leave it out to "
                "detect it."
            )
        if self.role is not None and self.role not in ROLES:
            raise ConfigError(
                f"Unknown role '{self.role}' for '{self.path.name}'; use {', '.join(ROLES[:-1])} or {ROLES[-1]}."
            )
        for name in ("slowmo_factor", "height_cm", "track_fps"):
            object.__setattr__(self, name, check_option(name, getattr(self, name)))

    def config(self, base: AnalysisConfig) -> AnalysisConfig:
        """``base`` with this clip's own values (those not None) in place."""
        from dataclasses import replace

        given = {n: getattr(self, n) for n in ("view", "slowmo_factor", "height_cm", "track_fps")}
        return replace(base, **{n: v for n, v in given.items() if v is not None})


__all__ = [
    "BOUNDS",
    "ROLES",
    "AnalysisConfig",
    "ClipSpec",
    "check_option",
    "check_output_dir",
    "check_output_file",
]
