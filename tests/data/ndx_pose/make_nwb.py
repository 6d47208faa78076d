"""Write ``sample_coco17.nwb`` with pynwb and ndx-pose (the extension's own writer).

    python tests/data/ndx_pose/make_nwb.py

The 17 COCO keypoints (no heels, no toes) of gait's sample track (samples/, MIT), frames 0..179
of the 30 fps clip, as one ``PoseEstimation`` with a ``Skeleton``, ``dimensions`` = the image
size, confidence = MediaPipe visibility, and the frame times as ``timestamps``; the way
ndx-pose's README example builds one.
"""

import datetime
from pathlib import Path

import h5py
import numpy as np
import pynwb
from ndx_pose import PoseEstimation, PoseEstimationSeries, Skeleton, Skeletons

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
COCO_17 = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]  # fmt: skip
N = 180


def main() -> None:
    with h5py.File(ROOT / "samples" / "treadmill_side_male_30fps_portrait.track.nc") as f:
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["keypoint"][()]]
        pos = f["position"][:N].astype(np.float64)
        conf = f["confidence"][:N].astype(np.float64)
        time_s = f["time"][:N].astype(np.float64)
    nwb = pynwb.NWBFile(
        session_description="gait sample track, COCO-17 keypoints",
        identifier="gait-sample-coco17",
        session_start_time=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    skeleton = Skeleton(
        name="coco17", nodes=COCO_17, edges=np.array([[11, 13], [13, 15], [12, 14], [14, 16]], dtype=np.uint8)
    )
    module = nwb.create_processing_module(name="behavior", description="pose")
    module.add(Skeletons(skeletons=[skeleton]))
    series = []
    for name in COCO_17:
        k = names.index(name)
        series.append(
            PoseEstimationSeries(
                name=name, description=name, data=pos[:, k, :], unit="pixels",
                reference_frame="image top-left, y down", timestamps=series[0] if series else time_s,
                confidence=conf[:, k], confidence_definition="MediaPipe visibility",
            )
        )  # fmt: skip
    module.add(
        PoseEstimation(
            name="PoseEstimation", pose_estimation_series=series, description="COCO-17 from MediaPipe",
            dimensions=np.array([[720, 1280]], dtype=np.uint16), scorer="MediaPipe",
            source_software="MediaPipe", skeleton=skeleton,
        )
    )  # fmt: skip
    with pynwb.NWBHDF5IO(str(HERE / "sample_coco17.nwb"), mode="w") as io:
        io.write(nwb)


if __name__ == "__main__":
    main()
