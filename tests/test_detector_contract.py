"""The contract every event detector and parameter class keeps (after gaitmap's algorithm mixin).

Parameter classes (every ``*Params`` class in ``gait``, found in the source, and
:class:`gait.config.AnalysisConfig`): they are frozen dataclasses whose every field has a default;
every field is documented (numpydoc ``Attributes`` section, or an attribute docstring) and every
documented name is a field; a bad value of any field raises :class:`gait.errors.ConfigError` with
one sentence (:data:`BAD_VALUES` holds at least one bad value per field, or the field is in
:data:`NOT_CHECKED_HERE` with the reason).

Event detectors (every top-level ``detect_*`` function in ``gait`` that returns ``GaitEvents``,
found in the source, and every entry of the view registry ``gait.pipeline.REGISTRY``): every
argument is documented, every argument but the inputs (the track, its view and frame rate) has a
default and ``params`` defaults to ``EventParams()``; on cached real tracks (the sample, its
perturbed copies), rear and front views of the RBDS mocap and the synthetic runners, two runs give
identical results and the input track is left exactly as it was; each detector finds running on
the views it serves.

No inference: the tracks are cached or synthetic. Today's gaps are listed by name in
:data:`KNOWN_GAPS` (strict xfail: fixing one makes its test fail until the entry is removed).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import math
import re
import textwrap
from collections.abc import Callable
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gait.errors import ConfigError
from gait.events import EventParams, GaitEvents
from gait.track import PoseTrack, clean_track, detect_view, load_track, track_fps
from tests.conftest import SAMPLE_TRACK, SHARED, TEST_DATA
from tests.synth_runner import make_swinging_runner, make_treadmill_runner

PACKAGE = Path(__file__).resolve().parents[1] / "gait"
NAN = float("nan")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _scan() -> tuple[list[str], list[str]]:
    """``module:Class`` of every ``*Params`` class and ``module:function`` of every detector."""
    classes, detectors = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("Params"):
                classes.append(f"{_module_name(path)}:{node.name}")
            returns = getattr(node, "returns", None)
            if (
                isinstance(node, ast.FunctionDef)
                and node.name.startswith("detect_")
                and returns is not None
                and "GaitEvents" in ast.unparse(returns)
            ):
                detectors.append(f"{_module_name(path)}:{node.name}")
    return classes, detectors


PARAM_CLASS_NAMES, DETECTOR_NAMES = _scan()
PARAM_CLASS_NAMES.append("gait.config:AnalysisConfig")


def _load(qualname: str) -> Any:
    module, name = qualname.split(":")
    return getattr(importlib.import_module(module), name)


def _short(qualname: str) -> str:
    return qualname.split(":")[1]


# --- parameter classes ---------------------------------------------------------------------------

#: At least one bad value of every field; each must raise ConfigError when given alone.
BAD_VALUES: dict[str, dict[str, tuple[Any, ...]]] = {
    "EventParams": {
        "ic_after_peak_s": (0.5, NAN),
        "to_offset_s": (0.5, -0.5, NAN),
        "min_cadence_spm": (0.0, 250.0),
        "max_cadence_spm": (100.0, NAN),
        "max_duty_factor": (0.0, 1.5),
        "min_periodicity": (-0.1, 1.5, NAN),
        "min_strides": (0, 1.5, NAN),
        "ic_window_s": ((0.0, 0.06), (0.12, NAN)),
        "to_window_s": ((-0.08, 0.1), (0.08, 0.0)),
        "search_s": (0.0, -0.01),
        "template_bandwidth_s": (0.0, -1.0),
        "far_foot_factor": (-0.1, 1.1),
    },
    "CleanParams": {
        "min_visibility": (-0.1, 1.1, NAN),
        "max_gap_s": (-0.1, NAN),
        "cutoff_hz": (0.0, -1.0),
        "filter_order": (0, 2.5),
        "repair_swaps": ("no",),
    },
    "MetricParams": {
        "rearfoot_min_deg": (-5.0, NAN),
        "forefoot_max_deg": (9.0,),
        "fsa_reference": ("standing",),
        "fsa_reference_offset_deg": (NAN, math.inf),
        "fsa_landing_window_s": (-0.01, NAN),
        "ic_timing_sd_s": (-0.001,),
        "to_timing_sd_s": (-0.001,),
        "ic_systematic_s": (-0.001,),
        "to_systematic_s": (-0.001,),
        "low_fps_hz": (0.0, NAN),
        "min_steps": (0, 1.5),
        "thigh_shank_fraction": (0.0, 1.0),
    },
    "PoseParams": {
        "model": ("", 3),
        "num_poses": (0, 1.5),
        "min_detection_confidence": (-0.1, 1.5, NAN),
        "min_presence_confidence": (1.5,),
        "min_tracking_confidence": (-0.5,),
        "max_input_long_side_px": (0, 100.5),
        "workers": (0, 1.5),
        "rotate_deg": (45,),
        "backend": ("tensorflow", ""),
    },
    "AnalysisConfig": {
        "slowmo_factor": (0.0, -1.0, NAN),
        "height_cm": (-1.0, 1000.0),
        "view": ("top",),
        "track_fps": (0.0,),
    },
}

#: Fields without a bad value of their own at construction, and why.
NOT_CHECKED_HERE: dict[str, dict[str, str]] = {
    "AnalysisConfig": {
        "pose": "a PoseParams, validated by that class",
        "clean": "a CleanParams, validated by that class",
        "events": "an EventParams, validated by that class",
        "metrics": "a MetricParams, validated by that class",
        "rules_path": "the rules file is read and checked before any pose work (pipeline.prepare)",
    },
}

#: Today's gaps, by test id; each is a strict xfail, so the entry must go once the gap is closed.
KNOWN_GAPS: dict[str, str] = {}

#: Classes (or ``Class.field``) whose messages use the command line's words, not the field's name.
PLAIN_WORDED = {"AnalysisConfig", "PoseParams.rotate_deg"}


def _mark(test_id: str) -> list[pytest.MarkDecorator]:
    gap = KNOWN_GAPS.get(test_id)
    return [pytest.mark.xfail(strict=True, reason=gap)] if gap else []


def _doc_names(doc: str | None, section: str) -> set[str]:
    """Names listed in one numpydoc section (``a, b`` entries give both names)."""
    lines = inspect.cleandoc(doc or "").splitlines()
    names: set[str] = set()
    inside = False
    for line, below in zip(lines, [*lines[1:], ""], strict=True):
        if below.strip() and set(below.strip()) == {"-"}:
            inside = line.strip() == section
            continue
        if inside and line.strip() and not line[0].isspace() and set(line.strip()) != {"-"}:
            names.update(n.strip() for n in line.split(":")[0].split(","))
    return names


def _attribute_docstrings(cls: type) -> set[str]:
    """Fields followed by a string literal in the class body (attribute docstrings)."""
    body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
    return {
        stmt.target.id
        for stmt, nxt in pairwise(body)
        if isinstance(stmt, ast.AnnAssign)
        and isinstance(stmt.target, ast.Name)
        and isinstance(nxt, ast.Expr)
        and isinstance(nxt.value, ast.Constant)
        and isinstance(nxt.value.value, str)
    }


def _bad_cases() -> list[Any]:
    cases = []
    for qualname in PARAM_CLASS_NAMES:
        name = _short(qualname)
        for field, values in BAD_VALUES.get(name, {}).items():
            for value in values:
                test_id = f"{name}-{field}-{value!r}"
                cases.append(
                    pytest.param(qualname, field, value, id=test_id, marks=_mark(test_id))
                )
    return cases


def test_the_scan_finds_the_known_classes_and_detectors() -> None:
    assert {_short(q) for q in PARAM_CLASS_NAMES} >= {
        "EventParams",
        "CleanParams",
        "MetricParams",
        "PoseParams",
        "AnalysisConfig",
    }
    assert {"gait.events._detect:detect_events", "gait.events._rear:detect_frontal_events"} <= set(
        DETECTOR_NAMES
    )


@pytest.mark.parametrize("qualname", PARAM_CLASS_NAMES)
def test_parameter_class_has_defaults_and_is_frozen(qualname: str) -> None:
    cls = _load(qualname)
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    assert missing == [], f"{cls.__name__}: fields without a default"
    assert cls() == cls(), "defaults are values, not fresh draws"


@pytest.mark.parametrize("qualname", PARAM_CLASS_NAMES)
def test_every_parameter_is_documented(qualname: str) -> None:
    cls = _load(qualname)
    fields = {f.name for f in dataclasses.fields(cls)}
    documented = _doc_names(cls.__doc__, "Attributes") | _attribute_docstrings(cls)
    assert sorted(fields - documented) == [], f"{cls.__name__}: fields not documented"
    assert sorted(documented - fields) == [], f"{cls.__name__}: documented names that are no field"


@pytest.mark.parametrize("qualname", PARAM_CLASS_NAMES)
def test_every_field_has_a_bad_value_to_try(qualname: str) -> None:
    cls = _load(qualname)
    fields = {f.name for f in dataclasses.fields(cls)}
    name = cls.__name__
    listed = set(BAD_VALUES.get(name, {})) | set(NOT_CHECKED_HERE.get(name, {}))
    assert sorted(fields - listed) == [], f"add bad values of these {name} fields to BAD_VALUES"
    assert sorted(listed - fields) == [], f"{name} has no such fields: update BAD_VALUES"


@pytest.mark.parametrize(("qualname", "field", "value"), _bad_cases())
def test_bad_value_raises_config_error_in_one_sentence(
    qualname: str, field: str, value: Any
) -> None:
    cls = _load(qualname)
    with pytest.raises(ConfigError) as err:
        cls(**{field: value})
    message = str(err.value)
    assert "\n" not in message and message.endswith("."), message
    assert not re.search(r"[.;:!?]\s+[A-Z]", message.replace("e.g.", "")), message
    if not {cls.__name__, f"{cls.__name__}.{field}"} & PLAIN_WORDED:
        assert field in message, message


# --- detectors -----------------------------------------------------------------------------------


def _clean_file(path: Path) -> PoseTrack:
    return clean_track(load_track(path))


def _mocap(view: str) -> PoseTrack:
    """RBDS001 at 2.5 m/s filmed by a virtual camera (:meth:`gait.validate.MocapTrial.to_track`)."""
    from gait.validate import load_trial

    folder = SHARED / "data" / "mocap"
    if not (folder / "events").is_dir():
        pytest.skip(f"mocap data not found at {folder}")
    track, _ = load_trial(folder, "RBDS001_runT25").to_track(
        view=view, fps=60.0, seed=0, duration_s=8.0
    )
    return clean_track(track)


PERTURBED = sorted((TEST_DATA / "perturb").glob("*.track.nc"))

#: Every input: name -> (builder, families of its view). Each detector runs on the inputs of the
#: families it serves (:data:`SERVES`) and must find running on all of them but :data:`NOT_GAIT`.
SIDE, OVERGROUND, REAR, FRONT = (
    frozenset({"side"}),
    frozenset({"side", "overground"}),
    frozenset({"rear"}),
    frozenset({"front"}),
)
INPUTS: dict[str, tuple[Callable[[], PoseTrack], frozenset[str]]] = {
    "sample": (lambda: _clean_file(SAMPLE_TRACK), SIDE),
    **{
        f"perturb-{p.name.removesuffix('.track.nc')}": ((lambda p=p: _clean_file(p)), SIDE)
        for p in PERTURBED
    },
    "synthetic-right-60fps": (
        lambda: clean_track(make_treadmill_runner(fps=60.0, duration_s=6.0, noise_px=1.0, seed=1)),
        SIDE,
    ),
    "synthetic-left-30fps": (
        lambda: clean_track(
            make_treadmill_runner(fps=30.0, duration_s=6.0, facing_left=True, noise_px=1.0)
        ),
        SIDE,
    ),
    "synthetic-overground-rolled-120fps": (
        lambda: clean_track(
            make_treadmill_runner(fps=120.0, duration_s=5.0, overground=True, roll_deg=4.0)
        ),
        OVERGROUND,
    ),
    "swinging-irregular-frame-times": (
        lambda: clean_track(make_swinging_runner(fps=30.0, duration_s=4.0, irregular=True)),
        SIDE,
    ),
    "rear-mocap-60fps": (lambda: _mocap("rear"), REAR),
    "front-mocap-60fps": (lambda: _mocap("front"), FRONT),
}


@cache
def _input(name: str) -> PoseTrack:
    return INPUTS[name][0]()


#: Side-view inputs that are not a model of running contacts (sinusoidal legs): no running check.
NOT_GAIT = {"swinging-irregular-frame-times"}


#: The inputs of a view family each detector serves: it must find running on every one of them.
SERVES: dict[str, set[str]] = {
    "gait.events._detect:detect_events": {"side", "rear", "front"},
    "gait.events._detect:detect_side_events": {"side"},
    "gait.events._detect:detect_overground_events": {"overground"},
    "gait.events._rear:detect_frontal_events": {"rear", "front"},
    "gait.events._front:detect_front_events": {"front"},
    "registry:side_left": {"side"},
    "registry:side_right": {"side"},
    "registry:rear": {"rear"},
    "registry:front": {"front"},
}

#: Arguments a caller fills from the input track itself (no default needed).
INPUT_ARGS = {"track", "view", "fps"}


def _registry() -> dict[str, Any]:
    try:
        from gait.pipeline import REGISTRY
    except ImportError:
        return {}
    return dict(REGISTRY)


ALL_DETECTORS = [*DETECTOR_NAMES, *(f"registry:{v}" for v in _registry())]
#: The registry's entries wrap the detectors above: they run on one input of each kind.
REGISTRY_INPUTS = (
    "sample",
    "perturb-mirror",
    "synthetic-left-30fps",
    "swinging-irregular-frame-times",
    "rear-mocap-60fps",
    "front-mocap-60fps",
)


def _detector_cases() -> list[Any]:
    return [
        pytest.param(d, source, id=f"{d}-{source}")
        for d in ALL_DETECTORS
        for source in sorted(INPUTS)
        if INPUTS[source][1] & SERVES.get(d, set())
        and (not d.startswith("registry:") or source in REGISTRY_INPUTS)
    ]


def _call(detector: str, track: PoseTrack) -> GaitEvents:
    """Run one detector as its callers do, with default parameters."""
    params = EventParams()
    if detector.startswith("registry:"):
        return _registry()[detector.split(":")[1]].detect(track, params, detect_view(track))
    fn = _load(detector)
    args: dict[str, Any] = {"params": params}
    for name, p in inspect.signature(fn).parameters.items():
        if name == "track":
            args[name] = track
        elif p.default is inspect.Parameter.empty and name == "view":
            args[name] = detect_view(track)
        elif p.default is inspect.Parameter.empty and name == "fps":
            args[name] = track_fps(track)
    return fn(**args)


def _plain(value: Any) -> Any:
    """``value`` with NaN spelled out, so that ``==`` compares results field by field."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, pd.DataFrame):
        return {
            "columns": list(value.columns),
            "dtypes": [str(d) for d in value.dtypes],
            "rows": _plain(value.to_dict("list")),
        }
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else float(value)
    return value


