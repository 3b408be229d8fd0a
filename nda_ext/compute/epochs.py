"""Monet2 direction epochs: segment times, per-segment responses and direction tuning curves.

Recipe (cajal/foundation, see docs/metrics.md: "Monet2 direction tuning curve"): every Monet2 trial shows ``n_dirs``
motion segments; segment ``j`` starts ``onsets[j]`` seconds after the trial start and lasts ``duration / n_dirs *
ori_fraction`` seconds. The response of a unit to a segment is the mean of its trace samples inside the segment
window shifted by a latency.

Direction convention: Monet2 stores ``directions`` in its own convention; this module returns directions in the
package convention (degrees, 0 = rightward motion, counter-clockwise positive) via ``(90 - d) % 360``.
"""
import numpy as np

__all__ = ["monet2_segments", "segment_responses", "direction_labels", "direction_curves", "row_searchsorted"]


def monet2_segments(onsets_s, directions_deg, duration_s, n_dirs, ori_fraction, trial_start_s=0.0):
    """Segment windows of one or many Monet2 trials.

    Args:
        onsets_s: segment onsets in s from trial start, shape ``(n_segments,)`` for one trial or
            ``(n_trials, n_segments)``.
        directions_deg: Monet2 motion directions in degrees (Monet2 convention), same shape as ``onsets_s``.
        duration_s: trial duration in s (``Monet2.duration``), scalar or ``(n_trials,)``.
        n_dirs: number of direction segments per trial (``Monet2.n_dirs``), scalar or ``(n_trials,)``.
        ori_fraction: fraction of each segment with coherent motion (``Monet2.ori_fraction``), scalar or
            ``(n_trials,)``.
        trial_start_s: trial start time added to every onset (e.g. ``Trial.start_frame_time``, s from scan start),
            scalar or ``(n_trials,)``. Default 0 returns times relative to the trial start.

    Returns:
        ``(start_s, end_s, direction_deg)``, each a flat float array of length ``n_trials * n_segments`` in trial-major
        order; ``direction_deg`` is in the package convention ``(90 - d) % 360``.

    Raises:
        ValueError: if ``onsets_s`` and ``directions_deg`` differ in shape, or the per-trial arguments do not broadcast.
    """
    onsets = np.atleast_2d(np.asarray(onsets_s, dtype=float))
    directions = np.atleast_2d(np.asarray(directions_deg, dtype=float))
    if onsets.ndim != 2 or onsets.shape != directions.shape:
        raise ValueError(
            f"onsets_s and directions_deg must have the same 1-D or 2-D shape, got {np.shape(onsets_s)} "
            f"and {np.shape(directions_deg)}"
        )
    per_trial = {}
    for name, value in (("duration_s", duration_s), ("n_dirs", n_dirs), ("ori_fraction", ori_fraction),
                        ("trial_start_s", trial_start_s)):
        value = np.asarray(value, dtype=float)
        if value.ndim > 1 or (value.ndim == 1 and value.size not in (1, onsets.shape[0])):
            raise ValueError(f"{name} must be a scalar or have one value per trial ({onsets.shape[0]}), "
                             f"got shape {value.shape}")
        per_trial[name] = value.reshape(-1, 1)
    length = per_trial["duration_s"] / per_trial["n_dirs"] * per_trial["ori_fraction"]
    start = onsets + per_trial["trial_start_s"]
    end = start + length
    return start.ravel(), end.ravel(), ((90.0 - directions) % 360.0).ravel()


def row_searchsorted(sorted_rows, values, side="left"):
    """``np.searchsorted`` of the same ``values`` into every row of a row-sorted 2-D array.

    Args:
        sorted_rows: array ``(n_rows, n)``, each row sorted ascending.
        values: array ``(m,)`` of query values.
        side: ``'left'`` or ``'right'`` as in ``np.searchsorted``.

    Returns:
        int array ``(n_rows, m)`` of insertion indices.
    """
    return np.stack([np.searchsorted(row, values, side=side) for row in sorted_rows])


def _window_indices(sample_times, lower, upper, n_units):
    """Per-unit index ranges ``[lo, hi)`` of samples with ``lower <= t < upper``; shapes ``(n_units, n_windows)``."""
    queries = np.concatenate([lower, upper])
    if sample_times.ndim == 1:
        idx = np.broadcast_to(np.searchsorted(sample_times, queries, side="left"), (n_units, queries.size))
    else:
        idx = row_searchsorted(sample_times, queries, side="left")
    return idx[:, :lower.size], idx[:, lower.size:]


