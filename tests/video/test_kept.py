"""The grey frames the pose stage keeps for the quick camera check (gait.video._kept)."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import gait.video._kept as cache
from gait.video import grey_keeper, iter_frames, kept_grey, probe_video
from tests.conftest import SAMPLE_CLIP


@pytest.fixture()
def clip(tmp_path: Path) -> Path:
    cache._KEPT.clear()
    path = tmp_path / "clip.mp4"
    path.write_bytes(SAMPLE_CLIP.read_bytes())
    return path


def _keep_all(meta, stop: int = 60) -> None:
    keep = grey_keeper(meta)
    for frame in iter_frames(meta, stop=stop):
        keep(frame.index, frame.rgb)


def test_every_fifth_frame_is_kept_upright_at_the_working_size(clip: Path) -> None:
    meta = probe_video(clip)
    _keep_all(meta)
    kept = kept_grey(meta, 0, 60)
    assert [i for i, _ in kept] == list(range(0, 60, 5))
    w, h = cache.grey_size(meta, cache.QUICK_SIDE_PX)
    assert (w, h) == (135, 240) and all(g.shape == (h, w) and g.dtype == np.uint8 for _, g in kept)
    # the same picture as the decoder's own grey at that size, to a few grey levels
    frame = next(iter_frames(meta, stop=1))
    assert abs(float(kept[0][1].mean()) - float(frame.rgb.mean())) < 10


def test_a_range_with_a_frame_not_kept_is_decoded_instead(clip: Path) -> None:
    meta = probe_video(clip)
    _keep_all(meta, stop=60)
    assert kept_grey(meta, 0, 61) is None  # frame 60 was not decoded by the pass
    assert [i for i, _ in kept_grey(meta, 7, 30)] == [10, 15, 20, 25]


def test_a_changed_file_and_a_frame_rate_converted_clip_keep_nothing(clip: Path) -> None:
    meta = probe_video(clip)
    _keep_all(meta)
    stat = clip.stat()
    os.utime(clip, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert kept_grey(meta, 0, 60) is None
    converted = replace(meta, new_frames=np.ones(meta.n_frames, dtype=bool))
    _keep_all(converted)
    assert kept_grey(converted, 0, 60) is None


def test_only_the_last_clips_are_kept_and_threads_may_share_a_keeper(tmp_path: Path) -> None:
    cache._KEPT.clear()
    metas = []
    for k in range(cache.MAX_CLIPS + 1):
        path = tmp_path / f"c{k}.mp4"
        path.write_bytes(SAMPLE_CLIP.read_bytes())
        metas.append(probe_video(path))
    frames = [(f.index, f.rgb) for f in iter_frames(metas[0], stop=20)]

    def feed(keep, part) -> None:
        for i, rgb in part:
            keep(i, rgb)

    for meta in metas:
        keep = grey_keeper(meta)
        threads = [threading.Thread(target=feed, args=(keep, part)) for part in (frames[:10], frames[10:])]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert kept_grey(metas[0], 0, 20) is None  # the oldest clip was dropped
    assert all(len(kept_grey(m, 0, 20)) == 4 for m in metas[1:])


def test_pictures_are_kept_for_short_clips_only_and_for_their_rotation(clip: Path, monkeypatch) -> None:
    from gait.video import display_size, iter_scaled_frames, kept_pictures, picture_keeper, turned

    cache._PICTURES.clear()
    meta = probe_video(clip)
    keep = picture_keeper(meta, 480)
    for frame in iter_frames(meta):
        keep(frame.index, frame.rgb)
    got = list(kept_pictures(meta, 480))
    ref = list(iter_scaled_frames(meta, 480))
    assert [(i, t) for i, t, _ in got] == [(i, t) for i, t, _ in ref]
    w, h = display_size(meta, 480)
    assert all(p.shape == (h, w, 3) for _, _, p in got)
    # each kept picture is its own frame: nearer the decoder's picture of that frame than of a frame
    # 5 later (the scalers and colour conversions differ by ~5 grey levels, the frames by ~10)
    kept_px, ref_px = [p.astype(float) for _, _, p in got], [p for _, _, p in ref]
    same = np.array([np.abs(a - b).mean() for a, b in zip(kept_px, ref_px, strict=True)])
    later = np.array([np.abs(a - b).mean() for a, b in zip(kept_px[:-5], ref_px[5:], strict=True)])
    assert same.max() < 6 and bool((same[:-5] < later).all())
    assert kept_pictures(meta, 960) is None  # another size
    assert kept_pictures(turned(meta, 90), 480) is None  # the picture turned after decoding
    monkeypatch.setattr(cache, "PICTURE_MAX_FRAMES", meta.n_frames - 1)
    assert picture_keeper(meta, 480) is None  # a long clip: two chunks, no core to spare
