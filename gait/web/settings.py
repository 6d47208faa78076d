"""Web-app settings, read from ``GAIT_*`` environment variables (never at import: see :func:`create_app`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of ``gait serve``.

    Environment variables: ``GAIT_DATA_DIR``, ``GAIT_DB``, ``GAIT_MAX_UPLOAD_MB``, ``GAIT_MAX_STORAGE_MB``,
    ``GAIT_MIN_FREE_DISK_MB``, ``GAIT_UPLOADS_PER_MINUTE``, ``GAIT_TOKEN``, ``GAIT_WORKERS``,
    ``GAIT_MAX_ATTEMPTS``, ``GAIT_OVERLAY_VIDEO``, ``GAIT_ALLOWED_ORIGINS``.
    """

    model_config = SettingsConfigDict(env_prefix="GAIT_", extra="ignore")

    data_dir: Path = Field(
        default=Path("gait-data"), description="Uploaded clips, results and (by default) the database."
    )
    db: Path | None = Field(default=None, description="SQLite database path; default <data_dir>/gait.sqlite3.")
    max_upload_mb: float = Field(
        default=1024.0, gt=0, description="Largest accepted upload (both clips together), in MB."
    )
    max_storage_mb: float = Field(
        default=20480.0, gt=0,
        description="Uploads are refused once the clips and results in the data folder would pass this, in MB.",
    )
    min_free_disk_mb: float = Field(
        default=1024.0, ge=0, description="Uploads are refused when they would leave less free disk than this, in MB."
    )
    uploads_per_minute: int = Field(
        default=20, ge=0, description="Uploads one client (IP address) may start per minute (0: no limit)."
    )
    token: str | None = Field(default=None, description="Access token; when set every page and API call needs it.")
    workers: int = Field(
        default=1, ge=0, le=16, description="Analyses run at the same time (0: accept uploads, run none)."
    )
    max_attempts: int = Field(
        default=2, ge=1, description="Runs of one analysis interrupted by a server crash before it is marked failed."
    )
    overlay_video: bool = Field(default=True, description="Draw overlay.mp4 (the annotated video) for each analysis.")
    allowed_origins: str = Field(
        default="",
        description="Comma-separated origins (e.g. https://gait.clinic.example) besides this computer's own "
        "(localhost, loopback addresses) under which the app is opened: their host names are answered, and "
        "their pages may send uploads and deletions; for a reverse proxy or another computer on the network.",
    )

    @property
    def allowed_origin_set(self) -> frozenset[str]:
        """The allowed origins, normalised (lower case, no trailing slash)."""
        return frozenset(o.strip().rstrip("/").lower() for o in self.allowed_origins.split(",") if o.strip())

    @property
    def allowed_host_set(self) -> frozenset[tuple[str, int | None]]:
        """(host name, port) of each allowed origin; the port is None for an entry without scheme or port."""
        hosts = set()
        for origin in self.allowed_origin_set:
            scheme, sep, rest = origin.partition("://")
            netloc = rest if sep else scheme
            host, port = split_host(netloc.split("/", 1)[0])
            if port is None and sep:
                port = {"http": 80, "https": 443}.get(scheme)
            if host:
                hosts.add((host, port))
        return frozenset(hosts)

    @property
    def max_storage_bytes(self) -> int:
        """``GAIT_MAX_STORAGE_MB`` in bytes."""
        return int(self.max_storage_mb * 1024 * 1024)

    @property
    def min_free_disk_bytes(self) -> int:
        """``GAIT_MIN_FREE_DISK_MB`` in bytes."""
        return int(self.min_free_disk_mb * 1024 * 1024)

    @property
    def db_path(self) -> Path:
        """The database file: ``GAIT_DB`` if set, else ``gait.sqlite3`` in the data folder."""
        return self.db if self.db is not None else self.data_dir / "gait.sqlite3"

    @property
    def max_upload_bytes(self) -> int:
        """``GAIT_MAX_UPLOAD_MB`` in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    @field_validator("token")
    @classmethod
    def _empty_token_is_none(cls, value: str | None) -> str | None:
        return value or None


def split_host(value: str) -> tuple[str, int | None]:
    """``host[:port]`` (IPv6 in brackets) -> (lower-case host without brackets or final dot, port or None).

    A malformed value gives ``("", None)``.
    """
    value = value.strip().lower()
    host, port = value, ""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return "", None
        host, rest = value[1:end], value[end + 1 :]
        if rest and not rest.startswith(":"):
            return "", None
        port = rest[1:]
    elif value.count(":") == 1:
        host, port = value.split(":")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        return "", None
    return host.rstrip("."), int(port) if port else None
