"""Read and write pose tracks: NetCDF4 (``.nc``, lossless) and CSV (``.csv``, for exchange).

Formats are chosen by file suffix through :data:`_FORMATS`, and folders by their content through
:data:`_FOLDER_FORMATS`; add a format by adding an entry there. Landmarks of other pose tools are
read too (not written): OpenSim / Pose2Sim / Sports2D ``.trc`` files and OpenPose JSON folders
(see :mod:`gait.track._foreign`).

``.nc``
    The whole :class:`~gait.track.PoseTrack` (every variable, coordinate and attribute),
    written with xarray's ``h5netcdf`` engine, float arrays zlib-compressed.
``.csv``
    One row per frame: ``frame``, ``time_s``, then ``<name>_x``, ``<name>_y``,
    ``<name>_visibility`` for each of the 33 names of :data:`gait.skeleton.KEYPOINTS`, x and y in
    pixels, empty cells where there is no landmark. Leading comment lines ``# key: value`` (value
    in JSON) hold the attributes, plus the reserved key ``frame_flags``: for each boolean
    per-frame variable (``detected``, ``duplicate``, ``swapped`` ...) the runs ``[first, last]``
    of frame numbers where it is true.
    ``position_world`` and per-keypoint flags such as ``interpolated`` are not written: use ``.nc``
    to keep everything. CSVs from other tools (no comment lines, some landmark columns missing,
    extra columns) are accepted; see :func:`load_track`.

Writes are atomic: the file is written under a temporary name in the target folder, then renamed.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gait.bounds import check_option
from gait.errors import ConfigError, InvalidTrackError, file_problem
from gait.skeleton import KEYPOINTS
from gait.track import _foreign, _tools
from gait.track._model import PoseTrack, from_numpy, validate_track

_READ_ERRORS = (OSError, ValueError, TypeError, KeyError, IndexError, RuntimeError, UnicodeError)
_ATTR_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_COMMENT = re.compile(r"^#\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*:\s?(.*)$")
_CORE_VARS = ("position", "confidence", "position_world", "detected", "duplicate")
_CORE_COORDS = ("time", "frame", "keypoint", "space", "space3")
_FLAGS_KEY = "frame_flags"


@dataclass(frozen=True)
class _LoadOptions:
    image_size_px: tuple[int, int] | None = None
    fps: float | None = None


@dataclass(frozen=True)
class _Format:
    read: Callable[[Path, _LoadOptions], PoseTrack]
    write: Callable[[PoseTrack, Path], None] | None = None  # None: read only
    folder: bool = False  # the path is a folder of files, not one file


def save_track(track: PoseTrack, path: str | os.PathLike[str]) -> Path:
    """Write ``track`` to ``path``; the suffix (``.nc`` or ``.csv``) picks the format.

    The write is atomic: a reader never sees a half-written file, and an existing file is replaced
    only once the new one is complete.

    Parameters
    ----------
    track
        A valid pose track. Attributes must be str, int or float (store structured values as JSON
        strings).
    path
        Target file; missing parent folders are created.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    InvalidTrackError
        If the suffix is unknown, the track is invalid or an attribute cannot be stored.
    """
    path = Path(path)
    fmt = _format_for(path, action="save")
    if fmt.write is None:
        raise InvalidTrackError(
            f"Cannot save track '{path.name}': '{path.suffix}' files are read only; use .nc or .csv."
        )
    validate_track(track)
    _check_attrs(track, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write = fmt.write
    _atomic_write(path, lambda tmp: write(track, tmp))
    return path


def load_track(
    path: str | os.PathLike[str],
    *,
    image_size_px: tuple[int, int] | None = None,
    fps: float | None = None,
) -> PoseTrack:
    """Read a pose track written by :func:`save_track`, or landmarks from another pose tool.

    Parameters
    ----------
    path
        A ``.nc`` or ``.csv`` file, a ``.trc`` marker file (Sports2D, Pose2Sim, OpenSim), or a
        folder of OpenPose ``*_keypoints.json`` files (see :mod:`gait.track._foreign`); a
        DeepLabCut / LightningPose ``.csv`` or ``.h5``, a SLEAP ``.slp`` or ``.analysis.h5``, or
        an NWB ``.nwb`` with ndx-pose (see :mod:`gait.track._tools`).
    image_size_px
        CSV, TRC and OpenPose: ``(width, height)`` of the displayed image. Overrides the size
        stored in the file. When neither is there, the size is inferred as the ceiling of the
        largest x and y seen, and the track gets the attribute ``image_size_inferred = 1`` (a TRC
        in metres is sized from its data range instead: ``image_size_from_data = 1``).
    fps
        CSV, TRC and OpenPose: frames per second. Needed when the CSV has a ``frame`` but no
        ``time_s`` column (times become ``(frame - first frame) / fps``); otherwise it overrides
        the stored ``fps``. An OpenPose folder stores no rate: without ``fps`` it is read at
        30 fps and the track gets ``fps_assumed = 1``.

    Returns
    -------
    PoseTrack
        A validated track, built through :func:`gait.track.from_numpy`.

    Raises
    ------
    InvalidTrackError
        If the file is missing, empty, of an unknown suffix, unreadable or lacks needed columns.
    """
    path = Path(path)
    fmt = _format_for(path, action="read")
    problem = None if fmt.folder else file_problem(path)
    if problem is not None:
        if problem.what == "does not exist":
            raise _cannot_read(path, "the file does not exist; check the path")
        if problem.what.startswith("is empty"):
            raise _cannot_read(path, "the file is empty; save the track again")
        if "not a" in problem.what:
            raise _cannot_read(path, f"it {problem.what}; give the path of a .nc or .csv track")
        raise _cannot_read(path, f"it {problem.what}; {problem.fix}")
    options = _LoadOptions(image_size_px=image_size_px, fps=fps)
    return _check_content(validate_track(fmt.read(path, options)), path)


# -- shared helpers ---------------------------------------------------------------------------

#: Landmarks may lie a little outside the image (a foot out of view, by up to a third of the frame
#: in MediaPipe's output); those beyond this fraction of the width or height past an edge are far out.
_FAR_OUTSIDE = 0.5
#: A track with more than this share of its landmarks far outside the image it declares has a
#: wrong image size (or coordinates that are not pixels of that image).
_MAX_FAR_SHARE = 0.1


def _check_content(track: PoseTrack, path: Path) -> PoseTrack:
    """What a file can declare that the format checks do not catch: image size, fps, slow motion."""
    w, h = track.attrs["image_width_px"], track.attrs["image_height_px"]
    csv = path.suffix.lower() == ".csv"
    where = "the '# image_width_px' and '# image_height_px' lines" if csv else "the file"
    if not (w >= 1 and h >= 1):
        raise _cannot_read(
            path, f"it declares an image of {w} x {h} px; give the real image size in {where}"
        )
    fps = float(track.attrs["fps"])
    if not (math.isfinite(fps) and fps > 0) and track.sizes["time"] >= 2:  # (one frame: no rate)
        raise _cannot_read(
            path, f"its frame rate ({fps:g} fps) is not a positive number; fix it in the file"
        )
    if "slowmo_factor" in track.attrs:
        try:
            factor = _plain(track.attrs["slowmo_factor"])
            check_option("slowmo_factor", factor, label="its slow-motion factor")
        except ConfigError as err:
            msg = str(err).rstrip(".")
            raise _cannot_read(path, msg[:1].lower() + msg[1:]) from None
    pos = track["position"].values
    x, y = pos[..., 0] / w, pos[..., 1] / h
    seen = np.isfinite(x) & np.isfinite(y)
    if seen.any():
        m = _FAR_OUTSIDE
        far = ((x < -m) | (x > 1 + m) | (y < -m) | (y > 1 + m))[seen]
        if far.mean() > _MAX_FAR_SHARE:
            raise _cannot_read(
                path,
                f"{far.mean():.0%} of its landmarks lie far outside the {w} x {h} px image it declares "
                f"(x up to {np.nanmax(pos[..., 0]):.0f} px, y up to {np.nanmax(pos[..., 1]):.0f} px); "
                f"give the real image size in {where}",
            )
    return track


def _format_for(path: Path, *, action: str) -> _Format:
    if action == "read" and path.is_dir():
        fmt = next((f for sniff, f in _FOLDER_FORMATS if sniff(path)), None)
        if fmt is None:
            raise _cannot_read(
                path, "it is a folder without OpenPose '*_keypoints.json' files; give a track file"
            )
        return fmt
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        verb = "read" if action == "read" else "save"
        known = " or ".join(s for s, f in _FORMATS.items() if f.write)  # gait's own formats
        raise InvalidTrackError(
            f"Cannot {verb} track '{path.name}': unknown suffix '{path.suffix}'; use {known}."
        )
    return _FORMATS[suffix]


def is_track_path(path: str | os.PathLike[str]) -> bool:
    """Whether :func:`load_track` reads ``path`` (by its suffix, or a folder by its content).

    For front ends that must tell pose-track inputs from videos; the path need not exist unless it
    is a folder.
    """
    path = Path(path)
    if path.is_dir():
        return any(sniff(path) for sniff, _ in _FOLDER_FORMATS)
    return path.suffix.lower() in _FORMATS


def _cannot_read(path: Path, reason: str) -> InvalidTrackError:
    return InvalidTrackError(f"Cannot read track '{path.name}': {reason}.")


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        tmp.chmod(0o644)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _plain(value: Any) -> Any:
    """Numpy scalars to Python scalars; other values unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _check_attrs(track: PoseTrack, path: Path) -> None:
    for key, value in track.attrs.items():
        value = _plain(value)
        if not _ATTR_KEY.match(str(key)):
            raise InvalidTrackError(
                f"Cannot save track '{path.name}': attribute name {key!r} is not a plain "
                "identifier; rename it."
            )
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InvalidTrackError(
                f"Cannot save track '{path.name}': attribute {key!r} is a {type(value).__name__}; "
                "store it as a str, int, float or JSON string."
            )