def test_every_detector_says_which_views_it_serves() -> None:
    assert sorted(set(ALL_DETECTORS) - set(SERVES)) == [], "add the new detectors to SERVES"


@pytest.mark.parametrize(
    "detector",
    [pytest.param(d, id=d, marks=_mark(d)) for d in DETECTOR_NAMES],
)
def test_detector_arguments_are_documented_and_defaulted(detector: str) -> None:
    fn = _load(detector)
    signature = inspect.signature(fn)
    documented = _doc_names(fn.__doc__, "Parameters")
    assert sorted(set(signature.parameters) - documented) == [], "arguments not documented"
    assert sorted(documented - set(signature.parameters)) == [], "documented names no argument"
    no_default = [
        n
        for n, p in signature.parameters.items()
        if p.default is inspect.Parameter.empty and n not in INPUT_ARGS
    ]
    assert no_default == []
    assert signature.parameters["params"].default in (None, EventParams())  # None: EventParams()


@pytest.mark.parametrize(("detector", "source"), _detector_cases())
def test_detector_is_deterministic_and_leaves_its_input_alone(detector: str, source: str) -> None:
    track = _input(source)
    before = track.copy(deep=True)
    first = _call(detector, track)
    xr.testing.assert_identical(track, before)
    assert track.attrs == before.attrs
    second = _call(detector, track)
    pd.testing.assert_frame_equal(first.table, second.table, check_exact=True)
    assert _plain(first) == _plain(second)
    assert isinstance(first, GaitEvents)
    assert list(first.table.columns) == ["foot", "type", "frame", "time_s", "confidence"]
    if source not in NOT_GAIT:
        assert first.running and len(first.table) > 0, [n.code for n in first.quality]


#: One input of each family, for the detectors that do not serve it.
OTHER_VIEW = {"side": "sample", "rear": "rear-mocap-60fps", "front": "front-mocap-60fps"}


@pytest.mark.parametrize(
    ("detector", "source"),
    [
        pytest.param(d, source, id=f"{d}-{source}")
        for d in DETECTOR_NAMES  # the registry is keyed by view: nothing else reaches an entry
        for source in OTHER_VIEW.values()
        if d in SERVES and not INPUTS[source][1] & SERVES[d]
    ],
)
def test_detector_given_a_view_it_does_not_serve_says_so(detector: str, source: str) -> None:
    """Either a one-line refusal or no running, with a note; never events passed off as running."""
    track = _input(source)
    before = track.copy(deep=True)
    try:
        events = _call(detector, track)
    except ValueError as err:
        assert "\n" not in str(err) and str(err).endswith("."), str(err)
    else:
        assert not events.running and events.quality
    xr.testing.assert_identical(track, before)
