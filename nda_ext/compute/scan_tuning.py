"""Whole-scan direction tuning and oracle scores from plain arrays (the compute step of the tuning makes).

Every function is vectorised over units; units are processed in chunks only to bound the memory of per-unit
sample times (n_units x n_frames).
"""

from __future__ import annotations

import numpy as np

from nda_ext.compute.correlation import cc_max
from nda_ext.compute.epochs import direction_curves, monet2_segments, segment_responses
from nda_ext.compute.oracle import oracle_correlation, oracle_raster, oracle_trials
from nda_ext.compute.permutation import selectivity_permutation_test
from nda_ext.compute.scan_arrays import ClipTrials, Monet2Trials, ScanTraces
from nda_ext.compute.selectivity import fit_osi_dsi, global_selectivity
from nda_ext.compute.vonmises import fit_bi_von_mises

#: Units per chunk when per-unit sample times are materialised (chunk x n_frames float64).
UNIT_CHUNK = 512

FIT_COLUMNS = ("mu", "phi", "kappa", "scale", "bias", "mse")


def unit_sample_times(traces: ScanTraces, rows: slice) -> np.ndarray:
    """Sample times of the units in ``rows``: ``frame_times + delay``, s, (n_rows, n_frames)."""
    return traces.frame_times[None, :] + traces.delays_s[rows, None]


def _chunks(n: int):
    for begin in range(0, n, UNIT_CHUNK):
        yield slice(begin, min(n, begin + UNIT_CHUNK))


