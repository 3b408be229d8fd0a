"""Fetch one scan from the nda tables (mirror or attached legacy schema) into the plain arrays of
:mod:`nda_ext.compute.scan_arrays`."""

from __future__ import annotations

import numpy as np

from nda_ext.compute.scan_arrays import ClipTrials, Monet2Trials, ScanTraces
from nda_ext.compute.unit_keys import scan_key


def fetch_scan_traces(nda, key: dict) -> ScanTraces:
    """Activity traces of every unit of the scan, ordered by unit_id.

    Raises:
        ValueError: When a unit has no Activity row or a trace length differs from ``Scan.nframes``.
    """
    scan = scan_key(key)
    nframes, fps = (nda.Scan & scan).fetch1("nframes", "fps")
    unit_ids, traces, delays = (nda.ScanUnit * nda.Activity & scan).to_arrays(
        "unit_id", "trace", "ms_delay", order_by="unit_id")
    n_units = len(nda.ScanUnit & scan)
    if len(unit_ids) != n_units:
        raise ValueError(f"scan {scan}: {n_units - len(unit_ids)} of {n_units} ScanUnit rows have no Activity trace")
    bad = [int(u) for u, t in zip(unit_ids, traces) if np.size(t) != nframes]
    if bad:
        raise ValueError(f"scan {scan}: Activity.trace of unit_id {bad[:5]} differs from Scan.nframes={nframes}")
    frame_times = np.asarray((nda.ScanTimes & scan).fetch1("frame_times"), dtype=float).ravel()
    stacked = np.stack([np.asarray(t, dtype=np.float32).ravel() for t in traces]) if len(traces) else \
        np.zeros((0, nframes), np.float32)
    return ScanTraces(unit_ids=np.asarray(unit_ids, dtype=np.int64), traces=stacked, frame_times=frame_times,
                      delays_s=np.asarray(delays, dtype=float) / 1000.0, fps=float(fps))


def fetch_monet2_trials(nda, key: dict) -> Monet2Trials:
    """Monet2 trials of the scan in trial order (joined on condition_hash)."""
    rows = (nda.Trial * nda.Monet2 & scan_key(key)).to_arrays(
        "start_frame_time", "onsets", "directions", "duration", "n_dirs", "ori_fraction", order_by="trial_idx")
    start, onsets, directions, duration, n_dirs, ori_fraction = rows
    return Monet2Trials(start_s=np.asarray(start, float),
                        onsets_s=np.stack([np.asarray(o, float).ravel() for o in onsets]),
                        directions_deg=np.stack([np.asarray(d, float).ravel() for d in directions]),
                        duration_s=np.asarray(duration, float), n_dirs=np.asarray(n_dirs, float),
                        ori_fraction=np.asarray(ori_fraction, float))


def fetch_oracle_trials(nda, key: dict) -> ClipTrials:
    """Clip trials of the scan in trial order."""
    hashes, start, duration = (nda.Trial * nda.Clip & scan_key(key)).to_arrays(
        "condition_hash", "start_frame_time", "duration", order_by="trial_idx")
    return ClipTrials(condition_hashes=np.asarray(hashes).astype(str), start_s=np.asarray(start, float),
                      duration_s=np.asarray(duration, float))
