"""Write the SLEAP test files with sleap-io's own writers (run in a venv with sleap-io installed).

    python tests/data/sleap/make_sleap_files.py

Input: gait's sample track (samples/, MIT; landmarks from MediaPipe on the sample clip), 21 of
its landmarks renamed to a SLEAP human skeleton (COCO-17 names plus heels and big toes), as two
tracks: the runner (point scores = MediaPipe visibility) and a decoy copy 150 px to the right
with point scores 0.3. Output: ``sample_human.slp`` (predicted instances) and
``sample_human.analysis.h5`` (SLEAP's analysis HDF5 layout), both 30 fps, frames 0..359, with a
video sleap-io never opened (so the ``.slp`` records no frame size); and
``sample_human_video.head60.slp``: frames 0..59 with the sample video opened by sleap-io (``python
make_sleap_files.py video``; needs a video backend such as opencv or imageio-ffmpeg), whose
``videos_json`` records the frame ``shape`` (360, 1280, 720, 3) and fps as SLEAP writes them.
"""

import os
import sys
from pathlib import Path

import h5py
import numpy as np
import sleap_io as sio

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
NODES = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_big_toe", "right_big_toe",
]  # fmt: skip
GAIT = {"left_big_toe": "left_foot_index", "right_big_toe": "right_foot_index"}


def main(with_video: bool = False) -> None:
    with h5py.File(ROOT / "samples" / "treadmill_side_male_30fps_portrait.track.nc") as f:
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["keypoint"][()]]
        pos = f["position"][()]  # (time, keypoint, space)
        conf = f["confidence"][()]
    idx = [names.index(GAIT.get(n, n)) for n in NODES]
    xy, score = pos[:, idx, :].astype(np.float64), conf[:, idx].astype(np.float64)
    skeleton = sio.Skeleton(nodes=NODES, name="human")
    if with_video:  # opened by sleap-io, which then records its shape; relative file name
        os.chdir(ROOT / "samples")
        video = sio.Video.from_filename("treadmill_side_male_30fps_portrait.mp4")
        xy, score = xy[:60], score[:60]
    else:
        video = sio.Video(filename="treadmill_side_male_30fps_portrait.mp4", open_backend=False)
    runner, decoy = sio.Track(name="runner"), sio.Track(name="decoy")
    frames = []
    for i in range(len(xy)):
        instances = []
        for track, shift, sc in ((runner, 0.0, score[i]), (decoy, 150.0, np.full(len(NODES), 0.3))):
            pts = xy[i] + [shift, 0.0]
            pts_sc = np.where(np.isfinite(pts).all(axis=1), sc, np.nan)
            instances.append(
                sio.PredictedInstance.from_numpy(
                    points_data=pts,
                    point_scores=pts_sc,
                    score=float(np.nanmean(pts_sc)),
                    skeleton=skeleton,
                    track=track,
                )
            )
        frames.append(sio.LabeledFrame(video=video, frame_idx=i, instances=instances))
    labels = sio.Labels(labeled_frames=frames, videos=[video], skeletons=[skeleton], tracks=[runner, decoy])
    if with_video:
        sio.save_slp(labels, str(HERE / "sample_human_video.head60.slp"))
        return
    sio.save_slp(labels, str(HERE / "sample_human.slp"))
    sio.save_analysis_h5(labels, str(HERE / "sample_human.analysis.h5"))


if __name__ == "__main__":
    main(with_video=sys.argv[1:] == ["video"])
