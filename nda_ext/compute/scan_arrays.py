"""Plain-array views of one scan, the inputs of the per-scan compute functions (no database here)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ScanTraces:
    """Activity traces of all units of a scan.

    Attributes:
        unit_ids: (n_units,) nda unit_id, ascending.
        traces: (n_units, n_frames) activity (deconvolved, arbitrary units).
        frame_times: (n_frames,) s, volume start times (``ScanTimes.frame_times``).
        delays_s: (n_units,) s, when each unit was scanned within a volume (``ScanUnit.ms_delay / 1000``).
        fps: Volume rate, Hz.
    """

    unit_ids: np.ndarray
    traces: np.ndarray
    frame_times: np.ndarray
    delays_s: np.ndarray
    fps: float


@dataclass
class Monet2Trials:
    """Monet2 trials of a scan (Monet2's own direction convention, converted by the epoch functions).

    Attributes:
        start_s: (n_trials,) first flip, s from scan start.
        onsets_s: (n_trials, n_segments) segment onsets from the trial start, s.
        directions_deg: (n_trials, n_segments) Monet2 directions, deg.
        duration_s, n_dirs, ori_fraction: (n_trials,) per-trial Monet2 settings.
    """

    start_s: np.ndarray
    onsets_s: np.ndarray
    directions_deg: np.ndarray
    duration_s: np.ndarray
    n_dirs: np.ndarray
    ori_fraction: np.ndarray


@dataclass
class ClipTrials:
    """Clip trials of a scan in presentation order.

    Attributes:
        condition_hashes: (n_trials,) condition of each trial.
        start_s: (n_trials,) first flip, s from scan start.
        duration_s: (n_trials,) clip duration, s.
    """

    condition_hashes: np.ndarray
    start_s: np.ndarray
    duration_s: np.ndarray
