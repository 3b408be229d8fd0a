"""Leave-one-out oracle correlation from repeated clips (nda ``Oracle``, docs/metrics.md: "Oracle", docs/nda_v8.md §6).

Oracle clips are the condition hashes shown exactly ``n_repeats`` times in a scan. For every unit and repeat, the
response is correlated with the mean of the other repeats; the oracle is one Pearson correlation over all
(repeat, clip, frame) pairs pooled (the jackknife form of ``neuralpredictors.oracle_corr_jackknife``).
"""
import numpy as np

from nda_ext.compute.correlation import as_repeats, pearson
from nda_ext.compute.epochs import row_searchsorted

__all__ = ["oracle_clips", "oracle_trials", "oracle_raster", "oracle_correlation"]


def oracle_clips(condition_hashes, n_repeats=10):
    """Condition hashes shown exactly ``n_repeats`` times, ordered by first occurrence.

    Args:
        condition_hashes: condition hash of every trial in presentation order ``(n_trials,)``.
        n_repeats: required number of presentations.

    Returns:
        array of hashes ``(n_clips,)``.
    """
    hashes = np.asarray(condition_hashes)
    unique, first, counts = np.unique(hashes, return_index=True, return_counts=True)
    keep = counts == n_repeats
    return unique[keep][np.argsort(first[keep])]


def oracle_trials(condition_hashes, n_repeats=10):
    """Trial positions of the oracle clips: ``index[r, c]`` is the ``r``-th presentation of clip ``c``.

    Args:
        condition_hashes: condition hash of every trial in presentation order ``(n_trials,)``.
        n_repeats: required number of presentations.

    Returns:
        ``(clips, index)``: hashes ``(n_clips,)`` ordered by first occurrence and int positions into
        ``condition_hashes`` ``(n_repeats, n_clips)``.
    """
    hashes = np.asarray(condition_hashes)
    clips = oracle_clips(hashes, n_repeats)
    index = np.stack([np.flatnonzero(hashes == clip) for clip in clips], 1) if clips.size else \
        np.empty((n_repeats, 0), int)
    return clips, index


def _interpolate_rows(traces, sample_times, query):
    """Linear interpolation of every row of ``traces`` at ``query`` ``(m,)``; NaN outside the sampled range."""
    if sample_times.ndim == 1:
        right = np.broadcast_to(np.searchsorted(sample_times, query), (traces.shape[0], query.size))
        times = np.broadcast_to(sample_times, traces.shape)
    else:
        right, times = row_searchsorted(sample_times, query), sample_times
    inside = (query >= times[:, :1]) & (query <= times[:, -1:])
    right = right.clip(1, traces.shape[1] - 1)
    t0, t1 = np.take_along_axis(times, right - 1, 1), np.take_along_axis(times, right, 1)
    y0, y1 = np.take_along_axis(traces, right - 1, 1), np.take_along_axis(traces, right, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = y0 + (y1 - y0) * np.where(t1 > t0, (query - t0) / (t1 - t0), 0.0)
    return np.where(inside, value, np.nan)


def oracle_raster(traces, sample_times, trial_start_s, trial_end_s, trial_index, n_frames, normalize=True):
    """Oracle raster of every unit, as ``fetch_oracle_raster`` of microns_phase3 (docs/nda_v8.md §6).

    Each oracle trial is resampled at ``linspace(start, end, n_frames)`` by linear interpolation of the unit's trace
    on its own sample times; with ``normalize`` each repeat is min-max scaled over all its clips and frames.

    Args:
        traces: activity ``(n_units, n_samples)``.
        sample_times: ``(n_samples,)`` or per unit ``(n_units, n_samples)``, s (``frame_times + ms_delay / 1000``).
        trial_start_s, trial_end_s: first and last flip of every trial, s (``Trial.start_frame_time``,
            ``Trial.end_frame_time``), ``(n_trials,)``.
        trial_index: ``(n_repeats, n_clips)`` positions of the oracle trials, from :func:`oracle_trials`.
        n_frames: frames per clip (``round(Clip.fps * Clip.duration)``).
        normalize: min-max normalise per unit and repeat.

    Returns:
        float array ``(n_units, n_repeats, n_clips, n_frames)``.
    """
    traces = np.asarray(traces, dtype=float)
    sample_times = np.asarray(sample_times, dtype=float)
    index = np.asarray(trial_index)
    start = np.asarray(trial_start_s, dtype=float)[index]
    end = np.asarray(trial_end_s, dtype=float)[index]
    query = start[..., None] + (end - start)[..., None] * np.linspace(0.0, 1.0, n_frames)
    raster = _interpolate_rows(traces, sample_times, query.ravel()).reshape((traces.shape[0],) + query.shape)
    if normalize:
        flat = raster.reshape(raster.shape[0], raster.shape[1], -1)
        low = np.nanmin(flat, -1)[..., None, None]
        high = np.nanmax(flat, -1)[..., None, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            raster = (raster - low) / (high - low)
    return raster


def oracle_correlation(responses):
    """Leave-one-out oracle correlation per unit, pooled over repeats, clips and frames.

    For every finite value ``x[r, s]`` the leave-one-out mean is the mean of the other finite repeats at ``s``; pairs
    with no other repeat are skipped (NaN-padded repeats allowed).

    Args:
        responses: ``(n_units, n_repeats, n_samples)`` or ``(n_units, n_repeats, n_clips, n_frames)``.

    Returns:
        array ``(n_units,)`` of Pearson correlations.
    """
    x = as_repeats(responses)
    valid = np.isfinite(x)
    total = np.where(valid, x, 0.0).sum(1, keepdims=True)
    others = valid.sum(1, keepdims=True) - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        loo = np.where(valid & (others > 0), (total - x) / others, np.nan)
    return pearson(x.reshape(x.shape[0], -1), loo.reshape(x.shape[0], -1))
