"""Configuration of the demo dataset generator and deterministic random streams."""

import dataclasses
import zlib

import numpy as np

MOVIE_SHAPE = (90, 160)
"""(height, width) of ``Stimulus.movie`` frames in v8."""

SCAN_INCLUDE = ((4, 7), (5, 6), (5, 7), (6, 2), (6, 4), (6, 6), (6, 7), (7, 3), (7, 4), (7, 5), (8, 5), (9, 3),
                (9, 4), (9, 6))
"""The 14 (session, scan_idx) pairs of the v8 ``ScanInclude`` lookup; demo scans in this list are included."""


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    """Settings of a synthetic nda v8 dataset. Defaults give a laptop-sized dataset (2 scans x 300 units x 10 min).

    Attributes:
        seed: master seed; every random stream is derived from it (same seed, same dataset).
        scans: (session, scan_idx) pairs to generate.
        n_units: masks (= units) per scan, spread over the fields.
        duration_s: scan duration, s; ``nframes = round(duration_s * fps)``.
        fps: volume rate, Hz.
        n_fields: fields per scan, 2 side by side per depth (as in the real 2 x 4 layout).
        field_depths_um: candidate field depths (motor z, um), used in order, one per pair of fields.
        field_shape: (px_height, px_width) of each field image (real 440 x 248).
        field_um: (um_height, um_width) of each field (real 1100 x 620 um).
        condition_fps: frame rate of the synthetic condition movies and of the display, Hz (real 60; 30 keeps the
            condition tables small). Recorded in the ``fps`` columns of Clip, Monet2 and Trippy.
        condition_shape: (height, width) of the stored condition movies; resized to 90 x 160 for
            ``Stimulus.movie`` as the BCM export does.
        model_shape: (height, width) grid on which the planted response model sees ``Stimulus.movie``.
        n_oracle_clips: repeated clips (nda oracle: 6).
        oracle_repeats: repeats of each oracle clip (nda oracle: 10).
        clip_duration_s: duration of every Clip condition, s (real 10).
        monet2_duration_s: duration of a Monet2 trial, s (real 15; 16 segments of duration / 16).
        monet2_fraction: target fraction of the scan spent on Monet2 trials.
        monet2_min_trials: minimum Monet2 trials per scan (each direction gets one segment per trial).
        trippy_duration_s: duration of a Trippy trial, s.
        trippy_fraction: target fraction of the scan spent on Trippy trials (at least one trial).
        soma_fraction: fraction of masks classified ``soma`` (the rest ``artifact``).
        untuned_fraction: fraction of soma units without orientation-selective drive.
    """

    seed: int = 0
    scans: tuple = ((4, 7), (5, 6))
    n_units: int = 300
    duration_s: float = 600.0
    fps: float = 6.3
    n_fields: int = 4
    field_depths_um: tuple = (80.0, 220.0, 360.0, 500.0)
    field_shape: tuple = (220, 124)
    field_um: tuple = (1100.0, 620.0)
    condition_fps: float = 30.0
    condition_shape: tuple = (36, 64)
    model_shape: tuple = (18, 32)
    n_oracle_clips: int = 6
    oracle_repeats: int = 10
    clip_duration_s: float = 5.0
    monet2_duration_s: float = 15.0
    monet2_fraction: float = 0.3
    monet2_min_trials: int = 10
    trippy_duration_s: float = 10.0
    trippy_fraction: float = 0.05
    soma_fraction: float = 0.9
    untuned_fraction: float = 0.2

    def __post_init__(self):
        scans = tuple((int(s), int(i)) for s, i in self.scans)
        object.__setattr__(self, "scans", scans)
        if not scans or len(set(scans)) != len(scans):
            raise ValueError(f"DemoConfig.scans must be non-empty and unique, got {self.scans}")
        for name in ("n_units", "n_fields", "n_oracle_clips", "oracle_repeats", "monet2_min_trials"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"DemoConfig.{name} must be >= 1, got {getattr(self, name)}")
        for name in ("duration_s", "fps", "condition_fps", "clip_duration_s", "monet2_duration_s",
                     "trippy_duration_s"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"DemoConfig.{name} must be > 0, got {getattr(self, name)}")
        for name in ("monet2_fraction", "trippy_fraction", "soma_fraction", "untuned_fraction"):
            if not 0 <= float(getattr(self, name)) <= 1:
                raise ValueError(f"DemoConfig.{name} must be in [0, 1], got {getattr(self, name)}")
        if self.n_units < self.n_fields:
            raise ValueError(f"DemoConfig.n_units={self.n_units} must be >= n_fields={self.n_fields}")
        if self.n_fields > 2 * len(self.field_depths_um):
            raise ValueError(f"DemoConfig.n_fields={self.n_fields} needs {-(-self.n_fields // 2)} "
                             f"field_depths_um, got {len(self.field_depths_um)}")
        for name in ("field_shape", "field_um", "condition_shape", "model_shape"):
            value = getattr(self, name)
            if len(value) != 2 or min(value) <= 0:
                raise ValueError(f"DemoConfig.{name} must be a positive (height, width) pair, got {value}")

    @property
    def nframes(self):
        """Scan frames (volumes) per field."""
        return int(round(self.duration_s * self.fps))


def rng_for(seed, *labels):
    """Independent, reproducible generator for one component, e.g. ``rng_for(0, 4, 7, "tuning")``.

    Labels are converted to text and hashed with CRC32 (stable across processes, unlike ``hash``) into the
    seed sequence.
    """
    words = [zlib.crc32(str(label).encode()) for label in labels]
    return np.random.default_rng(np.random.SeedSequence([int(seed), *words]))
