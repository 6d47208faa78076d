"""BlazePose run directly with the LiteRT interpreter: MediaPipe's pose pipeline re-implemented in numpy.

The two TFLite models of the ``.task`` bundle (``pose_detector.tflite``, 224x224, and
``pose_landmarks_detector.tflite``, 256x256) run in ``ai_edge_litert`` with XNNPACK and a settable
number of threads (MediaPipe's pip build uses one). Every step follows the MediaPipe Tasks
PoseLandmarker graph in VIDEO mode (google-ai-edge/mediapipe, ``tasks/cc/vision/pose_detector``,
``tasks/cc/vision/pose_landmarker``), with its constants:

* detector: whole frame letterboxed to 224x224 (zero border, range [-1, 1]); 2254 SSD anchors
  (5 layers, strides 8-16-32-32-32, fixed size, offset 0.5); boxes and 4 keypoints decoded with
  scale 224, ``reverse_output_order``; score = sigmoid of the clipped (+-100) logit, >= the detection
  confidence; weighted non-maximum suppression, IoU 0.5; letterbox removed;
* ROI: centre = keypoint 0 (hip centre), size = 2 x distance to keypoint 1, rotation = 90 deg -
  angle of the hip-to-keypoint-1 vector, square on the long side, scaled 1.25;
* landmarks: ROI warped to 256x256 (perspective warp of the rotated rectangle, bilinear, replicated
  border, range [0, 1]); 39 landmarks (x, y, z in crop pixels, visibility and presence logits through
  a sigmoid); refined from the 64x64 heatmap (7x7 kernel, sigmoid, refine when the peak >= 0.5);
  projected back through the ROI rotation; pose presence flag >= the presence confidence;
* tracking: the next frame's ROI comes from auxiliary landmarks 33 (centre) and 34 (scale/rotation)
  with the same alignment, 1.25 and square-long rules; the detector runs again only when no pose was
  kept in the previous frame (``num_poses=1``);
* smoothing (VIDEO mode, one pose): visibility low-pass (alpha 0.1); one-euro filter on landmarks
  in pixels (min cutoff 0.05, beta 80, derivative cutoff 1, values scaled by the ROI size) and on
  world landmarks (0.1, 40, 1, no scaling); filters reset when the pose is lost.

Agreement with MediaPipe (``tests/benchmarks/speed.py --jitter``, ``tests/test_pose_backend.py``):
frame by frame without tracking (MediaPipe in IMAGE mode) the landmarks differ by ~0.45 px median
on the sample, of the order of a +-1 grey-level change of the 256x256 crop (0.3 px); the exact
source of that residual inside MediaPipe's runtime is not known. The tracking loop (next ROI from
this frame's landmarks) amplifies any difference: LiteRT's own XNNPACK and reference kernels differ
by 0.006 px per frame but by 2.1 px median once tracked and smoothed (120 frames of the sample),
and MediaPipe against itself on a 54 dB re-encode of the clip differs by 2.2 px - the same as litert
against MediaPipe.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from gait.errors import ConfigError, ModelFileError

N_LANDMARKS = 33
_N_ALL = 39
DETECTOR_SIZE_PX = 224
LANDMARK_SIZE_PX = 256
ROI_SCALE = 1.25
NMS_IOU = 0.5  # PoseDetectorGraphOptions.min_suppression_threshold default
HEATMAP_KERNEL = 7
HEATMAP_MIN_CONFIDENCE = 0.5
VISIBILITY_ALPHA = 0.1
LANDMARK_FILTER = (0.05, 80.0, 1.0)  # min cutoff, beta, derivative cutoff
WORLD_FILTER = (0.1, 40.0, 1.0)
FILTER_FREQUENCY_HZ = 30.0  # LandmarksSmoothingCalculator default before two timestamps are seen


def _ssd_anchors() -> np.ndarray:
    """(2254, 2) anchor centres of the pose detector (normalised x, y); fixed size 1x1."""
    strides = [8, 16, 32, 32, 32]
    out = []
    layer = 0
    while layer < len(strides):
        same = 0
        while layer + same < len(strides) and strides[layer + same] == strides[layer]:
            same += 1
        per_cell = 2 * same  # aspect ratio 1.0 plus the interpolated scale, per merged layer
        n = math.ceil(DETECTOR_SIZE_PX / strides[layer])
        ys, xs = np.meshgrid((np.arange(n) + 0.5) / n, (np.arange(n) + 0.5) / n, indexing="ij")
        cells = np.stack([xs.ravel(), ys.ravel()], axis=1)
        out.append(np.repeat(cells, per_cell, axis=0))
        layer += same
    return np.concatenate(out).astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80.0, 80.0)))


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (xmin, ymin, xmax, ymax) box with many."""
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _weighted_nms(boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, iou: float) -> list:
    """MediaPipe's WEIGHTED non-max suppression: (score, box, keypoints) per kept detection, best first."""
    order = np.argsort(-scores, kind="stable")
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    alive = np.ones(len(scores), dtype=bool)
    out = []
    for i in range(len(scores)):
        if not alive[i]:
            continue
        overlap = _iou(boxes[i], boxes) > iou
        group = alive & overlap
        group[i] = True
        w = scores[group]
        total = w.sum()
        box = (boxes[group] * w[:, None]).sum(0) / total
        kps = (keypoints[group] * w[:, None, None]).sum(0) / total
        out.append((float(scores[i]), box, kps))
        alive &= ~group
    return out