def _from_arrays(path: Path, **kwargs: Any) -> PoseTrack:
    try:
        return from_numpy(**kwargs)
    except InvalidTrackError as err:
        msg = str(err).rstrip(".")
        raise _cannot_read(path, msg[:1].lower() + msg[1:]) from err


# -- NetCDF -----------------------------------------------------------------------------------


def _write_nc(track: PoseTrack, tmp: Path) -> None:
    encoding = {
        name: {"zlib": True, "complevel": 4, "shuffle": True}
        for name, var in track.data_vars.items()
        if var.dtype.kind == "f" and var.ndim > 0
    }
    track.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)


def _read_nc(path: Path, options: _LoadOptions) -> PoseTrack:
    try:
        with xr.open_dataset(
            path, engine="h5netcdf", decode_times=False, decode_timedelta=False
        ) as opened:
            ds = opened.load()
    except _READ_ERRORS as exc:
        raise _cannot_read(
            path, "it is not a readable NetCDF4 file; re-save it with save_track"
        ) from exc
    missing = [v for v in ("position", "confidence") if v not in ds]
    missing += [c for c in ("time", "keypoint") if c not in ds.coords]
    missing += [a for a in ("image_width_px", "image_height_px", "fps") if a not in ds.attrs]
    if missing:
        raise _cannot_read(path, f"it lacks {missing}; re-save it with save_track")
    attrs = {k: _plain(v) for k, v in ds.attrs.items()}
    size = (attrs.pop("image_width_px"), attrs.pop("image_height_px"))
    try:
        track = _from_arrays(
            path,
            position_px=ds["position"].transpose("time", "keypoint", "space").values,
            confidence=ds["confidence"].transpose("time", "keypoint").values,
            time_s=ds["time"].values,
            image_size_px=size,
            frame=ds["frame"].values if "frame" in ds.coords else None,
            position_world_m=(
                ds["position_world"].transpose("time", "keypoint", "space3").values
                if "position_world" in ds
                else None
            ),
            detected=ds["detected"].values if "detected" in ds else None,
            duplicate=ds["duplicate"].values if "duplicate" in ds else None,
            keypoints=[str(k) for k in ds["keypoint"].values],
            fps=attrs.pop("fps"),
            **attrs,
        )
    except InvalidTrackError:
        raise
    except _READ_ERRORS as exc:
        raise _cannot_read(
            path, "its variables have unexpected shapes; re-save it with save_track"
        ) from exc
    extra_coords = {
        name: (c.dims, c.values, dict(c.attrs))
        for name, c in ds.coords.items()
        if name not in _CORE_COORDS
    }
    extra_vars = {
        name: (v.dims, v.values, dict(v.attrs))
        for name, v in ds.data_vars.items()
        if name not in _CORE_VARS
    }
    return track.assign_coords(extra_coords).assign(extra_vars)


