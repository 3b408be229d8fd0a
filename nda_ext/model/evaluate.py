"""Prediction quality and in-silico tuning of one scan's digital twin, for either backend (no database).

A *scan twin* is the part of a model that predicts one scan's units, in readout order:

* ``NdaExtTwin`` wraps our ``TwinModel`` (scan clock in, scan clock out, trace units);
* ``FnnTwin`` wraps ``nda_ext.model.fnn_backend.FnnScan`` (the official MICrONS network: 30 Hz, 144 x 256, output
  in standardised units; predictions are resampled back to the scan clock).

Both offer ``predict_scan(data, use_behaviour)`` ((T, U) on the scan clock), ``respond(videos)`` ((N, T, U) to
videos at ``insilico_fps`` and ``frame_size``) and ``readout_locations()``.
Angles: degrees, 0 = rightward motion, counter-clockwise positive; pref_ori in [0, 180), pref_dir in [0, 360).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from nda_ext.compute.correlation import prediction_quality
from nda_ext.compute.scan_arrays import ClipTrials, ScanTraces
from nda_ext.compute.scan_tuning import oracle_repeats
from nda_ext.compute.selectivity import fit_osi_dsi, global_selectivity
from nda_ext.compute.vonmises import fit_bi_von_mises
from nda_ext.model.data import ScanData
from nda_ext.model.fnn_backend import FNN_FPS, FNN_SIZE, FnnScan
from nda_ext.model.insilico import repeated_direction_tuning
from nda_ext.model.network import TwinModel, readout_locations
from nda_ext.model.train import predict
from nda_ext.model.video import interpolate_traces


class NdaExtTwin:
    """One scan of our ``TwinModel``."""

    def __init__(self, model: TwinModel, scan_key):
        self.model, self.scan_key = model, scan_key
        module = model.scan(scan_key)
        self.insilico_fps = module.fps
        self.frame_size = (model.config.height, model.config.width)

    def predict_scan(self, data: ScanData, use_behaviour: bool = True) -> np.ndarray:
        """(T, U) predictions in trace units for the whole scan, state carried across all frames."""
        return predict(self.model, self.scan_key, data.frames, data.behaviour if use_behaviour else None)

    def respond(self, videos: np.ndarray) -> np.ndarray:
        """(N, T, U) responses to videos (N, T, h, w) uint8 at the scan rate, behaviour at the scan's mean."""
        return predict(self.model, self.scan_key, videos)

    def readout_locations(self) -> tuple[np.ndarray, np.ndarray]:
        return readout_locations(self.model, self.scan_key)


class FnnTwin:
    """One scan of the official MICrONS network (``FnnScan``); behaviour z-scored with the scan's own statistics
    (the release does not include the training statistics, ``docs/fnn_release.md`` §2)."""

    insilico_fps = FNN_FPS
    frame_size = FNN_SIZE

    def __init__(self, scan: FnnScan):
        self.scan = scan

    def predict_scan(self, data: ScanData, use_behaviour: bool = True) -> np.ndarray:
        behaviour = data.behaviour if use_behaviour else None
        stats = data.behaviour_stats() if behaviour is not None else None
        out = self.scan.predict(data.frames, data.fps, behaviour, stats)
        return interpolate_traces(out, FNN_FPS, data.fps, data.frames.shape[0]).astype(np.float32)

    def respond(self, videos: np.ndarray) -> np.ndarray:
        return self.scan.respond(videos)

    def readout_locations(self) -> tuple[np.ndarray, np.ndarray]:
        return self.scan.readout_locations()


def select_units(traces: ScanTraces, unit_ids: np.ndarray) -> ScanTraces:
    """The rows of ``traces`` for ``unit_ids`` in that order (readout order).

    Raises:
        ValueError: naming unit ids that ``traces`` lacks.
    """
    position = {int(u): i for i, u in enumerate(traces.unit_ids)}
    missing = [int(u) for u in unit_ids if int(u) not in position]
    if missing:
        raise ValueError(f"unit_id {missing[:5]} ({len(missing)} in all) have no recorded trace")
    rows = np.array([position[int(u)] for u in unit_ids], dtype=np.int64)
    return dataclasses.replace(traces, unit_ids=traces.unit_ids[rows], traces=traces.traces[rows],
                               delays_s=traces.delays_s[rows])


