"""Resampling of time series and image frames (no database).

Time-series resampling follows the BCM/nda recipe used for ``Stimulus.movie``, ``ManualPupil`` and ``Treadmill``
(``export_utils.hamming_filter`` + linear interpolation): a Hamming-window FIR low-pass (``scipy.signal.firwin``,
cutoff = target rate / 2, ``round(2 * source_rate + 1)`` taps, made odd) applied zero-phase, then linear
interpolation at the target times, NaN outside the source time range.

Frame resizing (``resize_matrix``/``resize_frames``) is separable: area averaging when shrinking (like OpenCV
``INTER_AREA``) and linear interpolation between pixel centres when enlarging.
"""

import numpy as np
from scipy import ndimage, signal


def _float_array(x, name):
    """Return ``x`` as a floating array (float32 kept, integers and others to float64)."""
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise TypeError(f"{name} must be numeric, got dtype {x.dtype}")
    return x.astype(np.result_type(x.dtype, np.float32), copy=False)


def hamming_taps(source_rate, target_rate):
    """Hamming-window FIR low-pass taps for downsampling from ``source_rate`` to ``target_rate``.

    Args:
        source_rate: sampling rate of the signal, Hz (> 0).
        target_rate: rate the signal will be resampled to, Hz (> 0, < source_rate).

    Returns:
        1-D float64 array of odd length ``round(2 * source_rate + 1)`` (+1 if even), cutoff ``target_rate / 2`` Hz.
    """
    if not source_rate > 0:
        raise ValueError(f"source_rate must be > 0 Hz, got {source_rate}")
    if not 0 < target_rate < source_rate:
        raise ValueError(f"target_rate must be in (0, source_rate={source_rate}) Hz, got {target_rate}")
    numtaps = int(round(2 * source_rate + 1))
    numtaps += 1 - numtaps % 2
    return signal.firwin(numtaps, target_rate / 2, window="hamming", fs=source_rate)


def hamming_lowpass(x, source_rate, target_rate, axis=-1):
    """Low-pass ``x`` along ``axis`` before downsampling to ``target_rate`` (nda ``hamming_filter``).

    The symmetric FIR of :func:`hamming_taps` is applied centred (zero phase). Edges are padded with the edge
    value (``mode="nearest"``); BCM's ``hamming_filter`` uses ``scipy.ndimage.convolve1d``'s default
    ``mode="reflect"`` (the edge samples mirrored). The two differ only within half a filter length (about 1 s)
    of each end. NaNs propagate over
    the filter length; :func:`resample` handles NaN gaps. When ``target_rate >= source_rate`` nothing needs
    removing and ``x`` is returned as a float array.

    Args:
        x: array of samples; float32 stays float32, other types become float64.
        source_rate: sampling rate of ``x``, Hz.
        target_rate: rate ``x`` will be resampled to, Hz.
        axis: time axis of ``x``.

    Returns:
        Filtered array, same shape as ``x``.
    """
    x = _float_array(x, "x")
    if not target_rate > 0:
        raise ValueError(f"target_rate must be > 0 Hz, got {target_rate}")
    if target_rate >= source_rate:
        return x.copy()
    taps = hamming_taps(source_rate, target_rate).astype(x.dtype)
    return ndimage.convolve1d(x, taps, axis=axis, mode="nearest")


def _median_rate(times, name):
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or times.size < 2:
        raise ValueError(f"{name} must be a 1-D array of at least 2 times, got shape {times.shape}")
    dt = np.diff(times)
    if not np.all(dt > 0):
        raise ValueError(f"{name} must be strictly increasing")
    return times, 1.0 / np.median(dt)


def _fill_nan(x):
    """Linearly interpolate over NaNs along the last axis (rows without a finite sample stay NaN)."""
    flat = x.reshape(-1, x.shape[-1])
    rows = np.flatnonzero(np.isnan(flat).any(axis=1))
    positions = np.arange(flat.shape[1])
    for row in rows:
        good = ~np.isnan(flat[row])
        if good.any():
            flat[row] = np.interp(positions, positions[good], flat[row, good])
    return flat.reshape(x.shape)


def _interp_last_axis(x, source_times, target_times):
    """Linear interpolation of ``x[..., n]`` from ``source_times`` to ``target_times``; NaN outside."""
    idx = np.clip(np.searchsorted(source_times, target_times, side="right") - 1, 0, source_times.size - 2)
    weight = (target_times - source_times[idx]) / (source_times[idx + 1] - source_times[idx])
    weight = weight.astype(x.dtype)
    out = x[..., idx] * (1 - weight) + x[..., idx + 1] * weight
    out[..., (target_times < source_times[0]) | (target_times > source_times[-1])] = np.nan
    return out


