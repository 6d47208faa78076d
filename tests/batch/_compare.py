"""Reading a batch's tables back, and asserting two batches wrote the same tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TABLES = ("clips", "metrics", "steps")


def read_tables(out: Path) -> dict[str, object]:
    """Every table as a DataFrame (Parquet) and as text (CSV)."""
    got: dict[str, object] = {f"{t}.parquet": pd.read_parquet(out / f"{t}.parquet") for t in TABLES}
    got.update({f"{t}.csv": (out / f"{t}.csv").read_text() for t in (*TABLES, "failures")})
    return got


def assert_same_tables(a: Path, b: Path) -> None:
    """Parquet tables equal exactly (values and dtypes), CSV files byte for byte."""
    ta, tb = read_tables(a), read_tables(b)
    for name, value in ta.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, tb[name], check_exact=True, obj=name)
        else:
            assert value == tb[name], name
