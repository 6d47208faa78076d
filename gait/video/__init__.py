"""Video in: probe a clip (streams, rotation, true frame times) and decode upright RGB frames."""

from gait.video._cadence_frames import (
    FrameChanges,
    NewFrames,
    SpeedSegment,
    classify_frames,
    frame_changes,
    mark_new_frames,
    speed_change_message,
    speed_segments,
)
from gait.video._decode import Frame, display_size, iter_frames, iter_scaled_frames, iter_thumbnails, prefetch
from gait.video._kept import grey_keeper, kept_grey, kept_pictures, picture_keeper
from gait.video._probe import (
    VideoMeta,
    capture_fps_from_tags,
    file_sha256,
    probe_video,
    slowmo_from_capture,
    slowmo_note,
    turned,
)

__all__ = [
    "Frame",
    "FrameChanges",
    "NewFrames",
    "SpeedSegment",
    "VideoMeta",
    "capture_fps_from_tags",
    "classify_frames",
    "file_sha256",
    "frame_changes",
    "grey_keeper",
    "display_size",
    "iter_frames",
    "iter_scaled_frames",
    "iter_thumbnails",
    "kept_grey",
    "kept_pictures",
    "mark_new_frames",
    "picture_keeper",
    "prefetch",
    "probe_video",
    "slowmo_from_capture",
    "slowmo_note",
    "speed_change_message",
    "speed_segments",
    "turned",
]
