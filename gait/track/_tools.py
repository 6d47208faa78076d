"""Readers of the formats ``movement`` loads: DeepLabCut, LightningPose, SLEAP and NWB (ndx-pose).

Each reader returns the fields of :func:`gait.track.from_numpy` (a 33-keypoint track in pixels,
image y down, like :mod:`gait.track._foreign`); keypoints a skeleton lacks are NaN, so a skeleton
without heels or toes gets the metrics it can support and the notes the analysis gives for the
rest (as for OpenPose COCO-18). The files are read with pandas, h5py and pynwb; neither
``movement`` nor ``sleap-io`` is needed. A ``movement`` xarray Dataset is read by
:func:`from_movement` (duck-typed, ``movement`` is not imported).

DeepLabCut (``.csv``, ``.h5``) and LightningPose (``.csv``)
    The ``scorer / [individuals] / bodyparts / coords`` column header (LightningPose's label
    files may start at ``bodyparts``), coords ``x, y[, likelihood]``; the index is a frame number
    or an image path (its last run of digits is the frame). ``.h5`` is pandas' HDF5 table (key
    ``df_with_missing``, as DLC writes it) or fixed layout, read with h5py. Several individuals:
    the one with the highest summed likelihood over the keypoints gait uses is the runner.
SLEAP (``.slp``, ``.analysis.h5``)
    ``.slp``: predicted (else user) instances; ``.analysis.h5``: ``tracks``
    ``(tracks, 2, nodes, frames)``, ``point_scores``, ``node_names``. Several tracks: the most
    confident is the runner (untracked ``.slp`` instances: the best instance per frame).
NWB (``.nwb``) with ndx-pose
    Every ``PoseEstimation`` in the processing modules; with several, the one with the most
    series (ties: name order). Series names are the keypoint names; ``timestamps`` (or
    ``starting_time`` and ``rate``) give the times, ``dimensions`` the image size when set.

None of these files store the frame rate except NWB: give ``fps=`` (without it 30 fps is assumed
and the track gets ``fps_assumed = 1``). The image size comes from ``image_size_px=``, NWB's
``dimensions``, a ``.slp``'s video metadata (``shape``, recorded when SLEAP opened the video), or
is inferred from the data (``image_size_inferred = 1``).

Keypoint names map to gait's landmarks by :func:`landmark_for` (documented there): gait's own and
COCO-17 names (``left_hip``), Halpe / COCO-WholeBody feet (``left_big_toe``, ``left_heel``),
OpenPose (``LHip``, ``RBigToe``), DeepLabCut ModelZoo ``full_human`` (``hip1`` = right,
``hip2`` = left) and common variants (``hip_l``, ``HipLeft``, ``l_knee``). Other names
(animal body parts, custom skeletons) need a mapping: ``keypoint_map=`` in Python, or a file
``keypoints.toml`` / ``keypoints.json`` (or ``<file name>.keypoints.toml`` / ``.json``) beside the
input, holding ``{"<tool name>": "<gait landmark>"}`` (TOML: ``[keypoints]`` then
``snout = "nose"``). A mapping entry replaces the built-in rule for that name; an empty string
drops the name.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import pickle
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py  # type: ignore[import-untyped]
import numpy as np

from gait.skeleton import KEYPOINTS
from gait.track._foreign import DEFAULT_OPENPOSE_FPS, TRC_MARKERS, ForeignFormatError

log = logging.getLogger(__name__)

#: DeepLabCut ModelZoo ``full_human`` (DeeperCut / MPII order): 1 is the right side, 2 the left.
DLC_FULL_HUMAN: dict[str, str] = {
    "ankle1": "right_ankle", "knee1": "right_knee", "hip1": "right_hip",
    "hip2": "left_hip", "knee2": "left_knee", "ankle2": "left_ankle",
    "wrist1": "right_wrist", "elbow1": "right_elbow", "shoulder1": "right_shoulder",
    "shoulder2": "left_shoulder", "elbow2": "left_elbow", "wrist2": "left_wrist",
}  # fmt: skip
#: COCO-17 keypoint names (also SLEAP's and DLC SuperAnimal-Human's): identical to gait's names.
COCO_17: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
#: Body parts recognised after a side word, and the gait part they stand for.
_PARTS = {
    "hip": "hip", "knee": "knee", "ankle": "ankle", "heel": "heel", "shoulder": "shoulder",
    "elbow": "elbow", "wrist": "wrist", "eye": "eye", "ear": "ear",
    "bigtoe": "foot_index", "toe": "foot_index", "toes": "foot_index", "footindex": "foot_index",
    "toetip": "foot_index",
}  # fmt: skip
_SIDES = {"l": "left", "left": "left", "r": "right", "right": "right"}
_LANDMARKS_USED = (
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
    "left_shoulder", "right_shoulder",
)  # fmt: skip
_INDEX = {name: i for i, name in enumerate(KEYPOINTS)}
_DIGITS = re.compile(r"(\d+)(?!.*\d)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_OPENPOSE = {k.lower(): v for k, v in TRC_MARKERS.items()}
_MAP_FILES = ("keypoints.toml", "keypoints.json")


# -- keypoint names ---------------------------------------------------------------------------


def landmark_for(name: str) -> str | None:
    """The gait landmark a tool's keypoint name stands for, or None.

    Rules, in order: gait's own (BlazePose) names and COCO-17; OpenPose names (``LHip``,
    ``RBigToe``, any case); DeepLabCut ``full_human`` (``hip1`` right, ``hip2`` left); else the
    name split into words (``_``, ``-``, space, camelCase) must hold one side word (``l``,
    ``left``, ``r``, ``right``) and one part (hip, knee, ankle, heel, shoulder, elbow, wrist, eye,
    ear; ``big_toe`` / ``toe`` / ``foot_index`` for the toe tip), as in ``left_big_toe``,
    ``hip_L``, ``RightKnee``. ``nose`` maps to nose. Small toes, mid-hip, neck and the like map to
    nothing.
    """
    text = str(name).strip()
    low = text.lower()
    if low in _INDEX:
        return low
    if low in _OPENPOSE:
        return _OPENPOSE[low]
    if low in DLC_FULL_HUMAN:
        return DLC_FULL_HUMAN[low]
    words = [w for w in re.split(r"[^a-z0-9]+", _CAMEL.sub("_", text).lower()) if w]
    sides = {_SIDES[w] for w in words if w in _SIDES}
    rest = "".join(w for w in words if w not in _SIDES)
    if rest == "nose" and not sides:
        return "nose"
    if len(sides) != 1 or rest not in _PARTS:
        return None
    return f"{sides.pop()}_{_PARTS[rest]}"


def read_keypoint_map(path: Path) -> tuple[dict[str, str], str | None]:
    """A ``{tool name: gait landmark}`` mapping, and the individual to use, from a TOML or JSON file.

    The file holds the mapping at its top level or under ``keypoints``; an optional top-level
    ``individual`` names the individual (DLC), track (SLEAP) to analyse.

    Raises
    ------
    ForeignFormatError
        The file is not TOML/JSON of name -> landmark strings, or names an unknown landmark.
    """
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, ValueError, UnicodeError) as exc:
        raise ForeignFormatError(
            f"the keypoint mapping '{path.name}' is not valid {path.suffix[1:].upper()}; fix it"
        ) from exc
    individual = data.pop("individual", None) if isinstance(data, dict) else None
    if individual is not None and not isinstance(individual, str):
        raise ForeignFormatError(f"'individual' in '{path.name}' must be a name in quotes")
    if isinstance(data, dict) and isinstance(data.get("keypoints"), dict):
        data = data["keypoints"]
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ForeignFormatError(
            f"the keypoint mapping '{path.name}' must map tool names to gait landmark names "
            '(strings), e.g. snout = "nose"'
        )
    return check_keypoint_map(data, where=f"'{path.name}'"), individual


def check_keypoint_map(mapping: Mapping[str, str], *, where: str = "the keypoint mapping") -> dict[str, str]:
    """``mapping`` as a plain dict, its targets checked against gait's landmark names.

    Raises
    ------
    ForeignFormatError
        A target is neither a gait landmark nor empty.
    """
    bad = sorted(str(v) for v in mapping.values() if v and str(v) not in _INDEX)
    if bad:
        raise ForeignFormatError(
            f"{where} maps to {bad}, which are not gait landmarks; use names such as "
            "'left_hip', 'right_heel' or 'left_foot_index'"
        )
    return {str(k): str(v) for k, v in mapping.items()}


def sidecar_keypoint_map(path: Path) -> tuple[dict[str, str], str | None, str] | None:
    """The mapping file beside ``path`` (``<name>.keypoints.toml|json``, else ``keypoints.toml|json``)."""
    for candidate in (
        *(path.with_name(f"{path.name}.{m}") for m in _MAP_FILES),
        *(path.with_name(m) for m in _MAP_FILES),
    ):
        if candidate.is_file():
            return (*read_keypoint_map(candidate), candidate.name)
    return None


def _targets(names: Sequence[str], mapping: Mapping[str, str] | None) -> list[str | None]:
    out: list[str | None] = []
    for n in names:
        if mapping is not None and n in mapping:
            out.append(mapping[n] or None)
        else:
            out.append(landmark_for(n))
    return out


# -- from the tool's arrays to gait's fields --------------------------------------------------


def _mapping(
    names: Sequence[str], path: Path | None, keypoint_map: Mapping[str, str] | None, individual: str | None
) -> tuple[list[str | None], list[int], str | None, str | None]:
    """Gait landmark per name, the indices of the mapped names, the individual, the map file's name."""
    map_file = None
    if keypoint_map is None and path is not None:
        found = sidecar_keypoint_map(path)
        if found is not None:
            keypoint_map, map_file = found[0], found[2]
            individual = individual if individual is not None else found[1]
    elif keypoint_map is not None:
        keypoint_map = check_keypoint_map(keypoint_map)
    targets = _targets(names, keypoint_map)
    used = [j for j, t in enumerate(targets) if t is not None]
    if not used:
        raise ForeignFormatError(
            f"none of its keypoints {list(names)[:8]} is a known human landmark name; map them "
            'to gait\'s landmarks in a keypoints.toml beside the file (e.g. snout = "nose")'
        )
    dup = sorted({t for t in targets if t is not None and targets.count(t) > 1})
    if dup:
        raise ForeignFormatError(f"several of its keypoints map to {dup}; keep one name per landmark in the mapping")
    return targets, used, individual, map_file


