"""Write the DeepLabCut ``.h5`` twins of the example CSVs the way DeepLabCut writes them.

    python tests/data/dlc/make_dlc_h5.py   # needs pandas and PyTables (``pip install tables``)

DeepLabCut stores its predictions with ``DataFrame.to_hdf(path, key="df_with_missing",
format="table", mode="w")`` on a DataFrame whose columns are the (scorer, [individuals,]
bodyparts, coords) MultiIndex; DeepLabCut reads its own CSVs back with ``header=[0, 1, 2]``
(``[0, 1, 2, 3]`` multi-animal) and ``index_col=0``.
"""

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
FILES = {
    "reachingvideo1shortDLC_resnet50_TESTNov4shuffle1_10": [0, 1, 2],
    "m3v1mp4shortDLC_effnet_b0_multi_mouseApr12shuffle1_5_el_filtered.head15": [0, 1, 2, 3],
}

for stem, header in FILES.items():
    df = pd.read_csv(HERE / f"{stem}.csv", header=header, index_col=0)
    df.to_hdf(HERE / f"{stem}.h5", key="df_with_missing", format="table", mode="w")
