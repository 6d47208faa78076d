"""Report figures as inline SVG (matplotlib, no files, no network)."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")  # headless; set before pyplot is imported

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gait.report._curves import CYCLE_POINTS
from gait.skeleton import SIDE_NAMES

SIDE_COLOURS = {"L": "#4287f5", "R": "#f58c1e"}


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = re.sub(
        r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL
    )  # RDF block: no use in a report
    return text[text.index("<svg") :]  # drop the XML prolog so the SVG can sit inside HTML


#: Panels of the side-view cycle plot: (curve prefix, axis label).
SIDE_PANELS = (("knee_flexion", "Knee flexion (deg)"), ("foot_angle", "Foot angle, toes up + (deg)"))
#: Panels of the rear-view cycle plot.
REAR_PANELS = (
    ("pelvic_drop", "Pelvic drop, other hip lower + (deg)"),
    ("hip_adduction", "Hip adduction, knee inward + (deg)"),
)


def cycle_plot(
    curves: dict[str, dict[str, np.ndarray]],
    panels: tuple[tuple[str, str], ...] = SIDE_PANELS,
) -> str | None:
    """Two angles over the normalised gait cycle, left and right, mean +- SD (one panel each)."""
    if not any(f"{p}_{s}" in curves for p, _ in panels for s in "LR"):
        return None
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 2.8))
    x = np.linspace(0, 100, CYCLE_POINTS)
    for ax, (prefix, label) in zip(axes, panels, strict=True):
        for side in "LR":
            c = curves.get(f"{prefix}_{side}")
            if c is None:
                continue
            colour = SIDE_COLOURS[side]
            ax.plot(x, c["mean"], color=colour, label=f"{SIDE_NAMES[side]} (n={int(c['n'])})")
            ax.fill_between(
                x, c["mean"] - c["sd"], c["mean"] + c["sd"], color=colour, alpha=0.2, lw=0
            )
        ax.set_xlabel("gait cycle (% from initial contact)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return _svg(fig)


def over_clip_plot(steps: pd.DataFrame) -> str | None:
    """Step rate and contact time of every step against time in the clip (panels with data only)."""
    if steps.empty or "ic_time_s" not in steps:
        return None
    panels = [
        (col, label, fn)
        for col, label, fn in (
            ("step_time_s", "step rate (steps/min)", lambda v: 60.0 / v),
            ("contact_time_s", "contact time (ms)", lambda v: 1000.0 * v),
        )
        if col in steps and steps[col].notna().any()
    ]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels), 2.6), squeeze=False)
    for ax, (col, label, fn) in zip(axes[0], panels, strict=True):
        for side in "LR":
            s = steps[steps["foot"] == side]
            ax.plot(
                s["ic_time_s"],
                fn(s[col]),
                "o-",
                ms=3,
                color=SIDE_COLOURS[side],
                label=SIDE_NAMES[side],
            )
        ax.set_ylabel(label)
        ax.set_xlabel("time in clip (s)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return _svg(fig)


def timeline_plot(events: pd.DataFrame, duration_s: float) -> str | None:
    """Initial contacts and toe-offs of each foot on a time line (stance shaded)."""
    if events.empty:
        return None
    fig, ax = plt.subplots(figsize=(8.0, 1.3))
    for row, side in enumerate("LR"):
        ev = events[events["foot"] == side].sort_values("time_s")
        colour = SIDE_COLOURS[side]
        ics = ev[ev["type"] == "IC"]["time_s"].to_numpy()
        tos = ev[ev["type"] == "TO"]["time_s"].to_numpy()
        for ic in ics:
            later = tos[tos > ic]
            if len(later) and later[0] - ic < 0.6:
                ax.broken_barh([(ic, later[0] - ic)], (row - 0.3, 0.6), color=colour, alpha=0.35)
        ax.plot(ics, np.full(len(ics), row), "|", color=colour, ms=14, mew=2)
        ax.plot(tos, np.full(len(tos), row), "x", color=colour, ms=5)
    ax.set_yticks([0, 1], ["left", "right"])
    ax.set_xlim(0, duration_s)
    ax.set_ylim(-0.7, 1.7)
    ax.set_xlabel("time (s)   | initial contact   x toe-off   shaded: stance")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _svg(fig)
