"""Domain errors.

Every error that a user can cause (a bad file, a clip without a runner, a missing model) is a
:class:`GaitError` whose message is one sentence saying what is wrong and what to do. The CLI, web
app and batch engine print or store that sentence and never a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import NamedTuple


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


class SpeedChangeError(GaitError, ValueError):
    """The clip's playback speed changes part-way (a slow-motion edit): one cadence would mix two speeds."""


class ConfigError(GaitError, ValueError):
    """An analysis option is out of range or unknown."""


class FileProblem(NamedTuple):
    """Why a path cannot be read as an input file: ``what`` continues "'<path>' ...", ``fix`` says what to do."""

    what: str
    fix: str


def _stat_problem(p: str, err: OSError) -> FileProblem:
    """Why ``os.stat(p)`` failed with ``err``: a link loop, a dangling link, no such file, no access."""
    if err.errno == errno.ELOOP:
        return FileProblem(
            "is a symbolic-link loop (its links point at each other)",
            "point the link at a real file",
        )
    if os.path.islink(p):
        return FileProblem(
            f"is a symbolic link to '{os.readlink(p)}', which does not exist",
            "fix the link or give the file's own path",
        )
    if err.errno in (errno.ENOENT, errno.ENOTDIR):
        return FileProblem("does not exist", "check the path")
    if err.errno == errno.EACCES:
        return FileProblem(
            "cannot be reached (permission denied on a folder of its path)",
            "check the folder permissions",
        )
    return FileProblem(f"cannot be read ({err.strerror})", "check the path")


def file_problem(path: str | os.PathLike[str]) -> FileProblem | None:
    """Why ``path`` is not a readable, non-empty regular file, or ``None`` when it is one.

    Tells apart what ``Path.exists()`` and ``stat().st_size`` lump together: a missing file, a
    dangling link, a symbolic-link loop, a folder, a named pipe (never opened: that would block), a
    socket or device (``/dev/zero``), a system file with no size (``/proc/self/status``), an
    unreadable file, and an empty one. Reads at most one byte.
    """
    p = os.fspath(path)
    try:
        st = os.stat(p)
    except OSError as err:
        return _stat_problem(p, err)
    mode = st.st_mode
    kinds = (
        (stat.S_ISDIR, "is a folder, not a file", "give the path of a file in it"),
        (
            stat.S_ISFIFO,
            "is a named pipe (FIFO), not a regular file",
            "save the data to a file and give that file",
        ),
        (stat.S_ISSOCK, "is a socket, not a regular file", "give the path of a file"),
        (
            stat.S_ISCHR,
            "is a character device (like /dev/zero), not a regular file",
            "give the path of a file",
        ),
        (stat.S_ISBLK, "is a block device (a disk), not a regular file", "give the path of a file"),
    )
    for test, what, fix in kinds:
        if test(mode):
            return FileProblem(what, fix)
    if not stat.S_ISREG(mode):
        return FileProblem("is not a regular file", "give the path of a file")
    try:
        with open(p, "rb") as fh:
            first = fh.read(1)
    except PermissionError:
        return FileProblem("cannot be read (permission denied)", "check the file's permissions")
    except OSError as err:
        return FileProblem(
            f"cannot be read ({err.strerror})", "copy the file to a local disk and try again"
        )
    if st.st_size == 0:
        if first:  # procfs and sysfs files report 0 bytes yet have content
            return FileProblem(
                "is not a regular file (a system file of no fixed size, like those under /proc)",
                "give the path of a file on disk",
            )
        return FileProblem("is empty (0 bytes)", "copy or save it again")
    return None
