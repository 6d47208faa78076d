"""Exports for researchers: C3D, OpenSim TRC / MOT, gait-cycle curves, NWB and BIDS-motion.

paths = write_exports(analysis, Path("out"), ["c3d", "trc", "mot", "cycles", "nwb", "bids"])

Every writer is a pure function of an analysis (:class:`gait.pipeline.Analysis`, never modified)
and an output path. Coordinates: x right, **y up** (the pose track's image y points down and is
flipped: ``y = image height - y_image``), z = 0; in pixels, or metres when the runner's height is
known (side views). C3D, TRC and MOT are on a constant time base: a variable-frame-rate track is
resampled to its frame rate by linear interpolation. NWB (:func:`write_nwb`) is the exception: it
keeps the image frame (y down, pixels, as ``movement`` reads it) and the true frame times.
BIDS-motion (:func:`write_bids_motion`) writes many recordings (subjects, sessions, runs) into
one dataset; the ``"bids"`` format writes one analysis as a one-subject dataset folder.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path

from gait.errors import ConfigError
from gait.export._bids import bids_label, write_bids, write_bids_motion
from gait.export._c3d import write_c3d
from gait.export._common import ExportSource
from gait.export._cycles import CYCLE_COLUMNS, cycle_table, write_cycles
from gait.export._nwb import write_nwb
from gait.export._opensim import angle_table, write_mot, write_trc

Writer = Callable[[ExportSource, Path], Path]

#: Format name -> (writer, file name in the output folder; ``bids`` is a folder).
WRITERS: dict[str, tuple[Writer, str]] = {
    "c3d": (write_c3d, "markers.c3d"),
    "trc": (write_trc, "markers.trc"),
    "mot": (write_mot, "angles.mot"),
    "cycles": (write_cycles, "cycles.parquet"),
    "nwb": (write_nwb, "pose.nwb"),
    "bids": (write_bids, "bids"),
}


#: Python packages a format needs beyond gait's own dependencies (the ``export`` extra).
REQUIRES: dict[str, tuple[str, ...]] = {"c3d": ("ezc3d",), "nwb": ("pynwb", "ndx_pose")}


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """The formats asked for, lower-case, blanks dropped, each once, in order.

    Raises
    ------
    gait.errors.ConfigError
        A format not in :data:`WRITERS`, or one whose library (:data:`REQUIRES`) is not
        installed; one sentence, before anything is written (it is a ``ValueError`` too).
    """
    wanted = tuple(dict.fromkeys(str(f).strip().lower() for f in formats if str(f).strip()))
    unknown = [f for f in wanted if f not in WRITERS]
    if unknown:
        raise ConfigError(
            f"Unknown export format {', '.join(map(repr, unknown))}: "
            f"the known ones are {', '.join(WRITERS)}."
        )
    for fmt in wanted:
        missing = [m for m in REQUIRES.get(fmt, ()) if importlib.util.find_spec(m) is None]
        if missing:
            raise ConfigError(
                f"The {fmt} export needs {', '.join(missing)}, which is not installed: "
                "pip install 'gait[export]' (or -e '.[export]' in a checkout)."
            )
    return wanted


def write_exports(analysis: ExportSource, outdir: Path, formats: Sequence[str]) -> dict[str, Path]:
    """Write the requested formats of ``analysis`` into ``outdir``.

    Parameters
    ----------
    analysis
        A :class:`gait.pipeline.Analysis` (read only).
    outdir
        Output folder (created if needed).
    formats
        Names from :data:`WRITERS` (``"c3d"``, ``"trc"``, ``"mot"``, ``"cycles"``, ``"nwb"``,
        ``"bids"``); repeats are written once.

    Returns
    -------
    dict
        Format -> path written, in the order asked.

    Raises
    ------
    gait.errors.ConfigError
        An unknown format, or a missing library (:func:`check_formats`, before anything is
        written).
    """
    wanted = check_formats(formats)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    return {name: WRITERS[name][0](analysis, out / WRITERS[name][1]) for name in wanted}


__all__ = [
    "CYCLE_COLUMNS",
    "REQUIRES",
    "WRITERS",
    "ExportSource",
    "angle_table",
    "bids_label",
    "check_formats",
    "cycle_table",
    "write_bids",
    "write_bids_motion",
    "write_c3d",
    "write_cycles",
    "write_exports",
    "write_mot",
    "write_nwb",
    "write_trc",
]
