"""Write the DeepLabCut ``.h5`` twins of the example CSVs the way DeepLabCut writes them.

    python tests/data/dlc/make_dlc_h5.py [table] [fixed]   # needs pandas and PyTables (``pip install tables``)

DeepLabCut stores its predictions with ``DataFrame.to_hdf(path, key="df_with_missing",
format="table", mode="w")`` on a DataFrame whose columns are the (scorer, [individuals,]
bodyparts, coords) MultiIndex (``<stem>.h5``); ``fixed`` writes the same DataFrame in pandas'
default ``format="fixed"`` layout (``<stem>.fixed.h5``), as older DeepLabCut versions and users'
own ``df.to_hdf(path, key="df_with_missing")`` do. The CSVs are read as DeepLabCut and movement
read them (``header=[0, 1, 2]``, ``[0, 1, 2, 3]`` multi-animal; the first column as the index).
"""

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
FILES = {
    "reachingvideo1shortDLC_resnet50_TESTNov4shuffle1_10": ["scorer", "bodyparts", "coords"],
    "m3v1mp4shortDLC_effnet_b0_multi_mouseApr12shuffle1_5_el_filtered.head15": [
        "scorer", "individuals", "bodyparts", "coords"
    ],
}  # fmt: skip


def read(stem: str, levels: list[str]) -> pd.DataFrame:
    # not index_col=0: pandas takes an empty first data row ("0,,,") for the index name and drops it
    df = pd.read_csv(HERE / f"{stem}.csv", header=list(range(len(levels))))
    df = df.set_index(df.columns[0])
    df.index.name = None
    df.columns.names = levels
    return df


formats = sys.argv[1:] or ["table", "fixed"]
for stem, levels in FILES.items():
    df = read(stem, levels)
    if "table" in formats:
        df.to_hdf(HERE / f"{stem}.h5", key="df_with_missing", format="table", mode="w")
    if "fixed" in formats:
        df.to_hdf(HERE / f"{stem}.fixed.h5", key="df_with_missing", format="fixed", mode="w")