def monet2_responses(traces: ScanTraces, trials: Monet2Trials, latency_s: float,
                     clip_negative: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Single-segment responses (n_units, n_segments) and segment directions (deg, our convention).

    ``clip_negative`` clips the activity at 0 before averaging (chunk by chunk: the traces are not copied whole).
    """
    start, end, directions = monet2_segments(trials.onsets_s, trials.directions_deg, trials.duration_s,
                                             trials.n_dirs, trials.ori_fraction, trials.start_s)

    def activity(rows):
        return np.maximum(traces.traces[rows], 0) if clip_negative else traces.traces[rows]

    responses = np.concatenate([
        segment_responses(activity(rows), unit_sample_times(traces, rows), start, end, latency_s)
        for rows in _chunks(len(traces.unit_ids))]) if len(traces.unit_ids) else np.zeros((0, start.size))
    return responses, directions


def _finite_or_none(values: np.ndarray) -> list:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def _check_method(method: dict) -> None:
    for name in ("latency_s", "precision_deg"):
        if not np.isfinite(float(method[name])):
            raise ValueError(f"DirectionMethod {method.get('direction_method')!r}: {name} must be finite, "
                             f"got {method[name]}")
    if float(method["precision_deg"]) <= 0:
        raise ValueError(f"DirectionMethod {method.get('direction_method')!r}: precision_deg must be > 0")


def direction_tuning(traces: ScanTraces, trials: Monet2Trials, method: dict) -> tuple[dict, list[dict]]:
    """Direction tuning of every unit of a scan (docs/metrics.md: "gOSI" to "Permutation p-values").

    gOSI / gDSI and their pref_ori / pref_dir are vector indices of the mean curve. OSI / DSI are the fit-based
    indices of cajal/foundation at the fitted preferred direction ``mu`` (docs/metrics.md, "Fit-based OSI and
    DSI"): not the raw curve at the vector angle, which is noise for orientation cells with little direction bias.
    NaN (NULL) where the fit fails.

    Args:
        traces: Activity of the scan.
        trials: Its Monet2 trials.
        method: A ``tuning.DirectionMethod`` row (latency_s, precision_deg, n_permutations, min_directions, seed,
            clip_negative).

    Returns:
        ``(master, units)``: the master attributes (n_trials, n_segments, directions, segment_counts) and one dict
        per unit with the ``DirectionTuning.Unit`` attributes (None for NULL).
    """
    _check_method(method)
    responses, segment_dirs = monet2_responses(traces, trials, float(method["latency_s"]),
                                               bool(method["clip_negative"]))
    precision = float(method["precision_deg"])
    directions, curves, counts = direction_curves(responses, segment_dirs, precision)
    vector = global_selectivity(curves, directions)
    rounded = (np.round(segment_dirs / precision) * precision) % 360.0
    fit = fit_bi_von_mises(rounded, responses, min_directions=int(method["min_directions"]))
    indices = fit_osi_dsi(fit.mu, fit.phi, fit.kappa, fit.scale, fit.bias)
    columns = {name: _finite_or_none(vector[name]) for name in ("gosi", "gdsi", "pref_ori", "pref_dir")}
    columns.update({name: _finite_or_none(indices[name]) for name in ("osi", "dsi")})
    columns.update({name: _finite_or_none(getattr(fit, name)) for name in FIT_COLUMNS})
    n_perm = int(method["n_permutations"])
    if n_perm > 0:
        test = selectivity_permutation_test(responses, segment_dirs, n_perm=n_perm, seed=int(method["seed"]),
                                            precision_deg=precision)
        columns.update(gosi_p=_finite_or_none(test["gosi_p"]), gdsi_p=_finite_or_none(test["gdsi_p"]))
    else:
        columns.update(gosi_p=[None] * len(traces.unit_ids), gdsi_p=[None] * len(traces.unit_ids))
    units = []
    for i, unit_id in enumerate(traces.unit_ids):
        row = {name: values[i] for name, values in columns.items()}
        row.update(unit_id=int(unit_id), mean_responses=curves[i].astype(np.float32),
                   fit_success=bool(fit.success[i]), fit_reason=str(fit.reason[i]))
        units.append(row)
    master = {"n_trials": int(trials.start_s.size), "n_segments": int(segment_dirs.size),
              "directions": directions, "segment_counts": np.asarray(counts, dtype=np.int32)}
    return master, units


def oracle_repeats(traces: ScanTraces, trials: ClipTrials, n_repeats: int = 10) -> np.ndarray:
    """Responses to the oracle clips, (n_units, n_repeats, n_clips, n_frames), sampled at the scan rate.

    Each trial is sampled at ``start + k / fps`` for ``k < floor(min clip duration * fps)`` on each unit's clock.

    Raises:
        ValueError: When no condition is shown exactly ``n_repeats`` times.
    """
    clips, index = oracle_trials(trials.condition_hashes, n_repeats)
    if not clips.size:
        raise ValueError(f"no clip is shown exactly {n_repeats} times: no oracle clips in this scan")
    n_frames = int(np.floor(trials.duration_s[index].min() * traces.fps))
    end = trials.start_s + (n_frames - 1) / traces.fps
    return np.concatenate([
        oracle_raster(traces.traces[rows], unit_sample_times(traces, rows), trials.start_s, end, index, n_frames,
                      normalize=False)
        for rows in _chunks(len(traces.unit_ids))])


def oracle_scores(traces: ScanTraces, trials: ClipTrials, n_repeats: int = 10) -> tuple[dict, list[dict]]:
    """Leave-one-out oracle and cc_max of every unit (docs/metrics.md: "Oracle" to "cc_norm").

    Returns:
        ``(master, units)``: n_clips, n_repeats, n_samples; per unit unit_id, pearson, cc_max, trials.
    """
    raster = oracle_repeats(traces, trials, n_repeats)
    n_units, repeats, n_clips, n_frames = raster.shape
    pearson = oracle_correlation(raster)
    ceiling = cc_max(raster.reshape(n_units, repeats, n_clips * n_frames))
    units = [{"unit_id": int(u), "pearson": p, "cc_max": c, "trials": repeats * n_clips}
             for u, p, c in zip(traces.unit_ids, _finite_or_none(pearson), _finite_or_none(ceiling))]
    master = {"n_clips": n_clips, "n_repeats": repeats, "n_samples": n_clips * n_frames}
    return master, units
