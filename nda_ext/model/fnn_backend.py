"""Adapter for the official MICrONS digital twin through the ``fnn`` package (``docs/fnn_release.md`` §1, §3).

The released networks expect 30 Hz greyscale uint8 frames of 144 x 256 pixels, perspective = z-scored pupil
centre (x, y) and modulation = z-scored (pupil radius, treadmill), each z-scored with the scan's training
mean/std; ``None`` means average behaviour (zeros). The release does not include those statistics, so callers
who feed real behaviour pass statistics they recomputed (default: the statistics of the behaviour given).
Outputs are in units of the standardised training traces, not raw trace units.

``fnn`` is optional: ``pip install git+https://github.com/cajal/fnn.git``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nda_ext.model.video import hold_indices, interpolate_traces, resize_frames

FNN_FPS = 30.0
FNN_SIZE = (144, 256)
INSTALL_HINT = "pip install git+https://github.com/cajal/fnn.git"


def require_fnn():
    """Import ``fnn.microns``; a clear ImportError with the install command when fnn is missing."""
    try:
        from fnn import microns
    except ImportError as err:
        raise ImportError(f"the 'fnn' backend needs the fnn package (MICrONS foundation model): {INSTALL_HINT}") \
            from err
    return microns


def zscore_behaviour(behaviour: np.ndarray, mean: np.ndarray | None = None,
                     std: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Split and z-score behaviour for fnn.

    Args:
        behaviour: (T, 4) raw ``pupil_x, pupil_y, pupil_radius, treadmill``.
        mean: (4,) training mean of the scan; default the NaN-mean of ``behaviour``.
        std: (4,) training std of the scan; default the NaN-std of ``behaviour`` (1 where 0).

    Returns:
        perspectives (T, 2) and modulations (T, 2), float64, NaN replaced by 0 (the mean).
    """
    behaviour = np.asarray(behaviour, dtype=float)
    if behaviour.ndim != 2 or behaviour.shape[1] != 4:
        raise ValueError(f"behaviour must be (T, 4) pupil_x, pupil_y, pupil_radius, treadmill; got {behaviour.shape}")
    mean = np.nanmean(behaviour, axis=0) if mean is None else np.asarray(mean, dtype=float)
    if std is None:
        std = np.nanstd(behaviour, axis=0)
        std = np.where(std > 1e-12, std, 1.0)
    z = np.nan_to_num((behaviour - mean) / np.asarray(std, dtype=float), nan=0.0)
    return z[:, :2], z[:, 2:]


def to_fnn_inputs(frames: np.ndarray, fps: float, behaviour: np.ndarray | None = None,
                  behaviour_stats: tuple[np.ndarray, np.ndarray] | None = None):
    """Resample one video (and its behaviour) to what the released networks expect.

    Args:
        frames: (T, H, W) uint8 frames at ``fps``.
        fps: input frame rate (Hz).
        behaviour: (T, 4) raw behaviour on the same clock, or None.
        behaviour_stats: (mean, std) of the scan's training behaviour, or None (see ``zscore_behaviour``).

    Returns:
        stimuli (T30, 144, 256) uint8 (sample-and-hold in time, antialiased bilinear in space), perspectives
        and modulations (T30, 2) or None.
    """
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 3:
        raise ValueError(f"frames must be uint8 (T, H, W), got {frames.dtype} {frames.shape}")
    index = hold_indices(frames.shape[0], fps, FNN_FPS)
    stimuli = resize_frames(frames, FNN_SIZE)[index]
    if behaviour is None:
        return stimuli, None, None
    mean, std = behaviour_stats if behaviour_stats is not None else (None, None)
    perspectives, modulations = zscore_behaviour(behaviour, mean, std)
    z = interpolate_traces(np.concatenate([perspectives, modulations], axis=1), fps, FNN_FPS, len(index))
    return stimuli, z[:, :2], z[:, 2:]


class FnnScan:
    """One scan of an official release, loaded with ``fnn.microns.scan``.

    Args:
        directory: release directory (``params_core.pt``, ``params_{session}_{scan_idx}.pt``, ``scans.csv``,
            ``units.csv``).
        scan_key: ``(session, scan_idx)`` or a mapping with those keys.
        cuda: use CUDA when available.

    Attributes:
        network: the ``fnn.model.networks.Visual`` network.
        units: DataFrame indexed by ``readout_id`` with ``session, scan_idx, unit_id``.
    """

    def __init__(self, directory, scan_key, cuda: bool = True):
        microns = require_fnn()
        session, scan_idx = ((scan_key["session"], scan_key["scan_idx"]) if isinstance(scan_key, dict)
                             else tuple(scan_key))
        self.session, self.scan_idx = int(session), int(scan_idx)
        directory = Path(directory)
        self.network, self.units = microns.scan(self.session, self.scan_idx, cuda=cuda, directory=str(directory))

    @property
    def n_units(self) -> int:
        return len(self.units)

    def respond(self, videos: np.ndarray) -> np.ndarray:
        """Responses (N, T, U) to N videos (N, T, 144, 256) uint8 already at 30 Hz, behaviour at its mean."""
        videos = np.asarray(videos)
        if videos.dtype != np.uint8 or videos.ndim != 4 or videos.shape[2:] != FNN_SIZE:
            raise ValueError(f"videos must be uint8 (N, T, {FNN_SIZE[0]}, {FNN_SIZE[1]}) at 30 Hz, got "
                             f"{videos.dtype} {videos.shape}")
        stimuli = np.moveaxis(videos, 1, 0)[..., None]  # T x [N, H, W, 1]
        return np.moveaxis(self.network.predict(stimuli=stimuli), 1, 0)

    def predict(self, frames: np.ndarray, fps: float, behaviour: np.ndarray | None = None,
                behaviour_stats: tuple[np.ndarray, np.ndarray] | None = None, burnin: int = 0) -> np.ndarray:
        """Predictions for one video shown at ``fps``, returned on the 30 Hz model clock.

        Args:
            frames: (T, H, W) uint8 frames at ``fps``.
            fps: frame rate (Hz) of ``frames`` and ``behaviour``.
            behaviour: (T, 4) raw behaviour or None (average behaviour).
            behaviour_stats: the scan's training (mean, std); see ``zscore_behaviour``.
            burnin: leading 30 Hz frames dropped.

        Returns:
            (T30 - burnin, U) float32 responses; sample i is at time i / 30 s from the first frame.
        """
        stimuli, perspectives, modulations = to_fnn_inputs(frames, fps, behaviour, behaviour_stats)
        if not 0 <= burnin < len(stimuli):
            raise ValueError(f"burnin must be in [0, {len(stimuli)}) frames at 30 Hz, got {burnin}")
        out = self.network.predict(stimuli=stimuli, perspectives=perspectives, modulations=modulations)
        return out[burnin:]

    def readout_locations(self) -> tuple[np.ndarray, np.ndarray]:
        """Readout positions (x, y) in [-1, 1], (-1, -1) bottom-left, in readout_id order (tanh-bounded ``mu``;
        y is the grid_sample y negated, as in ``nda_ext.model.network.readout_locations``)."""
        readout = self.network.readout
        grid = readout.bound(readout.position.mean).detach().cpu().numpy()
        return grid[:, 0].copy(), -grid[:, 1]