def segment_responses(traces, sample_times, seg_start, seg_end, latency_s=0.0, chunk_size=512):
    """Mean trace value of every unit in every segment window.

    A sample at time ``t`` belongs to a segment when ``start + latency_s <= t < end + latency_s``. NaN samples are
    ignored; a segment with no finite sample gives NaN. Computed from per-unit cumulative sums and binary search
    (no loop over segments); units are processed in chunks of ``chunk_size`` rows to bound memory.

    Args:
        traces: activity, shape ``(n_units, n_samples)``.
        sample_times: sample times in s on the same clock as the segments, either shared ``(n_samples,)`` or per unit
            ``(n_units, n_samples)`` (nda: ``ScanTimes.frame_times + ScanUnit.ms_delay / 1000``); ascending per row.
        seg_start: segment start times in s, shape ``(n_segments,)``.
        seg_end: segment end times in s, shape ``(n_segments,)``.
        latency_s: response latency in s added to both window edges.
        chunk_size: number of units per chunk.

    Returns:
        float array ``(n_units, n_segments)`` of mean responses.

    Raises:
        ValueError: on mismatched shapes, non-finite or unsorted ``sample_times``.
    """
    traces = np.asarray(traces, dtype=float)
    sample_times = np.asarray(sample_times, dtype=float)
    seg_start = np.asarray(seg_start, dtype=float).ravel()
    seg_end = np.asarray(seg_end, dtype=float).ravel()
    if traces.ndim != 2:
        raise ValueError(f"traces must be 2-D (n_units, n_samples), got shape {traces.shape}")
    if sample_times.shape not in (traces.shape, traces.shape[1:]):
        raise ValueError(f"sample_times must have shape {traces.shape[1:]} or {traces.shape}, "
                         f"got {sample_times.shape}")
    if seg_start.shape != seg_end.shape:
        raise ValueError(f"seg_start and seg_end differ in length: {seg_start.size} vs {seg_end.size}")
    if not np.all(np.isfinite(sample_times)) or np.any(np.diff(sample_times, axis=-1) < 0):
        raise ValueError("sample_times must be finite and ascending along the sample axis")
    out = np.empty((traces.shape[0], seg_start.size))
    for first in range(0, traces.shape[0], chunk_size):
        rows = slice(first, first + chunk_size)
        chunk = traces[rows]
        times = sample_times if sample_times.ndim == 1 else sample_times[rows]
        lo, hi = _window_indices(times, seg_start + latency_s, seg_end + latency_s, chunk.shape[0])
        valid = np.isfinite(chunk)
        csum = np.concatenate([np.zeros((chunk.shape[0], 1)), np.cumsum(np.where(valid, chunk, 0.0), 1)], 1)
        ccount = np.concatenate([np.zeros((chunk.shape[0], 1), int), np.cumsum(valid, 1)], 1)
        total = np.take_along_axis(csum, hi, 1) - np.take_along_axis(csum, lo, 1)
        count = np.take_along_axis(ccount, hi, 1) - np.take_along_axis(ccount, lo, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[rows] = np.where(count > 0, total / count, np.nan)
    return out


def direction_labels(directions_deg, precision_deg=0.01):
    """Group segment directions: rounded to multiples of ``precision_deg`` (mod 360).

    Args:
        directions_deg: direction of each segment in degrees, shape ``(n_segments,)``.
        precision_deg: rounding step in degrees.

    Returns:
        ``(directions, labels)``: sorted unique directions in [0, 360) ``(n_dir,)`` and the index into ``directions``
        of every segment ``(n_segments,)``.
    """
    directions_deg = np.asarray(directions_deg, dtype=float).ravel()
    rounded = (np.round(directions_deg / precision_deg) * precision_deg) % 360.0
    return np.unique(rounded, return_inverse=True)


def direction_curves(responses, directions_deg, precision_deg=0.01):
    """Direction tuning curves: NaN-aware mean response per direction.

    Args:
        responses: single-segment responses, shape ``(n_units, n_segments)`` (or ``(n_segments,)`` for one unit).
        directions_deg: direction of each segment in degrees (package convention), shape ``(n_segments,)``.
        precision_deg: directions are rounded to multiples of this value (mod 360) before grouping.

    Returns:
        ``(directions, mean, count)``: sorted unique directions in [0, 360) ``(n_dir,)``; mean response
        ``(n_units, n_dir)`` over finite segments (NaN where a unit has none); number of segments per direction
        ``(n_dir,)`` (int).

    Raises:
        ValueError: if the number of segments differs between ``responses`` and ``directions_deg``.
    """
    responses = np.asarray(responses, dtype=float)
    directions, labels = direction_labels(directions_deg, precision_deg)
    if responses.shape[-1] != labels.size:
        raise ValueError(f"responses has {responses.shape[-1]} segments but directions_deg has {labels.size}")
    onehot = labels[:, None] == np.arange(directions.size)
    valid = np.isfinite(responses)
    sums = np.where(valid, responses, 0.0) @ onehot
    n_valid = valid.astype(float) @ onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_valid > 0, sums / n_valid, np.nan)
    return directions, mean, np.bincount(labels, minlength=directions.size)