# -- CSV --------------------------------------------------------------------------------------


def _runs(frames: np.ndarray) -> list[list[int]]:
    """``[first, last]`` runs of consecutive frame numbers."""
    if frames.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(frames) != 1)
    starts = np.r_[frames[0], frames[breaks + 1]]
    ends = np.r_[frames[breaks], frames[-1]]
    return [[int(a), int(b)] for a, b in zip(starts, ends, strict=True)]


def _write_csv(track: PoseTrack, tmp: Path) -> None:
    unknown = sorted(set(map(str, track["keypoint"].values)) - set(KEYPOINTS))
    if unknown:
        raise InvalidTrackError(
            f"Cannot save track as CSV: keypoints {unknown} are not BlazePose names; use .nc."
        )
    pos = track["position"].reindex(keypoint=list(KEYPOINTS)).transpose("time", "keypoint", "space")
    conf = track["confidence"].reindex(keypoint=list(KEYPOINTS)).transpose("time", "keypoint")
    pos_v = np.round(pos.values.astype(np.float64), 3)
    conf_v = np.round(conf.values.astype(np.float64), 3)
    columns: dict[str, Any] = {
        "frame": track["frame"].values.astype(np.int64),
        "time_s": np.round(track["time"].values, 6),
    }
    for i, name in enumerate(KEYPOINTS):
        columns[f"{name}_x"] = pos_v[:, i, 0]
        columns[f"{name}_y"] = pos_v[:, i, 1]
        columns[f"{name}_visibility"] = conf_v[:, i]
    frames = track["frame"].values
    flags = {
        name: _runs(frames[var.values])
        for name, var in track.data_vars.items()
        if var.dims == ("time",) and var.dtype == bool
    }
    header = [f"# {k}: {json.dumps(_plain(v))}" for k, v in track.attrs.items()]
    header.append(f"# {_FLAGS_KEY}: {json.dumps(flags)}")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        f.write("\n".join(header) + "\n")
        pd.DataFrame(columns).to_csv(f, index=False, float_format="%.12g", lineterminator="\n")


