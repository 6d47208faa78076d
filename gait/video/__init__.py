"""Video in: probe a clip (streams, rotation, true frame times) and decode upright RGB frames."""

from gait.video._decode import Frame, iter_frames, prefetch
from gait.video._probe import VideoMeta, file_sha256, probe_video

__all__ = ["Frame", "VideoMeta", "file_sha256", "iter_frames", "prefetch", "probe_video"]