def performance(traces: ScanTraces, trials: ClipTrials, predicted: np.ndarray, *, burnin: int,
                n_repeats: int = 10) -> tuple[dict, dict]:
    """cc_abs, cc_max, cc_norm of every unit on the oracle clips (docs/metrics.md: "cc_abs", "cc_max", "cc_norm").

    Recorded repeats come from ``oracle_repeats``; the prediction of the whole scan is sampled at exactly the same
    trials and times (each unit's own clock), so both rasters are (U, repeats, clips, frames); the first ``burnin``
    frames of every clip are dropped and clips concatenated.

    Args:
        traces: recorded activity, rows in the order of ``predicted``'s columns.
        trials: the scan's Clip trials.
        predicted: (T, U) prediction on the scan clock.
        burnin: scan frames dropped at the start of every clip.
        n_repeats: presentations that make a clip an oracle clip.

    Returns:
        ``(master, quality)``: n_clips, n_repeats, n_samples (kept per repeat); and cc_abs, cc_max, cc_norm
        arrays (U,).
    """
    predicted = np.asarray(predicted, dtype=np.float32)
    if predicted.shape != traces.traces.shape[::-1]:
        raise ValueError(f"predicted must be (T, U) = {traces.traces.shape[::-1]}, got {predicted.shape}")
    recorded = oracle_repeats(traces, trials, n_repeats)
    model = oracle_repeats(dataclasses.replace(traces, traces=predicted.T), trials, n_repeats)
    _, repeats, clips, frames = recorded.shape
    master = {"n_clips": clips, "n_repeats": repeats, "n_samples": clips * (frames - burnin)}
    return master, prediction_quality(recorded, model, burnin=burnin)


def insilico_tuning(twin, method: dict) -> tuple[dict, dict]:
    """In-silico direction tuning of every unit (behaviour at its mean; ``docs/fnn_release.md`` §7).

    The twin watches ``n_dirs`` drifting oriented-noise videos (``direction_noise_stimuli``) for ``repeats``
    noise seeds at its ``insilico_fps`` and ``frame_size``; the mean response after ``burnin_s`` gives one curve
    per unit. gOSI / gDSI are vector indices of the curve; pref_dir is the bi-von Mises ``mu`` (pref_ori =
    pref_dir mod 180), OSI / DSI the fit-based indices of cajal/foundation (``fit_osi_dsi``), as in the MICrONS
    digital-twin properties. Units whose fit fails get NaN there.

    Args:
        twin: a scan twin (``NdaExtTwin`` or ``FnnTwin``).
        method: a ``twin.InSilicoMethod`` row (n_dirs, seconds, burnin_s, repeats, speed, kappa, contrast, seed).

    Returns:
        ``(master, units)``: directions (deg), n_frames, fps; per-unit arrays responses (U, n_dirs), gosi, gdsi,
        osi, dsi, pref_ori, pref_dir, readout_loc_x, readout_loc_y.
    """
    fps = float(twin.insilico_fps)
    n_frames, burnin = int(round(method["seconds"] * fps)), int(round(method["burnin_s"] * fps))
    directions, curves = repeated_direction_tuning(
        twin.respond, int(method["n_dirs"]), n_frames=n_frames, burnin=burnin, height=twin.frame_size[0],
        width=twin.frame_size[1], fps=fps, repeats=int(method["repeats"]), seed=int(method["seed"]),
        speed=float(method["speed"]), kappa=float(method["kappa"]), contrast=float(method["contrast"]))
    vector = global_selectivity(curves, directions)
    fit = fit_bi_von_mises(directions, curves)
    classic = fit_osi_dsi(fit.mu, fit.phi, fit.kappa, fit.scale, fit.bias)
    x, y = twin.readout_locations()
    units = {"responses": curves.astype(np.float32), "gosi": vector["gosi"], "gdsi": vector["gdsi"],
             "osi": classic["osi"], "dsi": classic["dsi"], "pref_ori": fit.mu % 180.0, "pref_dir": fit.mu,
             "readout_loc_x": x, "readout_loc_y": y}
    return {"directions": directions, "n_frames": n_frames, "fps": fps}, units
