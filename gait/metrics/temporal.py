"""Step timing from events: one row per contact, with step, stride, contact and flight times.

Definitions (domain.md section 2.1): a *step* ends at an IC and starts at the previous IC of the
other foot; a *stride* runs from an IC to the next IC of the same foot; contact time = TO - IC of
the same contact; flight time = next IC of the other foot - TO; duty factor = contact / stride
time. Intervals across a missing contact (two ICs of the same foot in a row, or gaps longer than
1.5 expected intervals) are left out (NaN), never bridged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gait.events import GaitEvents


def _next_to(tos: np.ndarray, ic: float, limit: float) -> float:
    """First TO after ``ic`` and before ``limit``, else NaN."""
    after = tos[(tos > ic) & (tos < limit)]
    return float(after[0]) if len(after) else float("nan")


def contacts_table(events: GaitEvents) -> pd.DataFrame:
    """One row per IC with its TO and the timing intervals (columns in the module docstring).

    Columns: ``foot, ic_time_s, to_time_s, ic_frame, to_frame, ic_confidence, to_confidence,
    step_time_s, stride_time_s, contact_time_s, flight_time_s, duty_factor``.
    """
    tab = events.table
    ic = tab[tab["type"] == "IC"].sort_values("time_s").reset_index(drop=True)
    if ic.empty:
        return pd.DataFrame(columns=["foot", "ic_time_s"])
    period = events.stride_time_s or float(np.median(np.diff(ic["time_s"])) * 2)
    rows = []
    for i, r in enumerate(ic.itertuples(index=False)):
        same = ic[(ic["foot"] == r.foot) & (ic["time_s"] > r.time_s)]["time_s"]
        nxt_same = float(same.iloc[0]) if len(same) else float("nan")
        to_rows = tab[(tab["type"] == "TO") & (tab["foot"] == r.foot)]
        limit = nxt_same if np.isfinite(nxt_same) else r.time_s + 0.8 * period
        to_t = _next_to(to_rows["time_s"].to_numpy(float), r.time_s, limit)
        to_match = to_rows[to_rows["time_s"] == to_t]
        prev = ic.iloc[i - 1] if i > 0 else None
        nxt = ic.iloc[i + 1] if i + 1 < len(ic) else None
        step = float("nan")
        if (
            prev is not None
            and prev["foot"] != r.foot
            and r.time_s - prev["time_s"] < 0.75 * period
        ):
            step = r.time_s - float(prev["time_s"])
        stride = nxt_same - r.time_s if nxt_same - r.time_s < 1.5 * period else float("nan")
        flight = float("nan")
        if nxt is not None and nxt["foot"] != r.foot and np.isfinite(to_t):
            flight = float(nxt["time_s"]) - to_t
        rows.append(
            {
                "foot": r.foot,
                "ic_time_s": float(r.time_s),
                "to_time_s": to_t,
                "ic_frame": int(r.frame),
                "to_frame": int(to_match["frame"].iloc[0]) if len(to_match) else -1,
                "ic_confidence": float(r.confidence),
                "to_confidence": float(to_match["confidence"].iloc[0])
                if len(to_match)
                else float("nan"),
                "step_time_s": step,
                "stride_time_s": stride,
                "contact_time_s": to_t - r.time_s,
                "flight_time_s": flight,
            }
        )
    out = pd.DataFrame(rows)
    out["duty_factor"] = out["contact_time_s"] / out["stride_time_s"]
    return out


def symmetry_pct(left: float, right: float) -> float:
    """Symmetry index 100 |L - R| / mean(L, R) in percent (NaN if either is missing)."""
    if not (np.isfinite(left) and np.isfinite(right)) or left + right == 0:
        return float("nan")
    return float(100.0 * abs(left - right) / ((left + right) / 2))

