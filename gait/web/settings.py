"""Web-app settings, read from ``GAIT_*`` environment variables (never at import: see :func:`create_app`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of ``gait serve``.

    Environment variables: ``GAIT_DATA_DIR``, ``GAIT_DB``, ``GAIT_MAX_UPLOAD_MB``, ``GAIT_TOKEN``,
    ``GAIT_WORKERS``, ``GAIT_MAX_ATTEMPTS``, ``GAIT_OVERLAY_VIDEO``, ``GAIT_ALLOWED_ORIGINS``.
    """

    model_config = SettingsConfigDict(env_prefix="GAIT_", extra="ignore")

    data_dir: Path = Field(default=Path("gait-data"), description="Uploaded clips, results and (by default) the database.")
    db: Path | None = Field(default=None, description="SQLite database path; default <data_dir>/gait.sqlite3.")
    max_upload_mb: float = Field(default=1024.0, gt=0, description="Largest accepted upload (both clips together), in MB.")
    token: str | None = Field(default=None, description="Access token; when set every page and API call needs it.")
    workers: int = Field(default=1, ge=0, le=16, description="Analyses run at the same time (0: accept uploads, run none).")
    max_attempts: int = Field(default=2, ge=1, description="Runs of one analysis interrupted by a server crash before it is marked failed.")
    overlay_video: bool = Field(default=True, description="Draw overlay.mp4 (the annotated video) for each analysis.")
    allowed_origins: str = Field(
        default="",
        description="Comma-separated origins (e.g. https://gait.clinic.example) besides the server's own that may "
        "send uploads and deletions; for a reverse proxy that changes the Host header.",
    )

    @property
    def allowed_origin_set(self) -> frozenset[str]:
        return frozenset(o.strip().rstrip("/").lower() for o in self.allowed_origins.split(",") if o.strip())

    @property
    def db_path(self) -> Path:
        return self.db if self.db is not None else self.data_dir / "gait.sqlite3"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @field_validator("token")
    @classmethod
    def _empty_token_is_none(cls, value: str | None) -> str | None:
        return value or None