def _choose(score: np.ndarray, individuals: Sequence[str], individual: str | None) -> tuple[int, str]:
    """Index of the runner among ``individuals`` (``score``: frames, individuals, used keypoints)."""
    if individual is not None:
        if individual not in individuals:
            raise ForeignFormatError(f"it has no individual '{individual}'; it has {list(individuals)}")
        return list(individuals).index(individual), "given"
    totals = np.nansum(score, axis=(0, 2))
    return int(np.argmax(totals)), "most confident individual (summed keypoint scores over gait's landmarks)"


def assemble(
    *,
    names: Sequence[str],
    xy: np.ndarray,
    score: np.ndarray | None,
    frame: np.ndarray,
    individuals: Sequence[str],
    source_format: str,
    path: Path | None,
    fps: float | None,
    time_s: np.ndarray | None = None,
    keypoint_map: Mapping[str, str] | None = None,
    individual: str | None = None,
    image_size_px: tuple[int, int] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Fields for :func:`gait.track.from_numpy` from ``xy (frames, individuals, keypoints, 2)``.

    ``score`` is ``(frames, individuals, keypoints)`` (None: 1 where a position is present).
    The runner is ``individual`` when given, else the individual with the highest summed score
    over the gait landmarks its keypoints map to. Without ``time_s``, times are ``frame / fps``.

    Raises
    ------
    ForeignFormatError
        No keypoint maps to a gait landmark, the individual is unknown, or no frame has data.
    """
    targets, used, individual, map_file = _mapping(names, path, keypoint_map, individual)
    if map_file:
        extra = {**(extra or {}), "keypoint_map_file": map_file}
    xy = np.asarray(xy, dtype=np.float64)
    present = np.isfinite(xy).all(axis=-1)
    score = np.where(present, 1.0, np.nan) if score is None else np.asarray(score, dtype=np.float64)
    score = np.where(present, score, np.nan)
    pick, rule = _choose(score[:, :, used], individuals, individual)
    if not present[:, pick][:, used].any():
        raise ForeignFormatError("none of its frames has a landmark gait uses; check the file")
    n = xy.shape[0]
    pos = np.full((n, len(KEYPOINTS), 2), np.nan)
    conf = np.full((n, len(KEYPOINTS)), np.nan)
    for j in used:
        k = _INDEX[str(targets[j])]
        pos[:, k] = np.where(present[:, pick, j, None], xy[:, pick, j], np.nan)
        conf[:, k] = score[:, pick, j]
    attrs: dict[str, Any] = {"source_format": source_format}
    if path is not None:
        attrs["source_path"] = str(path)
    attrs["keypoint_mapping"] = json.dumps({names[j]: targets[j] for j in used})
    missing = [lm for lm in _LANDMARKS_USED if not np.isfinite(pos[:, _INDEX[lm], 0]).any()]
    if missing:
        attrs["landmarks_missing"] = json.dumps(missing)
    if len(individuals) > 1 or individual is not None:
        attrs["person_selection"] = json.dumps(
            {"rule": rule, "individual": str(individuals[pick]), "individuals": [str(i) for i in individuals]}
        )
    if extra:
        attrs.update(extra)
    frame = np.asarray(frame, dtype=np.int64)
    if time_s is None:
        if fps is None:
            fps = DEFAULT_OPENPOSE_FPS
            attrs["fps_assumed"] = 1
            log.warning("'%s' has no frame rate; assuming %g fps (pass fps=).", source_format, fps)
        time_s = (frame - frame.min()) / float(fps)
    order = np.argsort(frame, kind="stable")
    if np.any(np.diff(frame[order]) == 0):
        raise ForeignFormatError("two rows have the same frame number; keep one row per frame")
    return {
        "position_px": pos[order],
        "confidence": conf[order],
        "time_s": np.asarray(time_s, dtype=np.float64)[order],
        "frame": frame[order],
        "fps": None if fps is None else float(fps),
        "image_size_px": image_size_px,
        **attrs,
    }


# -- DeepLabCut / LightningPose ---------------------------------------------------------------

_DLC_LEVELS = ("scorer", "individuals", "bodyparts", "coords")


def is_dlc_csv(path: Path) -> bool:
    """Whether a CSV starts with DeepLabCut's ``scorer`` / ``bodyparts`` header rows."""
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            first = f.readline().split(",", 1)[0].strip().strip('"').lower()
    except OSError:
        return False
    return first in ("scorer", "bodyparts", "individuals")


def _frame_numbers(index: Sequence[str]) -> np.ndarray:
    """Frame numbers from a DLC index: integers, else the last digits of image names, else row order."""
    try:
        return np.array([int(float(i)) for i in index], dtype=np.int64)
    except ValueError:
        pass
    digits = [_DIGITS.search(Path(str(i)).name) for i in index]
    if all(digits):
        nums = np.array([int(m.group(1)) for m in digits if m], dtype=np.int64)
        if len(set(nums.tolist())) == len(nums):
            return nums
    return np.arange(len(index), dtype=np.int64)


def _dlc_arrays(
    columns: list[tuple[str, ...]], levels: list[str], values: np.ndarray
) -> tuple[list[str], list[str], np.ndarray, np.ndarray | None]:
    """Keypoint names, individuals, ``(n, ind, kp, 2)`` xy and scores from DLC's column tuples."""
    lv = {name: i for i, name in enumerate(levels)}
    if "bodyparts" not in lv or "coords" not in lv:
        raise ForeignFormatError("its header has no 'bodyparts' and 'coords' rows; export it with DeepLabCut")
    ind_of = (lambda c: c[lv["individuals"]]) if "individuals" in lv else (lambda c: "individual0")
    inds: list[str] = []
    parts: list[str] = []
    for c in columns:
        if ind_of(c) not in inds:
            inds.append(ind_of(c))
        if c[lv["bodyparts"]] not in parts:
            parts.append(c[lv["bodyparts"]])
    n = values.shape[0]
    xy = np.full((n, len(inds), len(parts), 2), np.nan)
    score = np.full((n, len(inds), len(parts)), np.nan)
    has_score = False
    for col, c in enumerate(columns):
        i, j, coord = inds.index(ind_of(c)), parts.index(c[lv["bodyparts"]]), c[lv["coords"]].lower()
        if coord in ("x", "y"):
            xy[:, i, j, "xy".index(coord)] = values[:, col]
        elif coord == "likelihood":
            score[:, i, j] = values[:, col]
            has_score = True
    return parts, inds, xy, score if has_score else None


def read_dlc_csv(path: Path, fps: float | None, **options: Any) -> dict[str, Any]:
    """Fields for :func:`gait.track.from_numpy` from a DeepLabCut or LightningPose CSV.

    Raises
    ------
    ForeignFormatError
        The header rows or the values are not DLC's layout.
    """
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    head = 0
    while head < len(rows) and rows[head] and rows[head][0].strip().lower() in _DLC_LEVELS:
        head += 1
    if head < 2 or rows[head - 1][0].strip().lower() != "coords":
        raise ForeignFormatError(
            "its header rows do not end with 'coords'; give a DeepLabCut CSV (scorer, bodyparts, coords)"
        )
    levels = [rows[r][0].strip().lower() for r in range(head)]
    coords = rows[head - 1]
    n_index = 1
    while n_index < len(coords) and not coords[n_index].strip():
        n_index += 1
    body = [r for r in rows[head:] if any(c.strip() for c in r)]
    if not body:
        raise ForeignFormatError("it has DeepLabCut header rows but no frames")
    width = len(coords)
    columns = [tuple(rows[r][c].strip() for r in range(head)) for c in range(n_index, width)]
    try:
        values = np.array(
            [[float(v) if v.strip() else np.nan for v in (r + [""] * width)[n_index:width]] for r in body]
        )
    except ValueError as exc:
        raise ForeignFormatError("a data row holds a non-numeric value; fix the file") from exc
    index = ["/".join(c.strip() for c in r[:n_index] if c.strip()) for r in body]
    parts, inds, xy, score = _dlc_arrays(columns, levels, values)
    scorer = columns[0][levels.index("scorer")] if "scorer" in levels else ""
    tool = "lightning_pose" if "heatmap" in scorer.lower() or "scorer" not in levels else "deeplabcut"
    return assemble(
        names=parts, xy=xy, score=score, frame=_frame_numbers(index), individuals=inds,
        source_format=tool, path=path, fps=fps, extra={"dlc_scorer": scorer} if scorer else None, **options,
    )  # fmt: skip


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles only built-in values (lists, tuples, str, numbers): pandas' HDF5 column labels."""

    def find_class(self, module: str, name: str) -> Any:  # noqa: D102
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _plain_pickle(raw: Any) -> Any:
    return _PlainUnpickler(io.BytesIO(bytes(raw))).load()


def _decode(values: Any) -> list[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in np.asarray(values).tolist()]


def read_dlc_h5(path: Path, fps: float | None, **options: Any) -> dict[str, Any]:
    """Fields for :func:`gait.track.from_numpy` from a DeepLabCut ``.h5`` (pandas HDF5, via h5py).

    Raises
    ------
    ForeignFormatError
        The file holds no pandas DataFrame of DLC's column layout.
    """
    with h5py.File(path, "r") as f:
        keys = [k for k in f if isinstance(f[k], h5py.Group) and "pandas_type" in f[k].attrs]
        if not keys:
            raise ForeignFormatError("it holds no pandas DataFrame; give a DeepLabCut .h5 or a SLEAP analysis .h5")
        group = f["df_with_missing"] if "df_with_missing" in keys else f[keys[0]]
        try:
            if "table" in group:  # format="table" (what DeepLabCut writes)
                table = group["table"]
                blocks = sorted(n for n in table.dtype.names if n.startswith("values_block_"))
                if len(blocks) != 1:
                    raise ForeignFormatError("its table has several value blocks; re-save it with DeepLabCut")
                columns = [tuple(map(str, c)) for c in _plain_pickle(table.attrs[f"{blocks[0]}_kind"])]
                values = np.asarray(table[blocks[0]], dtype=np.float64).reshape(len(table), -1)
                index = _decode(table["index"])
                info = _plain_pickle(group.attrs["info"])
                names_info = info.get(1, {}).get("names") if isinstance(info, dict) else None
            else:  # format="fixed": one block of values per dtype, each with its own column labels
                if int(group.attrs.get("nblocks", 1)) != 1:
                    raise ForeignFormatError("its DataFrame holds columns of several types; re-save it with DeepLabCut")
                item = "block0_items"
                n_levels = sum(1 for k in group if k.startswith(f"{item}_level"))
                levels_v = [_decode(group[f"{item}_level{i}"]) for i in range(n_levels)]
                codes = [np.asarray(group[f"{item}_label{i}"]) for i in range(n_levels)]
                columns = [tuple(levels_v[i][codes[i][c]] for i in range(n_levels)) for c in range(len(codes[0]))]
                values = np.asarray(group["block0_values"], dtype=np.float64)
                index = _decode(group["axis1"])
                names_info = [group[f"{item}_level{i}"].attrs.get("name") for i in range(n_levels)]
                names_info = _decode(names_info) if all(n is not None for n in names_info) else None
                if values.shape != (len(index), len(columns)):
                    raise ForeignFormatError("its values do not match its rows and columns; re-save it with DeepLabCut")
        except ForeignFormatError:
            raise
        except (KeyError, ValueError, TypeError, IndexError, pickle.UnpicklingError, EOFError) as exc:
            raise ForeignFormatError(
                "its DataFrame is not in pandas' HDF5 layout that DeepLabCut writes; re-save it with DeepLabCut"
            ) from exc
    width = len(columns[0]) if columns else 0
    levels = (
        [str(n).lower() for n in names_info]
        if names_info and len(names_info) == width
        else (["scorer", "bodyparts", "coords"] if width == 3 else ["scorer", "individuals", "bodyparts", "coords"])
    )
    parts, inds, xy, score = _dlc_arrays(columns, levels, values)
    scorer = columns[0][levels.index("scorer")] if "scorer" in levels and columns else ""
    return assemble(
        names=parts, xy=xy, score=score, frame=_frame_numbers(index), individuals=inds,
        source_format="deeplabcut", path=path, fps=fps, extra={"dlc_scorer": scorer} if scorer else None,
        **options,
    )  # fmt: skip


# -- SLEAP ------------------------------------------------------------------------------------


def is_sleap_analysis_h5(path: Path) -> bool:
    """Whether an HDF5 file has SLEAP's analysis datasets (``tracks``, ``node_names``)."""
    try:
        with h5py.File(path, "r") as f:
            return "tracks" in f and "node_names" in f
    except (OSError, ValueError):
        return False


def read_sleap_analysis(path: Path, fps: float | None, **options: Any) -> dict[str, Any]:
    """Fields for :func:`gait.track.from_numpy` from a SLEAP analysis HDF5 (``*.analysis.h5``).

    Raises
    ------
    ForeignFormatError
        ``tracks`` is not ``(tracks, 2, nodes, frames)``.
    """
    with h5py.File(path, "r") as f:
        names = _decode(f["node_names"][()])
        tracks = np.asarray(f["tracks"][()], dtype=np.float64)
        scores = np.asarray(f["point_scores"][()], dtype=np.float64) if "point_scores" in f else None
        track_names = _decode(f["track_names"][()]) if "track_names" in f else []
    if tracks.ndim != 4 or tracks.shape[1] != 2 or tracks.shape[2] != len(names):
        raise ForeignFormatError(
            f"its 'tracks' has shape {tracks.shape}, not (tracks, 2, {len(names)} nodes, frames); "
            "export it with SLEAP's analysis HDF5 export"
        )
    xy = tracks.transpose(3, 0, 2, 1)  # (frames, tracks, nodes, 2)
    score = None if scores is None or scores.shape != tracks[:, 0].shape else scores.transpose(2, 0, 1)
    n_tracks = tracks.shape[0]
    inds = track_names if len(track_names) == n_tracks else [f"track_{i}" for i in range(n_tracks)]
    frame = np.arange(xy.shape[0], dtype=np.int64)
    return assemble(
        names=names, xy=xy, score=score, frame=frame, individuals=inds, source_format="sleap_analysis",
        path=path, fps=fps, **options,
    )  # fmt: skip


def _slp_node_names(meta: dict[str, Any]) -> list[str]:
    nodes = [str(n["name"]) for n in meta["nodes"]]
    skeletons = meta.get("skeletons") or []
    if len(skeletons) > 1:
        raise ForeignFormatError("it has several skeletons; keep one skeleton in the SLEAP project")
    if skeletons:
        ids = [n.get("id") for n in skeletons[0]["nodes"]]
        if all(isinstance(i, int) and 0 <= i < len(nodes) for i in ids):
            return [nodes[i] for i in ids]
    return nodes


def _slp_video(videos_json: Sequence[str], video: int) -> tuple[tuple[int, int] | None, str]:
    """``(width, height)`` of a SLEAP video from its backend metadata (None when not recorded), and its file name.

    SLEAP and sleap-io record ``backend.shape`` = ``(frames, height, width, channels)`` when they
    opened the video (``ImageVideo``: ``height_`` / ``width_``); a video never opened has no shape.
    """
    try:
        entry = json.loads(videos_json[video])
    except (IndexError, ValueError, TypeError):
        return None, ""
    backend = entry.get("backend") if isinstance(entry, dict) else None
    backend = backend if isinstance(backend, dict) else {}
    name = str(entry.get("filename") or backend.get("filename") or "") if isinstance(entry, dict) else ""
    shape = backend.get("shape")
    if isinstance(shape, (list, tuple)) and len(shape) >= 3:
        height, width = shape[1], shape[2]
    else:
        height, width = backend.get("height_"), backend.get("width_")
    if isinstance(width, (int, float)) and isinstance(height, (int, float)) and width >= 1 and height >= 1:
        return (int(width), int(height)), name
    return None, name


def read_slp(path: Path, fps: float | None, **options: Any) -> dict[str, Any]:
    """Fields for :func:`gait.track.from_numpy` from a SLEAP project / predictions file (``.slp``).

    Predicted instances are used when there are any, else user-labelled ones. Instances with a
    track are grouped by track; without tracks, each frame's highest-scoring instance is kept.
    Only the first video's frames are read (as SLEAP's analysis export and ``movement`` do); its
    frame size comes from the video metadata when SLEAP recorded it, else it is inferred from
    the landmarks (``image_size_inferred = 1``, and the report says so).

    Raises
    ------
    ForeignFormatError
        The file lacks SLEAP's ``metadata``, ``frames``, ``instances`` and points datasets.
    """
    try:
        with h5py.File(path, "r") as f:
            meta = json.loads(f["metadata"].attrs["json"])
            frames = f["frames"][()]
            instances = f["instances"][()]
            pred = f["pred_points"][()] if "pred_points" in f else None
            user = f["points"][()] if "points" in f else None
            tracks_json = _decode(f["tracks_json"][()]) if "tracks_json" in f else []
            videos_json = _decode(f["videos_json"][()]) if "videos_json" in f else []
    except (KeyError, ValueError, TypeError) as exc:
        raise ForeignFormatError("it lacks SLEAP's metadata, frames or instances; save it again with SLEAP") from exc
    names = _slp_node_names(meta)
    extra: dict[str, Any] = {}
    if len(frames) and "video" in (frames.dtype.names or ()):
        videos = sorted({int(v) for v in frames["video"]})
        video = 0 if 0 in videos else videos[0]
        if len(videos) > 1:
            frames = frames[frames["video"] == video]
            instances = instances[np.isin(instances["frame_id"], frames["frame_id"])]
            extra["sleap_videos"] = len(videos)
            log.warning("'%s' labels %d videos; reading the first one's frames only.", path.name, len(videos))
    else:
        video = 0
    size, video_name = _slp_video(videos_json, video)
    if video_name:
        extra["sleap_video"] = video_name
    if len(instances) == 0:
        raise ForeignFormatError("it has no instances; run SLEAP inference first")
    predicted = instances["instance_type"] == 1
    use_pred = bool(predicted.any())
    keep = instances[predicted if use_pred else ~predicted]
    points = pred if use_pred else user
    if points is None:
        raise ForeignFormatError("its instances point to a missing points dataset; save it again with SLEAP")
    track_names = [str(json.loads(t)[1]) for t in tracks_json] if tracks_json else []
    tracked = bool(len(keep)) and bool(np.all(keep["track"] >= 0))
    frame_of = {int(fr["frame_id"]): int(fr["frame_idx"]) for fr in frames}
    frame_numbers = np.array(sorted(set(frame_of.values())), dtype=np.int64)
    row_of = {int(v): i for i, v in enumerate(frame_numbers)}
    n_ind = len(track_names) if tracked and track_names else (int(keep["track"].max()) + 1 if tracked else 1)
    xy = np.full((len(frame_numbers), n_ind, len(names), 2), np.nan)
    score = np.full((len(frame_numbers), n_ind, len(names)), np.nan)
    best = np.full(len(frame_numbers), -np.inf)
    for inst in keep:
        row = row_of[frame_of[int(inst["frame_id"])]]
        p = points[int(inst["point_id_start"]) : int(inst["point_id_end"])]
        if len(p) != len(names):
            raise ForeignFormatError("an instance has a different number of points than the skeleton")
        vis = p["visible"].astype(bool)
        pts = np.stack([p["x"], p["y"]], axis=1)
        sc = p["score"].astype(np.float64) if use_pred else np.ones(len(p))
        if tracked:
            i = int(inst["track"])
        else:
            if not float(inst["score"] if use_pred else 1.0) > best[row]:
                continue
            best[row], i = float(inst["score"] if use_pred else 1.0), 0
        xy[row, i] = np.where(vis[:, None], pts, np.nan)
        score[row, i] = np.where(vis, sc, np.nan)
    inds = track_names if tracked and len(track_names) == n_ind else [f"track_{i}" for i in range(n_ind)]
    return assemble(
        names=names, xy=xy, score=score, frame=frame_numbers, individuals=inds, source_format="sleap",
        path=path, fps=fps, image_size_px=size, extra={**extra, "sleap_instances": "predicted" if use_pred else "user"},
        **options,
    )  # fmt: skip


def read_h5(path: Path, fps: float | None, **options: Any) -> dict[str, Any]:
    """A ``.h5`` file: SLEAP analysis HDF5 when it has ``tracks``, else a DeepLabCut DataFrame."""
    if is_sleap_analysis_h5(path):
        return read_sleap_analysis(path, fps, **options)
    return read_dlc_h5(path, fps, **options)


# -- NWB (ndx-pose) ---------------------------------------------------------------------------


def read_nwb(path: Path, fps: float | None, **options: Any) -> dict[str, Any]:
    """Fields for :func:`gait.track.from_numpy` from an NWB file with ndx-pose ``PoseEstimation``.

    Raises
    ------
    ForeignFormatError
        The file is not NWB or holds no PoseEstimation.
    """
    try:
        import ndx_pose  # noqa: F401  (registers PoseEstimation)
        import pynwb
    except ImportError as exc:
        raise ForeignFormatError("reading NWB needs pynwb and ndx-pose; pip install 'gait[export]'") from exc

    try:
        with pynwb.NWBHDF5IO(str(path), mode="r", load_namespaces=True) as nwb_io:
            nwb = nwb_io.read()
            found = [
                obj
                for module in nwb.processing.values()
                for obj in module.data_interfaces.values()
                if type(obj).__name__ == "PoseEstimation"
            ]
            if not found:
                raise ForeignFormatError("it holds no ndx-pose PoseEstimation; write one with ndx-pose")
            found.sort(key=lambda p: (-len(p.pose_estimation_series), p.name))
            pe = found[0]
            names = list(pe.pose_estimation_series)
            first = pe.pose_estimation_series[names[0]]
            n = first.data.shape[0]
            if first.timestamps is not None:
                stamps = first.timestamps
                time_s = np.asarray(stamps.timestamps if hasattr(stamps, "timestamps") else stamps, dtype=np.float64)
                rate = None
            else:
                rate = float(first.rate)
                time_s = float(first.starting_time or 0.0) + np.arange(n) / rate
            xy = np.full((n, 1, len(names), 2), np.nan)
            score = np.full((n, 1, len(names)), np.nan)
            for j, name in enumerate(names):
                s = pe.pose_estimation_series[name]
                data = np.asarray(s.data[:], dtype=np.float64)
                if data.shape[0] != n:
                    raise ForeignFormatError(f"its series '{name}' has {data.shape[0]} frames, not {n}")
                xy[:, 0, j] = data[:, :2]
                score[:, 0, j] = np.asarray(s.confidence[:], dtype=np.float64) if s.confidence is not None else 1.0
            dims = None if pe.dimensions is None else np.asarray(pe.dimensions[:])
            extra = {"nwb_pose_estimation": pe.name, "nwb_source_software": str(pe.source_software or "")}
    except ForeignFormatError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ForeignFormatError("it is not a readable NWB file; write it with pynwb and ndx-pose") from exc
    size = None
    if dims is not None and dims.size >= 2 and np.all(dims.reshape(-1)[:2] > 0):
        size = (int(dims.reshape(-1)[0]), int(dims.reshape(-1)[1]))
    if fps is None and rate is None and len(time_s) > 1:
        fps = float(1.0 / np.median(np.diff(time_s)))
    return assemble(
        names=names, xy=xy, score=score, frame=np.arange(n), individuals=["subject"], source_format="nwb",
        path=path, fps=fps if fps is not None else rate, time_s=time_s, image_size_px=size, extra=extra, **options,
    )  # fmt: skip


# -- movement's xarray Dataset ------------------------------------------------------------------


def movement_fields(
    ds: Any,
    *,
    fps: float | None = None,
    keypoint_map: Mapping[str, str] | None = None,
    individual: str | None = None,
) -> dict[str, Any]:
    """Fields for :func:`gait.track.from_numpy` from a ``movement`` poses Dataset (duck-typed).

    Needs ``position`` with dims ``time``, ``space`` (x, y first), ``keypoints`` and optionally
    ``individuals``; ``confidence`` is used when present (all NaN, movement's fill for a source without
    scores: 1 where a point is present, as gait's readers do); ``ds.attrs["fps"]`` or ``fps=`` give the
    rate (``time`` in seconds when a rate is known, in frames otherwise).

    Raises
    ------
    ForeignFormatError
        ``ds`` has no ``position`` variable with those dims.
    """
    try:
        pos = ds["position"]
        dims = tuple(pos.dims)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ForeignFormatError("it has no 'position' variable; give a movement poses Dataset") from exc
    if not {"time", "space", "keypoints"} <= set(dims):
        raise ForeignFormatError(f"its position has dims {dims}, not (time, space, keypoints[, individuals])")
    order = ["time", "individuals", "keypoints", "space"] if "individuals" in dims else ["time", "keypoints", "space"]
    xy = np.asarray(pos.transpose(*order).values, dtype=np.float64)[..., :2]
    names = [str(k) for k in ds["keypoints"].values]
    if "individuals" in dims:
        inds = [str(i) for i in ds["individuals"].values]
    else:
        xy, inds = xy[:, None], ["individual_0"]
    score = None
    if "confidence" in getattr(ds, "data_vars", {}):
        corder = [d for d in order if d != "space"]
        score = np.asarray(ds["confidence"].transpose(*corder).values, dtype=np.float64)
        if "individuals" not in dims:
            score = score[:, None]
        if not np.isfinite(score).any():
            # movement fills confidence with NaN when the source has no scores (DLC / LightningPose
            # label files, 3D data, SLEAP user labels): no scores, as gait's own readers treat them
            # (1 where a point is present), so the runner is still the individual with most points
            score = None
    rate = fps if fps is not None else ds.attrs.get("fps")
    rate = (
        None
        if rate is None or not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0)
        else float(rate)
    )
    t = np.asarray(ds["time"].values, dtype=np.float64)
    given_seconds = ds.attrs.get("fps") is not None
    if rate is not None and given_seconds:
        time_s, frame = t - t[0], np.rint(t * rate).astype(np.int64)
    elif rate is not None:
        frame = np.rint(t).astype(np.int64)
        time_s = (frame - frame[0]) / rate
    else:
        frame, time_s = np.rint(t).astype(np.int64), None
    source = ds.attrs.get("source_software")
    return assemble(
        names=names, xy=xy, score=score, frame=frame, individuals=inds, source_format="movement", path=None,
        fps=rate, time_s=time_s, keypoint_map=keypoint_map, individual=individual,
        extra={"movement_source_software": str(source)} if source else None,
    )  # fmt: skip