def _alignment_rect(centre_px: np.ndarray, end_px: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """ROI (x_c, y_c, w, h normalised, rotation rad) from two keypoints in pixels.

    AlignmentPointsRectsCalculator (target angle 90 deg) + RectTransformationCalculator (square long, 1.25).
    """
    w_img, h_img = size
    dx, dy = end_px - centre_px
    box_px = 2.0 * math.hypot(dx, dy)
    rotation = math.pi / 2 - math.atan2(-dy, dx)
    rotation = rotation - 2 * math.pi * math.floor((rotation + math.pi) / (2 * math.pi))
    side = box_px * ROI_SCALE  # square_long: the long side (both equal here), then the scale
    return np.array([centre_px[0] / w_img, centre_px[1] / h_img, side / w_img, side / h_img, rotation])


class _OneEuro:
    """mediapipe/util/filtering/one_euro_filter.cc, vectorised over values."""

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    def reset(self) -> None:
        self.frequency = FILTER_FREQUENCY_HZ
        self.last_ns = -1  # OneEuroFilter::Create's kUninitializedTimestamp
        self.x: np.ndarray | None = None  # filtered value
        self.raw: np.ndarray | None = None
        self.dx: np.ndarray | None = None

    def _alpha(self, cutoff: np.ndarray | float) -> np.ndarray | float:
        te = 1.0 / self.frequency
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / te)

    def __call__(self, t_ns: int, value: np.ndarray, value_scale: float) -> np.ndarray:
        if self.last_ns >= t_ns:  # non-increasing time: raw value, as MediaPipe
            return value
        if self.last_ns != 0 and t_ns != 0:  # MediaPipe's rule: a call after time 0 keeps the default frequency
            self.frequency = 1.0 / ((t_ns - self.last_ns) * 1e-9)
        self.last_ns = t_ns
        dvalue = np.zeros_like(value) if self.raw is None else (value - self.raw) * value_scale * self.frequency
        a_d = self._alpha(self.d_cutoff)
        self.dx = dvalue if self.dx is None else a_d * dvalue + (1 - a_d) * self.dx
        cutoff = self.min_cutoff + self.beta * np.abs(self.dx)
        a = self._alpha(cutoff)
        self.x = value if self.x is None else a * value + (1 - a) * self.x
        self.raw = value
        return self.x


