"""Training data of one scan as plain arrays (no database)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nda_ext.model.network import BEHAVIOUR_COLUMNS


@dataclass
class ScanData:
    """Stimulus, behaviour and responses of one scan, all sampled on the scan's frame clock.

    Attributes:
        session: scan session.
        scan_idx: scan index within the session.
        frames: (T, H, W) uint8 stimulus frame on screen at each scan frame.
        behaviour: (T, 4) float, columns ``BEHAVIOUR_COLUMNS`` (pupil centre x, y, pupil radius, treadmill
            speed) in the scan's raw units, NaN where missing; None when not recorded (mean behaviour assumed).
        responses: (T, N) float32 activity traces, one column per unit.
        unit_ids: (N,) int unit ids; column j of ``responses`` is readout_id j.
        fps: scan frame rate (Hz).
        train_mask: (T,) bool, frames whose responses enter the training loss (False e.g. for held-out test
            trials; the frames are still shown to the model as context); None = all frames.
    """

    session: int
    scan_idx: int
    frames: np.ndarray
    behaviour: np.ndarray | None
    responses: np.ndarray
    unit_ids: np.ndarray
    fps: float
    train_mask: np.ndarray | None = None

    def __post_init__(self):
        self.frames = np.asarray(self.frames)
        if self.frames.ndim != 3 or self.frames.dtype != np.uint8:
            raise ValueError(f"frames must be a uint8 (T, H, W) array, got {self.frames.dtype} {self.frames.shape}")
        t = self.frames.shape[0]
        self.responses = np.asarray(self.responses, dtype=np.float32)
        if self.responses.ndim != 2 or self.responses.shape[0] != t:
            raise ValueError(f"responses must be (T={t}, N), got {self.responses.shape}")
        if not np.isfinite(self.responses).all():
            raise ValueError("responses contain NaN or inf")
        self.unit_ids = np.asarray(self.unit_ids, dtype=np.int64)
        if self.unit_ids.shape != (self.responses.shape[1],):
            raise ValueError(f"unit_ids must have one entry per response column ({self.responses.shape[1]}), "
                             f"got shape {self.unit_ids.shape}")
        if self.behaviour is not None:
            self.behaviour = np.asarray(self.behaviour, dtype=np.float32)
            if self.behaviour.shape != (t, len(BEHAVIOUR_COLUMNS)):
                raise ValueError(f"behaviour must be (T={t}, {len(BEHAVIOUR_COLUMNS)}) with columns "
                                 f"{BEHAVIOUR_COLUMNS}, got {self.behaviour.shape}")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.train_mask is not None:
            self.train_mask = np.asarray(self.train_mask, dtype=bool)
            if self.train_mask.shape != (t,) or not self.train_mask.any():
                raise ValueError(f"train_mask must be a (T={t},) bool array with at least one True, got shape "
                                 f"{self.train_mask.shape}")

    @property
    def key(self) -> dict:
        """``{"session", "scan_idx"}`` primary key of the scan."""
        return {"session": int(self.session), "scan_idx": int(self.scan_idx)}

    @property
    def n_units(self) -> int:
        return self.responses.shape[1]

    def behaviour_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """NaN-aware mean and std (ddof 0) per behaviour column; 0 / 1 where a column has no finite value or no
        spread."""
        k = len(BEHAVIOUR_COLUMNS)
        if self.behaviour is None:
            return np.zeros(k, np.float32), np.ones(k, np.float32)
        finite = np.isfinite(self.behaviour)
        count = finite.sum(axis=0)
        filled = np.where(finite, self.behaviour, 0.0)
        mean = np.divide(filled.sum(axis=0), count, out=np.zeros(k), where=count > 0)
        var = np.divide((np.where(finite, self.behaviour - mean, 0.0) ** 2).sum(axis=0), count,
                        out=np.zeros(k), where=count > 0)
        std = np.sqrt(var)
        return mean.astype(np.float32), np.where(std > 1e-6, std, 1.0).astype(np.float32)

    def response_scale(self) -> np.ndarray:
        """Per-unit std of the training responses (``train_mask`` frames; floored at 1e-3 of the median std), so
        scaled traces have unit spread."""
        std = (self.responses if self.train_mask is None else self.responses[self.train_mask]).std(axis=0)
        floor = max(float(np.median(std)) * 1e-3, 1e-8)
        return np.maximum(std, floor).astype(np.float32)