def from_movement(
    ds: Any,
    *,
    fps: float | None = None,
    image_size_px: tuple[int, int] | None = None,
    keypoint_map: Mapping[str, str] | None = None,
    individual: str | None = None,
) -> Any:
    """A :class:`~gait.track.PoseTrack` from a ``movement`` poses Dataset (``movement`` not imported).

    Parameters
    ----------
    ds
        What ``movement.io.load_poses`` returns: ``position (time, space, keypoints,
        individuals)``, ``confidence``, ``attrs["fps"]``.
    fps, image_size_px
        Frame rate and ``(width, height)``; without a size it is inferred from the data
        (``image_size_inferred = 1``).
    keypoint_map, individual
        Keypoint name -> gait landmark overrides, and the individual to use (default: the most
        confident).

    Raises
    ------
    gait.errors.InvalidTrackError
        The Dataset does not fit (one sentence, what to do).
    """
    from gait.errors import InvalidTrackError
    from gait.track._model import from_numpy

    try:
        fields = movement_fields(ds, fps=fps, keypoint_map=keypoint_map, individual=individual)
    except ForeignFormatError as err:
        raise InvalidTrackError(f"Cannot read the movement Dataset: {err}.") from None
    size = fields.pop("image_size_px", None) if image_size_px is None else tuple(image_size_px)
    if size is None:
        pos = fields["position_px"]
        size = (max(1, math.ceil(np.nanmax(pos[..., 0]))), max(1, math.ceil(np.nanmax(pos[..., 1]))))
        fields["image_size_inferred"] = 1
    else:
        fields.pop("image_size_px", None)
    return from_numpy(image_size_px=(int(size[0]), int(size[1])), **fields)
