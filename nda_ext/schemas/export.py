"""Exports: Sensorium dataset parameters and log, population-rate PSD summaries (automind-style).

Sensorium folders are written by :func:`nda_ext.export.sensorium`, which records each export in
``SensoriumExport``. PSDs are computed by ``populate`` (``PopulationPsd``); :func:`nda_ext.export.psd_csv` writes
them as a CSV keyed by mouse, scan and area with ``psd_<f>`` columns (the layout of automind's
``allenvc_summary.csv``).
"""

import datajoint as dj
import numpy as np

from nda_ext.compute.psd import psd_columns, psd_summary_frame
from nda_ext.dj.insert import bulk_insert
from nda_ext.dj.make import FingerprintedMake
from nda_ext.nda.scan_data import fetch_scan_traces
from nda_ext.schemas import nda  # rebound by activate(nda=...)

schema = dj.Schema()


@schema
class SensoriumParams(dj.Lookup):
    """How a scan becomes a Sensorium dataset (``kind`` video = Sensorium 2023, static = Sensorium 2022).

    Attributes:
        sensorium_params: Name of the settings (``video_default``, ``static_default``).
        kind: ``video`` or ``static``.
        target_fps: Rate of exported videos, responses and behaviour, Hz (Sensorium 2023: 30).
        frame_height, frame_width: Exported frame size, px (36 x 64).
        max_frames: Frames per video trial at most (300 = 10 s at 30 Hz).
        trial_types: nda ``Trial.type`` values exported (others get tier ``none`` / are left out).
        oracle_repeats: Conditions shown at least this often form the repeated tier (``oracle`` / ``test``).
        validation_fraction: Static only: fraction of the other conditions put in ``validation``.
        static_window_s: Static only: duration of one image presentation cut from a trial, s.
        latency_s: Static only: response window offset after the presentation start, s.
        behavior_channels: Behaviour rows, from pupil_dilation, pupil_dilation_derivative, running_speed.
        seed: Seed of the validation split.
    """

    definition = """
    sensorium_params: varchar(32)
    ---
    kind: enum('video', 'static')
    target_fps: float64
    frame_height: int16
    frame_width: int16
    max_frames: int32
    trial_types: json
    oracle_repeats: int32
    validation_fraction: float64
    static_window_s: float64
    latency_s: float64
    behavior_channels: json
    seed: int32
    """
    contents = [
        ("video_default", "video", 30.0, 36, 64, 300, ["stimulus.Clip", "stimulus.Monet2", "stimulus.Trippy"], 10,
         0.0, 0.5, 0.1, ["pupil_dilation", "running_speed"], 0),
        ("static_default", "static", 30.0, 36, 64, 300, ["stimulus.Clip"], 10, 0.1, 0.5, 0.1,
         ["pupil_dilation", "pupil_dilation_derivative", "running_speed"], 0),
    ]


@schema
class SensoriumExport(dj.Manual):
    """One Sensorium folder written from a scan (provenance of :func:`nda_ext.export.sensorium`).

    Attributes:
        path: Absolute path of the dataset folder.
        n_trials, n_neurons: Data files and neurons written.
        tiers: Trials per tier.
        exported_at: When it was written.
        nda_ext_version: Package version that wrote it.
    """

    definition = """
    -> nda.Scan
    -> SensoriumParams
    ---
    path: varchar(1024)
    n_trials: int32
    n_neurons: int32
    tiers: json
    exported_at: datetime
    nda_ext_version: varchar(32)
    """