def resample(x, source_times, target_times, *, axis=-1, lowpass=True):
    """Resample ``x`` from ``source_times`` to ``target_times`` (nda behaviour/stimulus recipe).

    Rates are estimated from the median sample interval of each time vector. If the target rate is lower than
    the source rate (and ``lowpass``), ``x`` is first low-passed with :func:`hamming_lowpass`; then it is
    linearly interpolated at ``target_times``. Targets outside ``[source_times[0], source_times[-1]]`` are NaN.
    NaN gaps in ``x`` (e.g. blinks in pupil fits) are bridged for filtering and restored: a target is NaN
    whenever one of its two bracketing source samples is NaN.

    Args:
        x: samples, ``x.shape[axis] == len(source_times)``.
        source_times: strictly increasing sample times of ``x``, s.
        target_times: strictly increasing times to sample at, s (at least 2 when low-passing).
        axis: time axis of ``x``.
        lowpass: apply the anti-aliasing Hamming low-pass.

    Returns:
        Array like ``x`` with ``axis`` of length ``len(target_times)``; float32 if ``x`` is float32, else float64.
    """
    x = np.moveaxis(_float_array(x, "x"), axis, -1)
    source_times, source_rate = _median_rate(source_times, "source_times")
    if x.shape[-1] != source_times.size:
        raise ValueError(
            f"x has {x.shape[-1]} samples along axis {axis} but source_times has {source_times.size}"
        )
    target_times = np.asarray(target_times, dtype=np.float64)
    if target_times.ndim != 1:
        raise ValueError(f"target_times must be 1-D, got shape {target_times.shape}")
    missing = np.isnan(x)
    has_gaps = bool(missing.any())
    if has_gaps:
        x = _fill_nan(x.copy())
    if lowpass:
        _, target_rate = _median_rate(target_times, "target_times")
        x = hamming_lowpass(x, source_rate, target_rate, axis=-1)
    out = _interp_last_axis(x, source_times, target_times)
    if has_gaps:
        touched = _interp_last_axis(missing.astype(np.float32), source_times, target_times)
        out[touched > 0] = np.nan
    return np.moveaxis(out, -1, axis)


def resize_matrix(n_in, n_out):
    """Matrix ``R`` (n_out x n_in) resizing one image axis: ``resized = R @ column``.

    Shrinking averages the input pixels each output pixel covers (fractional overlaps weighted, rows sum to 1),
    like OpenCV ``INTER_AREA``; enlarging interpolates linearly between pixel centres with edge clamping.
    """
    if int(n_in) < 1 or int(n_out) < 1:
        raise ValueError(f"n_in and n_out must be >= 1, got {n_in}, {n_out}")
    if n_out <= n_in:
        scale = n_in / n_out
        lo = np.arange(n_out)[:, None] * scale
        pix = np.arange(n_in)[None, :]
        overlap = np.clip(np.minimum(lo + scale, pix + 1) - np.maximum(lo, pix), 0, None)
        return overlap / scale
    centre = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    left = np.minimum(np.floor(centre).astype(int), max(n_in - 2, 0))
    weight = centre - left
    matrix = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    matrix[rows, left] += 1 - weight
    matrix[rows, np.minimum(left + 1, n_in - 1)] += weight
    return matrix


def resize_frames(frames, shape):
    """Resize the last two axes (height, width) of ``frames`` to ``shape`` with :func:`resize_matrix`.

    Args:
        frames: array ``(..., H, W)``.
        shape: ``(height, width)`` of the output frames.

    Returns:
        Float array ``(..., height, width)`` (float32 for float32, 8- and 16-bit integer input, else float64).
    """
    frames = _float_array(frames, "frames")
    if frames.ndim < 2:
        raise ValueError(f"frames must have at least 2 dimensions (H, W), got shape {frames.shape}")
    rows = resize_matrix(frames.shape[-2], shape[0]).astype(frames.dtype)
    cols = resize_matrix(frames.shape[-1], shape[1]).astype(frames.dtype)
    resized_cols = np.tensordot(frames, cols, axes=([-1], [1]))
    return np.moveaxis(np.tensordot(rows, resized_cols, axes=([1], [-2])), 0, -2)