class LiteRTLandmarker:
    """Drop-in for :class:`gait.pose._mediapipe.Landmarker` (VIDEO mode, ``num_poses=1``) on LiteRT.

    Parameters
    ----------
    model_path
        A verified ``.task`` bundle holding ``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``.
    num_poses
        Must be 1 (MediaPipe smooths only a single pose; more is not implemented here).
    min_detection_confidence, min_presence_confidence, min_tracking_confidence
        As MediaPipe; ``min_tracking_confidence`` only matters for several poses, so it is unused.
    num_threads
        XNNPACK threads per interpreter.
    smooth
        Apply MediaPipe's VIDEO-mode smoothing (default, as MediaPipe does).
    """

    def __init__(
        self,
        model_path: Path,
        *,
        num_poses: int = 1,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        num_threads: int = 2,
        smooth: bool = True,
    ) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise ConfigError(
                "The litert pose backend needs the ai-edge-litert package; install it "
                "(pip install ai-edge-litert) or use --backend mediapipe."
            ) from exc
        if num_poses != 1:
            raise ConfigError(
                f"The litert pose backend tracks one person only (asked for {num_poses}); "
                "use --backend mediapipe for several."
            )
        try:
            with zipfile.ZipFile(model_path) as bundle:
                det = bundle.read("pose_detector.tflite")
                lmk = bundle.read("pose_landmarks_detector.tflite")
        except (OSError, KeyError, zipfile.BadZipFile) as exc:
            raise ModelFileError(
                f"Pose model {model_path} is not a pose landmarker bundle ({exc}); "
                "copy it again (see models/README.md)."
            ) from exc
        self.num_poses = 1
        self._det = Interpreter(model_content=det, num_threads=num_threads)
        self._lmk = Interpreter(model_content=lmk, num_threads=num_threads)
        self._det.allocate_tensors()
        self._lmk.allocate_tensors()
        self._det_in = self._det.get_input_details()[0]["index"]
        self._lmk_in = self._lmk.get_input_details()[0]["index"]
        d_out = {d["name"]: d["index"] for d in self._det.get_output_details()}
        self._det_boxes, self._det_scores = d_out["Identity"], d_out["Identity_1"]
        l_out = {d["name"]: d["index"] for d in self._lmk.get_output_details()}
        self._l_lm, self._l_flag = l_out["Identity"], l_out["Identity_1"]
        self._l_heat, self._l_world = l_out["Identity_3"], l_out["Identity_4"]
        self._anchors = _ssd_anchors()
        self.min_detection_confidence = float(min_detection_confidence)
        self.min_presence_confidence = float(min_presence_confidence)
        self.smooth = smooth
        self._roi: np.ndarray | None = None  # ROI for the next frame, from this frame's landmarks
        self._last_ms = -1
        self._f_lm = _OneEuro(*LANDMARK_FILTER)
        self._f_world = _OneEuro(*WORLD_FILTER)
        self._vis: np.ndarray | None = None
        self._world_vis: np.ndarray | None = None
        self.n_detector_runs = 0

    def __enter__(self) -> LiteRTLandmarker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing native to close (kept for the Landmarker interface)."""

    # -- detector -------------------------------------------------------------------------------
    def _detect_roi(self, rgb: np.ndarray) -> np.ndarray | None:
        h_img, w_img = rgb.shape[:2]
        side = max(w_img, h_img)
        pad_x, pad_y = (side - w_img) / 2, (side - h_img) / 2
        s = DETECTOR_SIZE_PX / side
        m = np.array([[s, 0, pad_x * s], [0, s, pad_y * s]], dtype=np.float64)
        crop = cv2.warpAffine(
            rgb, m, (DETECTOR_SIZE_PX, DETECTOR_SIZE_PX), flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT, borderValue=0,
        )
        x = crop.astype(np.float32) * (2.0 / 255.0) - 1.0
        self._det.set_tensor(self._det_in, x[None])
        self._det.invoke()
        self.n_detector_runs += 1
        raw = self._det.get_tensor(self._det_boxes)[0]
        logit = np.clip(self._det.get_tensor(self._det_scores)[0, :, 0], -100.0, 100.0)
        score = _sigmoid(logit)
        keep = score >= self.min_detection_confidence
        if not keep.any():
            return None
        raw, score, anchors = raw[keep], score[keep], self._anchors[keep]
        xc = raw[:, 0] / DETECTOR_SIZE_PX + anchors[:, 0]
        yc = raw[:, 1] / DETECTOR_SIZE_PX + anchors[:, 1]
        w = raw[:, 2] / DETECTOR_SIZE_PX
        h = raw[:, 3] / DETECTOR_SIZE_PX
        boxes = np.stack([xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2], axis=1)
        kps = raw[:, 4:12].reshape(-1, 4, 2) / DETECTOR_SIZE_PX + anchors[:, None, :]
        best = _weighted_nms(boxes, kps, score, NMS_IOU)[0]
        kp = best[2]
        # letterbox removal, then pixels of the frame
        kp_px = np.empty_like(kp)
        kp_px[:, 0] = (kp[:, 0] * side - pad_x)
        kp_px[:, 1] = (kp[:, 1] * side - pad_y)
        return _alignment_rect(kp_px[0], kp_px[1], (w_img, h_img))

    # -- landmarks ------------------------------------------------------------------------------
    def _landmarks(self, rgb: np.ndarray, roi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """(presence, (39, 5) normalised x, y, z, visibility, presence; (39, 3) world m) in the ROI."""
        h_img, w_img = rgb.shape[:2]
        centre = (float(roi[0] * w_img), float(roi[1] * h_img))
        size = (float(roi[2] * w_img), float(roi[3] * h_img))
        src = cv2.boxPoints((centre, size, math.degrees(roi[4]))).astype(np.float32)
        n = float(LANDMARK_SIZE_PX)
        dst = np.array([[0, n], [0, 0], [n, 0], [n, n]], dtype=np.float32)
        proj = cv2.getPerspectiveTransform(src, dst)
        crop = cv2.warpPerspective(
            rgb, proj, (LANDMARK_SIZE_PX, LANDMARK_SIZE_PX), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        self._lmk.set_tensor(self._lmk_in, (crop.astype(np.float32) * (1.0 / 255.0))[None])
        self._lmk.invoke()
        presence = float(self._lmk.get_tensor(self._l_flag).ravel()[0])
        raw = self._lmk.get_tensor(self._l_lm)[0].reshape(_N_ALL, 5)
        lm = np.empty((_N_ALL, 5), dtype=np.float64)
        lm[:, :3] = raw[:, :3] / n
        lm[:, 3:] = _sigmoid(raw[:, 3:].astype(np.float64))
        self._refine(lm, self._lmk.get_tensor(self._l_heat)[0])
        world = self._lmk.get_tensor(self._l_world)[0].reshape(_N_ALL, 3).astype(np.float64)
        return presence, lm, world

    @staticmethod
    def _refine(lm: np.ndarray, heat: np.ndarray) -> None:
        """RefineLandmarksFromHeatmapCalculator (kernel 7, sigmoid, min confidence 0.5), in place.

        Vectorised over landmarks: cells outside the heatmap get confidence 0 (MediaPipe shrinks the
        kernel at the edges, which adds nothing to the sums either).
        """
        hh, hw, nk = heat.shape
        off = (HEATMAP_KERNEL - 1) // 2
        # C++ float -> int conversion truncates toward zero: x in (-1/64, 0) still lands in column 0
        cols_all, rows_all = np.trunc(lm[:nk, 0] * hw), np.trunc(lm[:nk, 1] * hh)
        inside = (cols_all >= 0) & (rows_all >= 0) & (cols_all < hw) & (rows_all < hh)
        k = np.flatnonzero(inside)
        if not k.size:
            return
        col, row = cols_all[k].astype(int), rows_all[k].astype(int)
        steps = np.arange(-off, off + 1)
        rows = row[:, None] + steps  # (n, 7)
        cols = col[:, None] + steps
        valid = ((rows >= 0) & (rows < hh))[:, :, None] & ((cols >= 0) & (cols < hw))[:, None, :]
        vals = heat[np.clip(rows, 0, hh - 1)[:, :, None], np.clip(cols, 0, hw - 1)[:, None, :], k[:, None, None]]
        conf = np.where(valid, _sigmoid(vals.astype(np.float64)), 0.0)
        total = conf.sum(axis=(1, 2))
        ok = (conf.max(axis=(1, 2)) >= HEATMAP_MIN_CONFIDENCE) & (total > 0)
        safe = np.where(total > 0, total, 1.0)
        x = (conf.sum(axis=1) * cols).sum(axis=1) / hw / safe
        y = (conf.sum(axis=2) * rows).sum(axis=1) / hh / safe
        lm[k[ok], 0] = x[ok]
        lm[k[ok], 1] = y[ok]

    @staticmethod
    def _project(lm: np.ndarray, world: np.ndarray, roi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """LandmarkProjectionCalculator / WorldLandmarkProjectionCalculator through the ROI."""
        c, s = math.cos(roi[4]), math.sin(roi[4])
        x, y = lm[:, 0] - 0.5, lm[:, 1] - 0.5
        out = lm.copy()
        out[:, 0] = (c * x - s * y) * roi[2] + roi[0]
        out[:, 1] = (s * x + c * y) * roi[3] + roi[1]
        out[:, 2] = lm[:, 2] * roi[2]
        w = world.copy()
        w[:, 0] = c * world[:, 0] - s * world[:, 1]
        w[:, 1] = s * world[:, 0] + c * world[:, 1]
        return out, w

    def _lost(self) -> None:
        self._roi = None
        self._f_lm.reset()
        self._f_world.reset()
        self._vis = self._world_vis = None

    def detect(self, rgb: np.ndarray, timestamp_ms: int) -> tuple[np.ndarray, np.ndarray]:
        """Landmarks of the person in one upright RGB frame, as :meth:`gait.pose._mediapipe.Landmarker.detect`."""
        ts = max(int(timestamp_ms), self._last_ms + 1)
        self._last_ms = ts
        out = np.full((1, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        world_out = np.full((1, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        h_img, w_img = rgb.shape[:2]
        roi = self._roi if self._roi is not None else self._detect_roi(rgb)
        if roi is None:
            self._lost()
            return out, world_out
        presence, lm, world = self._landmarks(rgb, roi)
        if not presence > self.min_presence_confidence:  # ThresholdingCalculator accepts strictly above
            self._lost()
            return out, world_out
        img, wld = self._project(lm, world, roi)
        aux = img[N_LANDMARKS:N_LANDMARKS + 2, :2] * np.array([w_img, h_img])
        self._roi = _alignment_rect(aux[0], aux[1], (w_img, h_img))
        img, wld = img[:N_LANDMARKS], wld[:N_LANDMARKS]
        vis = img[:, 3]
        if self.smooth:
            t_ns = ts * 1_000_000
            self._vis = vis if self._vis is None else VISIBILITY_ALPHA * vis + (1 - VISIBILITY_ALPHA) * self._vis
            vis = self._vis
            scale_px = (self._roi[2] * w_img + self._roi[3] * h_img) / 2.0
            px = np.stack([img[:, 0] * w_img, img[:, 1] * h_img, img[:, 2] * w_img], axis=1)
            if scale_px >= 1e-6:
                px = self._f_lm(t_ns, px, 1.0 / scale_px)
            img = np.stack([px[:, 0] / w_img, px[:, 1] / h_img], axis=1)
            wld = self._f_world(t_ns, wld, 1.0)
        out[0, :, 0:2] = img[:, :2]
        out[0, :, 2] = vis
        world_out[0] = wld
        return out, world_out
