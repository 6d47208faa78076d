"""What to change next time: capture advice drawn from what the analysis found.

Each line says one concrete thing to do differently when filming again (film longer, hold the camera
still, film at 120 fps, ...), so that a runner or clinician who reads the report knows how to get a
better measurement, not only that this one was limited. Drawn from the clip's properties and from
the quality notes (matched on their stable codes), each at most once, in order of importance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Frame rate below which contact and flight times are low confidence (as in the events and metrics).
ADVICE_FPS_HZ = 100.0
#: Steps of steady running that give steady figures (about 10 s at a running cadence).
ADVICE_MIN_STEPS = 30

#: Advice for a note code, first match wins within each group of codes.
BY_NOTE: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("playback_speed_changes",),
        "Export the clip at one playback speed (trim the slow-motion ramp off) before analysing it.",
    ),
    (
        ("cadence_suggests_slowmo", "cadence_too_low", "cadence_too_low_for_slowmo"),
        "If the clip is slow motion, give its factor (capture fps / playback fps) with --slowmo-factor.",
    ),
    (("picture_turned",), "Hold the phone the way the video will be watched, or check its rotation setting."),
    (
        ("view_unknown", "view_not_supported", "view_mismatch", "direction_uncertain"),
        "Film from the side, the camera perpendicular to the running direction at hip height, whole body in view.",
    ),
    (
        ("frontal_overground",),
        "For a rear or front view, film on a treadmill (or keep the camera at a fixed distance): a runner "
        "running away from the camera cannot be timed yet.",
    ),
    (("camera_moved",), "Hold the camera still, on a tripod or a wall, level with the runner's hips."),
    (
        ("overground_passby",),
        "A pass-by shows only a few steps: film 10 s on a treadmill, or run past the camera several times.",
    ),
    (("leg_labels_mirrored",), "Turn off the front camera's mirroring (selfie mode), or film with the rear camera."),
)


def capture_advice(clip: Mapping[str, Any], quality: Sequence[Mapping[str, str]], n_steps: int | None) -> list[str]:
    """The report's ``advice``: what to change when filming again, most important first.

    Parameters
    ----------
    clip
        The report's ``clip`` block (``fps`` is real-world frames per second).
    quality
        The report's ``quality`` notes (``code``, ``message``).
    n_steps
        Steps measured (the cadence's ``n``), or None when no cadence was measured.
    """
    codes = {q.get("code") for q in quality}
    advice = [text for group, text in BY_NOTE if codes & set(group)]
    fps = float(clip.get("fps") or 0.0)
    if 0 < fps < ADVICE_FPS_HZ:
        advice.append(
            f"Film at 120 frames/s or more (the phone's slow-motion mode) for contact and flight times: at "
            f"{fps:.0f} frames/s they are low confidence."
        )
    if n_steps is not None and n_steps < ADVICE_MIN_STEPS:
        advice.append(
            f"Film at least 10 s of steady running (about {ADVICE_MIN_STEPS} steps): this clip gave {n_steps} "
            "steps, so its figures are less certain."
        )
    return advice


__all__ = ["capture_advice"]
