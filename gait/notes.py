"""Quality notes: what limits a result, said in words a user can act on.

Stages return notes instead of emitting warnings; the report lists them under capture quality.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QualityNote:
    """One finding about the data, e.g. ``QualityNote("low_fps", "Filmed at 30 fps: ...")``.

    ``code`` is a stable snake_case identifier (tests and tools match on it); ``message`` is one or
    two sentences that say what was found and what to do about it.
    """

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The note as a JSON-ready dict with ``code`` and ``message``."""
        return {"code": self.code, "message": self.message}