def _parse_header(lines: list[str], path: Path) -> tuple[dict[str, Any], int]:
    """Attributes from the leading ``# key: value`` lines, and how many lines to skip."""
    attrs: dict[str, Any] = {}
    n_skip = 0
    for line in lines:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        n_skip += 1
        match = _COMMENT.match(stripped)
        if not match:
            continue  # a free-text comment
        key, raw = match.groups()
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise _cannot_read(
                path,
                f"the value of header line '# {key}' is not valid JSON; fix or remove that line",
            ) from exc
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, (list, dict)) and key != _FLAGS_KEY:
            value = json.dumps(value)
        if value is not None:
            attrs[key] = value
    return attrs, n_skip


def _read_table(path: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _cannot_read(
            path, "it is not UTF-8 text; export the pose data as a text CSV"
        ) from exc
    lines = text.splitlines()
    attrs, n_skip = _parse_header(lines, path)
    if n_skip >= len(lines) or not "\n".join(lines[n_skip:]).strip():
        raise _cannot_read(path, "it has no header row and no frames; export the pose data again")
    try:
        table = pd.read_csv(io.StringIO("\n".join(lines[n_skip:])), skipinitialspace=True)
    except _READ_ERRORS as exc:
        raise _cannot_read(
            path, "it is not a well-formed CSV table; check its rows and separators"
        ) from exc
    table.columns = [str(c).strip() for c in table.columns]
    return attrs, table


def _numeric(table: pd.DataFrame, col: str, path: Path) -> np.ndarray:
    try:
        return pd.to_numeric(table[col], errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except _READ_ERRORS as exc:
        raise _cannot_read(path, f"column '{col}' holds non-numeric values; fix the file") from exc


def _csv_landmarks(table: pd.DataFrame, path: Path) -> tuple[np.ndarray, np.ndarray]:
    n = len(table)
    pos = np.full((n, len(KEYPOINTS), 2), np.nan)
    conf = np.full((n, len(KEYPOINTS)), np.nan)
    found = False
    for i, name in enumerate(KEYPOINTS):
        for j, axis in enumerate("xy"):
            if f"{name}_{axis}" in table:
                pos[:, i, j] = _numeric(table, f"{name}_{axis}", path)
                found = True
        if f"{name}_visibility" in table:
            conf[:, i] = _numeric(table, f"{name}_visibility", path)
    if not found:
        raise _cannot_read(
            path,
            "it has no landmark columns such as 'nose_x' or 'left_ankle_y'; rename its columns",
        )
    return pos, conf


def _csv_times(
    table: pd.DataFrame, attrs: dict[str, Any], options: _LoadOptions, path: Path
) -> tuple[np.ndarray, np.ndarray]:
    if "frame" not in table and "time_s" not in table:
        raise _cannot_read(path, "it has neither a 'time_s' nor a 'frame' column; add one")
    if "frame" in table:
        frame_f = _numeric(table, "frame", path)
        if not np.all(np.isfinite(frame_f)) or np.any(frame_f != np.round(frame_f)):
            raise _cannot_read(path, "column 'frame' must hold whole numbers in every row; fix it")
        frame = frame_f.astype(np.int64)
    else:
        frame = np.arange(len(table), dtype=np.int64)
    if "time_s" in table:
        time_s = _numeric(table, "time_s", path)
        if not np.all(np.isfinite(time_s)):
            raise _cannot_read(path, "column 'time_s' has empty or non-finite cells; fill them")
        return time_s, frame
    fps = options.fps if options.fps is not None else attrs.get("fps")
    if fps is None or not float(fps) > 0:
        raise _cannot_read(
            path, "it has no 'time_s' column; pass fps= to load_track to compute times"
        )
    return (frame - frame[0]) / float(fps), frame


def _csv_image_size(
    pos: np.ndarray, attrs: dict[str, Any], options: _LoadOptions, path: Path
) -> tuple[tuple[int, int], bool]:
    if options.image_size_px is not None:
        return (int(options.image_size_px[0]), int(options.image_size_px[1])), False
    if "image_width_px" in attrs and "image_height_px" in attrs:
        return (int(attrs["image_width_px"]), int(attrs["image_height_px"])), False
    if not (np.isfinite(pos[..., 0]).any() and np.isfinite(pos[..., 1]).any()):
        raise _cannot_read(
            path, "it has too few x, y values to infer the image size; pass image_size_px=(w, h)"
        )
    max_x, max_y = np.nanmax(pos[..., 0]), np.nanmax(pos[..., 1])
    if max_x <= 1.0 and max_y <= 1.0:
        raise _cannot_read(
            path, "its x and y look normalised to [0, 1], not pixels; convert them to pixels"
        )
    return (max(1, math.ceil(max_x)), max(1, math.ceil(max_y))), True


def _read_csv(path: Path, options: _LoadOptions) -> PoseTrack:
    if _tools.is_dlc_csv(path):  # DeepLabCut / LightningPose
        return _read_tool(path, options, _tools.read_dlc_csv)
    attrs, table = _read_table(path)
    if len(table) == 0:
        raise _cannot_read(path, "it has a header row but no frames; export the pose data again")
    foreign = not attrs
    flags = attrs.pop(_FLAGS_KEY, {})
    if not isinstance(flags, dict):
        raise _cannot_read(path, f"header line '# {_FLAGS_KEY}' is not a JSON object; remove it")
    time_s, frame = _csv_times(table, attrs, options, path)
    pos, conf = _csv_landmarks(table, path)
    size, inferred = _csv_image_size(pos, attrs, options, path)
    bools = {name: _flag_array(frame, runs, path) for name, runs in flags.items()}
    for key in ("image_width_px", "image_height_px"):
        attrs.pop(key, None)
    fps = options.fps if options.fps is not None else attrs.pop("fps", None)
    attrs.pop("fps", None)
    if inferred:
        attrs["image_size_inferred"] = 1
    if foreign:
        attrs.setdefault("source_format", "csv")
    track = _from_arrays(
        path,
        position_px=pos,
        confidence=conf,
        time_s=time_s,
        image_size_px=size,
        frame=frame,
        detected=bools.pop("detected", None),
        duplicate=bools.pop("duplicate", None),
        fps=None if fps is None else float(fps),
        **attrs,
    )
    return track.assign({name: ("time", values) for name, values in bools.items()})


def _flag_array(frame: np.ndarray, runs: Any, path: Path) -> np.ndarray:
    out = np.zeros(frame.shape, dtype=bool)
    try:
        for first, last in runs:
            out |= (frame >= int(first)) & (frame <= int(last))
    except _READ_ERRORS as exc:
        raise _cannot_read(
            path,
            f"header line '# {_FLAGS_KEY}' must map names to [first, last] runs; fix or remove it",
        ) from exc
    return out


# -- other pose tools (gait.track._foreign) ------------------------------------------------------


def _foreign_track(path: Path, options: _LoadOptions, fields: dict[str, Any]) -> PoseTrack:
    """A track from a foreign reader's arrays: image size and fps as the options and file say."""
    size = fields.pop("image_size_px", None)
    if options.image_size_px is not None:
        size = (int(options.image_size_px[0]), int(options.image_size_px[1]))
    if size is None:
        size, inferred = _csv_image_size(fields["position_px"], {}, options, path)
        if inferred:
            fields["image_size_inferred"] = 1
    if options.fps is not None:
        fields["fps"] = float(options.fps)
    return _from_arrays(path, image_size_px=size, **fields)


def _read_trc(path: Path, options: _LoadOptions) -> PoseTrack:
    try:
        fields = _foreign.read_trc(path, options.image_size_px)
    except UnicodeDecodeError as exc:
        raise _cannot_read(path, "it is not UTF-8 text; export the TRC file again") from exc
    except _foreign.ForeignFormatError as err:
        raise _cannot_read(path, str(err)) from err
    return _foreign_track(path, options, fields)


def _read_openpose(path: Path, options: _LoadOptions) -> PoseTrack:
    try:
        fields = _foreign.read_openpose(path, options.fps)
    except _foreign.ForeignFormatError as err:
        raise _cannot_read(path, str(err)) from err
    return _foreign_track(path, options, fields)


def _read_tool(path: Path, options: _LoadOptions, reader: Callable[..., dict[str, Any]]) -> PoseTrack:
    """DeepLabCut, LightningPose, SLEAP and NWB files (see :mod:`gait.track._tools`)."""
    try:
        fields = reader(path, options.fps)
    except UnicodeDecodeError as exc:
        raise _cannot_read(path, "it is not UTF-8 text; export the file again") from exc
    except _foreign.ForeignFormatError as err:
        raise _cannot_read(path, str(err)) from err
    except OSError as exc:
        raise _cannot_read(path, "it is not a readable HDF5 file; export it again") from exc
    return _foreign_track(path, options, fields)


#: Track files by suffix (lower case); ``write=None``: read only.
_FORMATS: dict[str, _Format] = {
    ".nc": _Format(read=_read_nc, write=_write_nc),
    ".csv": _Format(read=_read_csv, write=_write_csv),
    ".trc": _Format(read=_read_trc),
    ".h5": _Format(read=lambda p, o: _read_tool(p, o, _tools.read_h5)),  # DeepLabCut, SLEAP analysis
    ".slp": _Format(read=lambda p, o: _read_tool(p, o, _tools.read_slp)),  # SLEAP
    ".nwb": _Format(read=lambda p, o: _read_tool(p, o, _tools.read_nwb)),  # ndx-pose
}
#: Folders read as tracks: ``(does this folder hold the format?, format)``, tried in order.
_FOLDER_FORMATS: tuple[tuple[Callable[[Path], bool], _Format], ...] = (
    (_foreign.is_openpose_folder, _Format(read=_read_openpose, folder=True)),
)
#: Suffixes of the track files :func:`load_track` reads.
TRACK_SUFFIXES: tuple[str, ...] = tuple(_FORMATS)
