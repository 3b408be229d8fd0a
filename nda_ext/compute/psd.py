"""Population-rate power spectral densities, the automind (AutoMIND) summary-feature recipe.

Recipe (Gao et al. 2024, ``mackelab/automind``): pool the population into one rate per cell (no smoothing),
Welch PSD (Hann window, density scaling, constant detrend, segments of ``nperseg_s`` seconds overlapping by
``overlap``) over an analysis window, power on a fixed frequency grid as ``log10``, one feature column
``psd_<f>`` per grid frequency (``f`` in Hz, written like automind's ``f"psd_{f}"``: ``psd_0.5``, ``psd_1.0``).

The automind density estimator was trained on 0.5–495 Hz at 0.5 Hz (spikes binned at 1 kHz). Two-photon scans
sample at a few Hz, so the grid is cut at the Nyquist frequency ``fs / 2``: columns above it are absent, not NaN.
Where Welch's native resolution ``fs / nperseg`` differs from ``f_step``, the density is linearly interpolated
onto the grid before the log (on-grid frequencies are taken exactly).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import signal

DEFAULT_PSD_PARAMS = {
    "nperseg_s": 2.0,  # Welch segment length, seconds (2 s -> 0.5 Hz resolution)
    "overlap": 0.75,  # fraction of a segment shared with the next
    "window": "hann",
    "detrend": "constant",  # scipy.signal.welch detrend: "constant", "linear" or False
    "f_min": 0.5,  # Hz
    "f_max": 495.0,  # Hz, further limited to fs / 2
    "f_step": 0.5,  # Hz
    "analysis_window": (0.1, None),  # seconds from the start of the rate; None = end
    "log_power": True,  # log10 of the density
}
PSD_PREFIX = "psd_"


def bin_spike_trains(spike_times: Sequence, t_start: float, t_stop: float, dt: float = 0.001):
    """Bin spike times into counts on a grid of bin centres ``t_start, t_start + dt, …`` (edges at t − dt/2).

    Args:
        spike_times: one array of spike times (s) per unit.
        t_start, t_stop: first and last bin centre (s).
        dt: bin width (s); automind uses 1 ms.

    Returns:
        (t, counts): bin centres (T,) and spike counts (n_units, T).
    """
    centres = np.arange(t_start, t_stop + dt / 2, dt)
    edges = np.append(centres - dt / 2, centres[-1] + dt / 2)
    counts = np.stack([np.histogram(np.asarray(s, dtype=float), edges)[0] for s in spike_times])
    return centres, counts


def population_rate(traces, fs: float | None = None) -> np.ndarray:
    """Population rate per cell: mean over units at each time step (NaN samples ignored).

    Args:
        traces: (n_units, T) activity, e.g. deconvolved calcium traces or spike counts per bin.
        fs: sampling rate (Hz). Given for spike counts, the result is in spikes/s per cell
            (count / dt / n_cells, automind's ``return_fr``); omitted, the mean is returned in trace units.

    Returns:
        (T,) rate.
    """
    traces = np.asarray(traces, dtype=float)
    if traces.ndim != 2 or traces.shape[0] == 0:
        raise ValueError(f"traces: expected (n_units, T) with at least one unit, got shape {traces.shape}")
    rate = np.nanmean(traces, axis=0)
    return rate * fs if fs is not None else rate


def psd_frequencies(fs: float, params: Mapping | None = None) -> np.ndarray:
    """Feature frequency grid (Hz): ``f_min`` to ``min(f_max, fs / 2)`` in steps of ``f_step``."""
    p = _params(params)
    top = min(p["f_max"], fs / 2)
    n = int(np.floor((top - p["f_min"]) / p["f_step"] + 1e-9)) + 1
    if n < 1:
        raise ValueError(f"params: f_min={p['f_min']} Hz is above the Nyquist frequency {fs / 2} Hz (fs={fs})")
    return np.round(p["f_min"] + p["f_step"] * np.arange(n), 10)


def welch_psd(rate, fs: float, params: Mapping | None = None):
    """Welch power spectral density of a rate on the feature grid.

    Args:
        rate: (T,) rate, or (n, T) rates (one spectrum each), sampled at ``fs``.
        fs: sampling rate (Hz).
        params: overrides of :data:`DEFAULT_PSD_PARAMS`.

    Returns:
        (freqs, power): grid (F,) in Hz and power (…, F), ``log10`` of the density (units²/Hz) when
        ``log_power``.

    Raises:
        ValueError: when the analysis window is shorter than one segment or a parameter is unknown.
    """
    p = _params(params)
    rate = np.asarray(rate, dtype=float)
    start, stop = p["analysis_window"]
    begin = int(round(start * fs)) if start else 0
    end = rate.shape[-1] if stop is None else int(round(stop * fs))
    segment = rate[..., begin:end]
    nperseg = int(round(p["nperseg_s"] * fs))
    if nperseg < 2 or segment.shape[-1] < nperseg:
        raise ValueError(f"rate: {segment.shape[-1]} samples in the analysis window {p['analysis_window']} s, "
                         f"need at least nperseg = nperseg_s * fs = {nperseg} (>= 2)")
    native_f, density = signal.welch(segment, fs=fs, window=p["window"], nperseg=nperseg,
                                     noverlap=int(p["overlap"] * nperseg), detrend=p["detrend"], axis=-1)
    freqs = psd_frequencies(fs, p)
    position = np.interp(freqs, native_f, np.arange(len(native_f)))  # fractional index into native_f
    lower = np.minimum(np.floor(position).astype(int), len(native_f) - 2)
    weight = position - lower
    power = density[..., lower] * (1 - weight) + density[..., lower + 1] * weight
    return freqs, np.log10(power) if p["log_power"] else power


def psd_summary_frame(traces, fs: float, areas, key: Mapping, params: Mapping | None = None,
                      include_all: bool = False) -> pd.DataFrame:
    """Population-rate PSD features per brain area of one recording, one row per area.

    Args:
        traces: (n_units, T) activity of the recording's units.
        fs: sampling rate (Hz).
        areas: (n_units,) brain area of each unit.
        key: identifying columns put first in every row, e.g. ``{"mouse": 17797, "session": 4, "scan_idx": 7}``.
        params: overrides of :data:`DEFAULT_PSD_PARAMS`.
        include_all: add a row ``area="all"`` pooling every unit.

    Returns:
        DataFrame with the ``key`` columns, ``area``, ``n_units`` and one ``psd_<f>`` column per grid frequency
        (the layout of automind's ``allenvc_summary.csv``, keyed by recording and area).
    """
    traces, areas = np.asarray(traces, dtype=float), np.asarray(areas).astype(str)
    if areas.shape != traces.shape[:1]:
        raise ValueError(f"areas: {areas.shape[0]} entries, traces has {traces.shape[0]} units")
    names = sorted(set(areas)) + (["all"] if include_all else [])
    members = [areas == name if name != "all" else np.ones(len(areas), bool) for name in names]
    rates = np.stack([population_rate(traces[m]) for m in members])
    freqs, power = welch_psd(rates, fs, params)
    frame = pd.DataFrame(power, columns=psd_column_names(freqs))
    frame.insert(0, "n_units", [int(m.sum()) for m in members])
    frame.insert(0, "area", names)
    for position, (column, value) in enumerate(key.items()):
        frame.insert(position, column, value)
    return frame


def psd_column_names(freqs) -> list[str]:
    """``psd_<f>`` names, ``f`` written as a float (``psd_0.5``, ``psd_1.0``)."""
    return [f"{PSD_PREFIX}{float(f)}" for f in freqs]


def psd_columns(frame: pd.DataFrame):
    """The ``psd_<f>`` columns of a summary frame and their frequencies (Hz), in column order."""
    columns = [c for c in frame.columns if str(c).startswith(PSD_PREFIX)]
    return columns, np.array([float(c[len(PSD_PREFIX):]) for c in columns])


def _params(params: Mapping | None) -> dict:
    params = dict(params or {})
    unknown = sorted(set(params) - set(DEFAULT_PSD_PARAMS))
    if unknown:
        raise ValueError(f"params: unknown keys {unknown}; known keys {sorted(DEFAULT_PSD_PARAMS)}")
    return {**DEFAULT_PSD_PARAMS, **params}
