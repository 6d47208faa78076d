"""Domain errors.

Every error that a user can cause (a bad file, a clip without a runner, a missing model) is a
:class:`GaitError` whose message is one sentence saying what is wrong and what to do. The CLI, web
app and batch engine print or store that sentence and never a traceback.
"""

from __future__ import annotations


class GaitError(Exception):
    """Base class of all user-facing errors; ``str(err)`` is the one-sentence message."""


class VideoReadError(GaitError, OSError):
    """The file is not a readable video (empty, corrupt, truncated, not a video, audio only)."""


class ModelFileError(GaitError, OSError):
    """A pose-model file is missing, corrupt or of the wrong version."""


class NoPersonError(GaitError, ValueError):
    """The pose model found nobody in the clip."""


class InvalidTrackError(GaitError, ValueError):
    """A pose-track file or array does not follow the track format."""


class ClipTooShortError(GaitError, ValueError):
    """The clip is too short to analyse."""


class ConfigError(GaitError, ValueError):
    """An analysis option is out of range or unknown."""