@schema
class PsdParams(dj.Lookup):
    """Welch PSD settings for population rates (automind recipe, :mod:`nda_ext.compute.psd`).

    Attributes:
        psd_params: Name of the settings.
        nperseg_s: Welch segment length, s (frequency resolution 1 / nperseg_s Hz).
        overlap: Fraction of a segment shared with the next.
        window: scipy window name; detrend: ``constant``, ``linear`` or ``none``.
        f_min, f_max, f_step: Feature grid, Hz; the grid stops at the scan's Nyquist frequency fps / 2.
        window_start_s, window_stop_s: Analysis window, s from scan start (stop NULL = end).
        log_power: Store log10 of the density.
        mask_type: Units pooled: ``soma`` masks only, or ``all``.
    """

    definition = """
    psd_params: varchar(32)
    ---
    nperseg_s: float64
    overlap: float64
    window: varchar(16)
    detrend: varchar(16)
    f_min: float64
    f_max: float64
    f_step: float64
    window_start_s: float64
    window_stop_s = null: float64
    log_power: bool
    mask_type: enum('soma', 'all')
    """
    contents = [
        ("default", 20.0, 0.75, "hann", "constant", 0.05, 495.0, 0.05, 0.1, None, True, "soma"),
        ("automind", 2.0, 0.75, "hann", "constant", 0.5, 495.0, 0.5, 0.1, None, True, "soma"),
    ]

    @staticmethod
    def compute_params(row: dict) -> dict:
        """A row as the ``params`` of :func:`nda_ext.compute.psd.welch_psd`."""
        return {"nperseg_s": float(row["nperseg_s"]), "overlap": float(row["overlap"]), "window": row["window"],
                "detrend": False if row["detrend"] == "none" else row["detrend"], "f_min": float(row["f_min"]),
                "f_max": float(row["f_max"]), "f_step": float(row["f_step"]), "log_power": bool(row["log_power"]),
                "analysis_window": (float(row["window_start_s"]),
                                    None if row["window_stop_s"] is None else float(row["window_stop_s"]))}


@schema
class PopulationPsd(FingerprintedMake, dj.Computed):
    """Welch PSD of each area's population rate (mean deconvolved activity over the area's units) of a scan.

    Attributes:
        fs: Sampling rate, Hz (``Scan.fps``).
        freqs: Frequencies of the power values, Hz (F,), from f_min up to min(f_max, fs / 2).
    """

    definition = """
    -> nda.Scan
    -> PsdParams
    ---
    fs: float64
    freqs: <blob>
    """

    class Area(dj.Part):
        """PSD of one area's population rate (``all`` pools every unit of the scan).

        Attributes:
            brain_area: V1, LM, AL, RL or ``all``.
            n_units: Units pooled.
            power: log10 power density (or density), (F,), per ``PsdParams.log_power``.
        """

        definition = """
        -> master
        brain_area: varchar(10)
        ---
        n_units: int32
        power: <blob>
        """

    @property
    def key_source(self):
        return (nda.Scan & nda.AreaMembership) * PsdParams

    def make_fetch(self, key):
        scan = {"session": key["session"], "scan_idx": key["scan_idx"]}
        params = (PsdParams & key).fetch1()
        units = nda.ScanUnit * nda.AreaMembership & scan
        if params["mask_type"] == "soma":
            units = units & (nda.MaskClassification & {"mask_type": "soma"})
        unit_ids, areas = units.to_arrays("unit_id", "brain_area", order_by="unit_id")
        return fetch_scan_traces(nda, scan), np.asarray(unit_ids), np.asarray(areas).astype(str), params

    def make_compute(self, key, traces, unit_ids, areas, params):
        rows = np.searchsorted(traces.unit_ids, unit_ids)
        frame = psd_summary_frame(traces.traces[rows], traces.fps, np.char.strip(areas), {},
                                  PsdParams.compute_params(params), include_all=True)
        columns, freqs = psd_columns(frame)
        power = frame[columns].to_numpy(float)
        parts = [dict(key, brain_area=a, n_units=int(n), power=p)
                 for a, n, p in zip(frame["area"], frame["n_units"], power)]
        return dict(key, fs=traces.fps, freqs=freqs), parts

    def make_insert(self, key, master, parts):
        self.insert1(master)
        bulk_insert(self.Area(), parts)
