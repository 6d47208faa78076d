"""Accepting an upload: sniff, store under generated names, record, queue; and deleting an analysis."""

from __future__ import annotations

import errno
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile

from gait.web.db import Clip, Record, Store, clips_json, now
from gait.web.jobs import JobQueue
from gait.web.limits import too_large_message
from gait.web.schemas import FILE_NAMES, AnalysisOptions
from gait.web.sniff import SNIFF_BYTES, sniff_container
from gait.web.storage import Storage

CHUNK_BYTES = 1024 * 1024
CONTAINERS_TEXT = "MP4/MOV, Matroska/WebM or AVI"

#: Public file name -> (path in the folder of the run that finished, media type).
OUTPUT_FILES = {
    "report.json": ("report.json", "application/json"),
    "steps.csv": ("steps.csv", "text/csv; charset=utf-8"),
    "report.html": ("report.html", "text/html; charset=utf-8"),
    "overlay.mp4": ("overlay.mp4", "video/mp4"),
    "overlay_rear.mp4": ("overlay_rear.mp4", "video/mp4"),  # sessions with a rear clip
    "overlay_front.mp4": ("overlay_front.mp4", "video/mp4"),  # sessions with a front clip
}
assert tuple(OUTPUT_FILES) == FILE_NAMES


class UploadError(Exception):
    """A rejected upload: an HTTP status and a one-sentence message for the user."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


@dataclass(frozen=True)
class Services:
    """What the routes need: the store, the queue, where files live and how much they take."""

    store: Store
    jobs: JobQueue
    data_dir: Path
    max_upload_bytes: int
    storage: Storage

    def analysis_dir(self, analysis_id: str) -> Path:
        """The folder of one analysis; ValueError if ``analysis_id`` is not a 32-digit hex id."""
        if not re.fullmatch(r"[0-9a-f]{32}", analysis_id):
            raise ValueError("not an analysis id")
        return self.data_dir / "analyses" / analysis_id

    def output_dir(self, record: Record) -> Path | None:
        """The folder of the run that finished the analysis (``out`` for records of older versions)."""
        if record.status != "done":
            return None
        folder = self.analysis_dir(record.id)
        if record.output_dir is None:
            return folder / "out"
        if not re.fullmatch(rf"analyses/{record.id}/run-[0-9]+", record.output_dir):
            return None  # never a path from elsewhere
        return self.data_dir / record.output_dir

    def output_path(self, record: Record, name: str) -> Path | None:
        """The path of one output file if it exists (``name`` must be one of :data:`OUTPUT_FILES`)."""
        folder = self.output_dir(record)
        if name not in OUTPUT_FILES or folder is None:
            return None
        path = folder / OUTPUT_FILES[name][0]
        return path if path.is_file() else None

    def available_files(self, record: Record) -> list[str]:
        """Names of the output files of :data:`OUTPUT_FILES` that the analysis has."""
        return [name for name in OUTPUT_FILES if self.output_path(record, name) is not None]

    async def accept(
        self,
        side: UploadFile | None,
        rear: UploadFile | None,
        options: AnalysisOptions,
        front: UploadFile | None = None,
    ) -> Record:
        """Store the clips (a side clip, optionally a rear and a front clip), add a queued record, queue it."""
        if not _chosen(side):
            raise UploadError(422, "Choose the side-view clip to upload (form field 'file').")
        assert side is not None
        if options.runner_id is not None and self.store.get_runner(options.runner_id) is None:
            raise UploadError(
                404,
                "No runner with this id (it may have been deleted); create the runner first or leave runner_id out.",
            )
        analysis_id = uuid.uuid4().hex
        folder = self.analysis_dir(analysis_id) / "input"
        folder.mkdir(parents=True)
        try:
            budget = self.max_upload_bytes
            side_file, used = await self._save(side, folder, "side", budget, "side-view clip")
            clips = [Clip("side", display_name(side.filename, "side clip"), str(side_file.relative_to(self.data_dir)))]
            for role, upload in (("rear", rear), ("front", front)):
                if _chosen(upload):
                    assert upload is not None
                    path, size = await self._save(upload, folder, role, budget - used, f"{role}-view clip")
                    used += size
                    name = display_name(upload.filename, f"{role} clip")
                    clips.append(Clip(role, name, str(path.relative_to(self.data_dir))))
            rear_clip = next((c for c in clips if c.role == "rear"), None)
            record = Record(
                id=analysis_id,
                created_at=now(),
                status="queued",
                side_name=clips[0].name,
                side_file=clips[0].file,
                rear_name=None if rear_clip is None else rear_clip.name,
                rear_file=None if rear_clip is None else rear_clip.file,
                clips=clips_json(clips),
                runner_id=options.runner_id,
                label=options.label or None,
                height_cm=options.height_cm,
                treadmill_speed_mps=options.treadmill_speed_mps,
                slowmo_factor=options.slowmo_factor,
            )
            self.store.add(record)
        except BaseException:
            shutil.rmtree(folder.parent, ignore_errors=True)
            raise
        self.jobs.submit(analysis_id)
        return record

    async def _save(self, upload: UploadFile, folder: Path, stem: str, budget: int, what: str) -> tuple[Path, int]:
        name = display_name(upload.filename, what)
        await upload.seek(0)
        first = await upload.read(CHUNK_BYTES)
        if not first:
            raise UploadError(422, f"The {what} '{name}' is empty (0 bytes); choose the video file again.")
        container = sniff_container(first[:SNIFF_BYTES])
        if container is None:
            raise UploadError(
                415,
                f"The {what} '{name}' is not a video this app can read (expected {CONTAINERS_TEXT}, "
                "whatever the file name says); export the clip as MP4 and upload it again.",
            )
        path = folder / f"{stem}.{container}"
        size = 0
        with path.open("xb") as out:
            chunk = first
            while chunk:
                size += len(chunk)
                if size > budget:
                    raise UploadError(413, too_large_message(self.max_upload_bytes))
                try:
                    out.write(chunk)
                except OSError as err:
                    if err.errno in (errno.ENOSPC, errno.EDQUOT):
                        raise UploadError(507, self.storage.disk_message()) from None
                    raise
                chunk = await upload.read(CHUNK_BYTES)
        return path, size

    def delete(self, analysis_id: str) -> bool:
        """Stop the analysis if it runs, then remove its record and every file."""
        if self.store.get(analysis_id) is None:
            return False
        self.jobs.cancel(analysis_id)
        deleted = self.store.delete(analysis_id)
        shutil.rmtree(self.analysis_dir(analysis_id), ignore_errors=True)
        self.storage.changed()
        return deleted


    def delete_runner(self, runner_id: str) -> bool:
        """Delete the runner's analyses (stopping any that run, removing every file), then the runner."""
        if self.store.get_runner(runner_id) is None:
            return False
        for record in self.store.runner_analyses(runner_id):
            self.delete(record.id)
        return self.store.delete_runner(runner_id)


def _chosen(upload: UploadFile | None) -> bool:
    """False for a missing part and for the empty part a browser sends when no file was chosen."""
    return upload is not None and not (not upload.filename and (upload.size or 0) == 0)


def display_name(filename: str | None, fallback: str) -> str:
    """The user's file name for display only: last path component, printable, at most 120 characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:120] or fallback
