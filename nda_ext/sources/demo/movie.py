"""Whole-scan ``Stimulus.movie`` built like the BCM export (docs/nda_v8.md section 5.6), in chunks of scan frames.

The display-rate signal (condition frames, black/grey padding, last frame held through gaps) is low-passed to the
scan rate and linearly interpolated at the scan frame times by :func:`nda_ext.compute.resample.resample`, then
resized to 90 x 160 and cast to uint8. Chunks carry a filter-length margin of display flips on both sides, so the
result equals resampling the whole display signal at once (the Hamming filter spans +-1 s of flips).
"""

import numpy as np

from nda_ext.compute.resample import resample, resize_frames
from nda_ext.sources.demo.config import MOVIE_SHAPE
from nda_ext.sources.demo.schedule import BLACK, GREY

CHUNK_FRAMES = 256
"""Scan frames resampled per chunk."""


def _display_frames(plan, movies, flips):
    """Grey levels (len(flips), h, w) float32 shown at display flips ``flips``."""
    shape = movies[0].shape[1:]
    out = np.zeros((flips.size,) + shape, dtype=np.float32)
    shown = plan.trial[flips]
    for trial in np.unique(shown):
        where = shown == trial
        if trial == GREY:
            out[where] = 128.0
        elif trial != BLACK:
            out[where] = movies[trial][plan.frame[flips[where]]]
    return out


def stimulus_movie(plan, movies, frame_times):
    """Stimulus movie of one scan, uint8 (90, 160, nframes).

    Args:
        plan: the scan's DisplayPlan.
        movies: condition movie (T, h, w) of each trial, in trial order.
        frame_times: scan frame times, s (stimulus clock = behaviour clock in the demo).

    Returns:
        uint8 array (90, 160, len(frame_times)).
    """
    n_flips = plan.trial.size
    margin = int(np.ceil(plan.fps)) + 2
    out = np.empty(MOVIE_SHAPE + (frame_times.size,), dtype=np.uint8)
    n_chunks = max(frame_times.size // CHUNK_FRAMES, 1)
    for chunk in np.array_split(np.arange(frame_times.size), n_chunks):
        first, targets = chunk[0], frame_times[chunk]
        lo = max(int(np.floor(targets[0] * plan.fps)) - margin, 0)
        hi = min(int(np.ceil(targets[-1] * plan.fps)) + margin + 1, n_flips)
        flips = np.arange(lo, hi)
        frames = _display_frames(plan, movies, flips)
        sampled = resample(frames, flips / plan.fps, targets, axis=0)
        sampled = resize_frames(np.nan_to_num(sampled), MOVIE_SHAPE)
        out[:, :, first:first + targets.size] = np.moveaxis(np.clip(np.round(sampled), 0, 255), 0, -1)
    return out
