"""Demo behaviour: running on the treadmill and pupil size, raw and resampled to the scan frames.

A latent state is drawn on a 100 Hz master grid: alternating still/running bouts (exponential durations, means
``STILL_S`` and ``RUN_S``) with a smooth speed while running, and a pupil radius that follows running with a
~2 s lag plus slow fluctuations. The raw tables sample it like the rigs: treadmill ~100 Hz (cm/s, encoder noise),
eye camera ~20 Hz (ellipse radii and centre in px, NaN during blinks), both with timing jitter and a second of
margin around the scan. The synced tables use the nda recipe (:func:`nda_ext.compute.resample.resample`).
"""

import numpy as np
from scipy.signal import lfilter

from nda_ext.compute.resample import resample

MASTER_RATE = 100.0
STILL_S, RUN_S = 40.0, 20.0
MARGIN_S = 1.0


def _ar1(rng, n, tau_s, rate=MASTER_RATE):
    """Unit-variance Ornstein-Uhlenbeck samples with time constant ``tau_s`` on a grid of ``rate`` Hz."""
    rho = np.exp(-1.0 / (tau_s * rate))
    noise = rng.normal(0, np.sqrt(1 - rho ** 2), n)
    noise[0] = rng.normal()
    return lfilter([1.0], [1.0, -rho], noise)


def _smooth(x, tau_s, rate=MASTER_RATE):
    """Causal exponential smoothing with time constant ``tau_s``."""
    alpha = 1 - np.exp(-1.0 / (tau_s * rate))
    return lfilter([alpha], [1.0, alpha - 1.0], x, zi=[x[0] * (1 - alpha)])[0]


def _running_state(rng, times):
    """0/1 running indicator at ``times`` from alternating exponential bouts (starting still)."""
    span = times[-1] - times[0]
    n_bouts = int(np.ceil(span / min(STILL_S, RUN_S))) + 2
    means = np.where(np.arange(n_bouts) % 2, RUN_S, STILL_S)
    ends = times[0] + np.cumsum(rng.exponential(means))
    return (np.searchsorted(ends, times, side="right") % 2).astype(float)


def _jittered_times(rng, start, stop, rate):
    times = np.arange(start, stop, 1.0 / rate)
    return times + rng.uniform(-0.1, 0.1, times.size) / rate


def _standardise(x):
    """Zero mean, unit variance (zeros for a constant signal)."""
    return (x - x.mean()) / (x.std() or 1.0)


def behavior(rng, scan_key, frame_times):
    """Behaviour rows of one scan and the latent modulators at the frame times.

    Args:
        rng: numpy Generator.
        scan_key: dict with session and scan_idx.
        frame_times: scan frame times, s (behaviour clock).

    Returns:
        (rows, latent): rows is a dict table name -> row for RawManualPupil, ManualPupil, RawTreadmill, Treadmill;
        latent is a dict with ``pupil`` and ``running`` (standardised, float64, length nframes), the signals the
        response model's behavioural gain uses.
    """
    master = np.arange(frame_times[0] - MARGIN_S - 0.5, frame_times[-1] + MARGIN_S + 0.5, 1.0 / MASTER_RATE)
    running = _smooth(_running_state(rng, master), 0.8)
    speed = running * np.clip(15.0 + 6.0 * _ar1(rng, master.size, 5.0), 2.0, None)
    radius = 24.0 + 3.0 * _ar1(rng, master.size, 10.0) + 8.0 * _smooth(running, 2.0)

    tread_times = _jittered_times(rng, frame_times[0] - MARGIN_S, frame_times[-1] + MARGIN_S, 100.0)
    velocity = np.interp(tread_times, master, speed) + rng.normal(0, 0.5, tread_times.size)

    pupil_times = _jittered_times(rng, frame_times[0] - MARGIN_S, frame_times[-1] + MARGIN_S, 20.0)
    major = np.interp(pupil_times, master, radius) + rng.normal(0, 0.3, pupil_times.size)
    minor = major * 0.9 + rng.normal(0, 0.3, pupil_times.size)
    centre_x = 160.0 + 2.0 * np.interp(pupil_times, master, _ar1(rng, master.size, 3.0))
    centre_y = 120.0 + 1.5 * np.interp(pupil_times, master, _ar1(rng, master.size, 3.0))
    pupil = {"pupil_min_r": minor, "pupil_maj_r": major, "pupil_x": centre_x, "pupil_y": centre_y}
    n_blinks = max(int((pupil_times[-1] - pupil_times[0]) / 40), 1)
    blink_starts = np.sort(rng.uniform(pupil_times[0], pupil_times[-1], n_blinks))
    blink_ends = blink_starts + rng.uniform(0.2, 1.0, blink_starts.size)
    blinking = (np.searchsorted(blink_starts, pupil_times, side="right")
                > np.searchsorted(np.sort(blink_ends), pupil_times, side="right"))
    for trace in pupil.values():
        trace[blinking] = np.nan

    rows = {
        "RawManualPupil": dict(scan_key, **pupil, pupil_times=pupil_times),
        "ManualPupil": dict(scan_key, **{k: resample(v, pupil_times, frame_times) for k, v in pupil.items()}),
        "RawTreadmill": dict(scan_key, treadmill_velocity=velocity, treadmill_timestamps=tread_times),
        "Treadmill": dict(scan_key, treadmill_velocity=resample(velocity, tread_times, frame_times)),
    }
    latent = {"pupil": _standardise(np.interp(frame_times, master, radius)),
              "running": _standardise(np.interp(frame_times, master, speed))}
    return rows, latent
