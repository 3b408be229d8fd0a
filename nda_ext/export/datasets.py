"""One nda scan as a Sensorium dataset folder (2023 video or 2022 static), logged in ``export.SensoriumExport``.

* :func:`sensorium` writes one scan as a Sensorium 2023 video dataset (``kind="video"``: videos (36, 64, T) at
  30 Hz, responses (N, T), behavior (2, T), pupil_center (2, T)) or a Sensorium 2022 static dataset
  (``kind="static"``: trials cut into image presentations), with ``meta/neurons``, ``meta/trials`` (tiers) and
  ``meta/statistics``; neuralpredictors' ``FileTreeDataset`` / ``MovieFileTreeDataset`` read the result.
  Settings come from ``export.SensoriumParams``; every export is logged in ``export.SensoriumExport``.
* :func:`psd_summary` / :func:`psd_csv` collect ``export.PopulationPsd`` as one row per scan and area with
  ``psd_<f>`` columns (automind's ``allenvc_summary.csv`` layout, keyed by mouse, session, scan_idx, area).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from nda_ext.compute import unit_keys
from nda_ext.compute.sensorium.trials import (
    ExportSettings,
    ScanRecording,
    assign_tiers,
    layer_of_depth,
    static_presentations,
    video_trial,
)
from nda_ext.dj import active
from nda_ext.dj.insert import atomic
from nda_ext.nda.scan_data import fetch_scan_traces
from nda_ext.sources.sensorium.write import write_static_dataset, write_video_dataset

#: nda v8 holds one mouse; its id is implicit in the database.
ANIMAL_ID = 17797
KINDS = {"video": ("dynamic", "Video"), "static": ("static", "GrayImageNet")}


def dataset_name(scan: dict, kind: str, params: str) -> str:
    """Folder name in the Sensorium pattern, e.g. ``dynamic17797-4-7-Video-video_default``."""
    prefix, label = KINDS[kind]
    return f"{prefix}{ANIMAL_ID}-{scan['session']}-{scan['scan_idx']}-{label}-{params}"


def settings_of(row: dict) -> ExportSettings:
    """An ``export.SensoriumParams`` row as :class:`~nda_ext.compute.sensorium.trials.ExportSettings`."""
    return ExportSettings(target_fps=float(row["target_fps"]), frame_height=int(row["frame_height"]),
                          frame_width=int(row["frame_width"]), max_frames=int(row["max_frames"]),
                          trial_types=tuple(row["trial_types"]), oracle_repeats=int(row["oracle_repeats"]),
                          validation_fraction=float(row["validation_fraction"]),
                          static_window_s=float(row["static_window_s"]), latency_s=float(row["latency_s"]),
                          behavior_channels=tuple(row["behavior_channels"]), seed=int(row["seed"]))


def fetch_recording(nda, scan: dict) -> tuple[ScanRecording, np.ndarray]:
    """The scan's traces, stimulus movie and behaviour as a :class:`ScanRecording`, and its unit ids.

    Raises:
        ValueError: When the scan lacks a Stimulus, ManualPupil or Treadmill row (naming the table).
    """
    for table in ("Stimulus", "ManualPupil", "Treadmill"):
        if not len(getattr(nda, table) & scan):
            raise ValueError(f"scan {scan}: no nda.{table} row; the Sensorium export needs stimulus and behaviour")
    traces = fetch_scan_traces(nda, scan)
    pupil = (nda.ManualPupil & scan).fetch1()
    as_float = lambda x: np.asarray(x, float).ravel()
    recording = ScanRecording(frame_times=traces.frame_times, traces=traces.traces, delays_s=traces.delays_s,
                              movie=(nda.Stimulus & scan).fetch1("movie"),
                              pupil_dilation=as_float(pupil["pupil_maj_r"]), pupil_x=as_float(pupil["pupil_x"]),
                              pupil_y=as_float(pupil["pupil_y"]),
                              treadmill_velocity=as_float((nda.Treadmill & scan).fetch1("treadmill_velocity")))
    return recording, traces.unit_ids


def neuron_table(nda, scan: dict, unit_ids) -> pd.DataFrame:
    """``meta/neurons`` columns for the units (in ``unit_ids`` order): ids, area, layer, motor coordinates (um)."""
    units = (nda.ScanUnit & scan).to_pandas().reset_index().set_index("unit_id").loc[unit_ids]
    areas = (nda.AreaMembership & scan).to_pandas().reset_index().set_index("unit_id")["brain_area"]
    return pd.DataFrame({
        "unit_ids": np.asarray(unit_ids, np.int64),
        "area": areas.reindex(unit_ids).fillna("unknown").astype(str).str.strip().to_numpy(),
        "layer": layer_of_depth(units["um_z"].to_numpy(float)),
        "cell_motor_x": units["um_x"].to_numpy(float), "cell_motor_y": units["um_y"].to_numpy(float),
        "cell_motor_z": units["um_z"].to_numpy(float),
        "animal_ids": ANIMAL_ID, "sessions": scan["session"], "scan_idx": scan["scan_idx"],
    })


def sensorium(scan_key, path, kind: str = "video", *, params: str | None = None, schemas: dict | None = None,
              overwrite: bool = False) -> Path:
    """Write a scan as a Sensorium dataset folder under ``path``.

    Args:
        scan_key: ``{"session", "scan_idx"}`` or a (session, scan_idx) pair.
        path: Parent folder; the dataset is written to ``path / dataset_name(...)``.
        kind: ``"video"`` (Sensorium 2023) or ``"static"`` (Sensorium 2022).
        params: A ``export.SensoriumParams`` name of that kind; default ``"<kind>_default"``.
        schemas: Bound schemas (default ``nda_ext.activate()``).
        overwrite: Replace an existing folder.

    Returns:
        The dataset folder.

    Raises:
        ValueError: Unknown ``kind``, params of another kind, a scan without trials of the exported types.
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r}: expected one of {sorted(KINDS)}")
    schemas = active.bound(schemas)
    nda, export = schemas["nda"], schemas["export"]
    scan, params = unit_keys.scan_key(scan_key), params or f"{kind}_default"
    row = (export.SensoriumParams & {"sensorium_params": params}).fetch1()
    if row["kind"] != kind:
        raise ValueError(f"params={params!r} is a {row['kind']} setting, but kind={kind!r}")
    settings = settings_of(row)
    trials = (nda.Trial & scan).to_pandas().reset_index().sort_values("trial_idx")
    trials["tier"] = assign_tiers(trials["condition_hash"], trials["type"], kind, settings)
    if (trials["tier"] == "none").all():
        raise ValueError(f"scan {scan}: no trial of the types {settings.trial_types}")
    recording, unit_ids = fetch_recording(nda, scan)
    neurons = neuron_table(nda, scan, unit_ids)
    folder = Path(path) / dataset_name(scan, kind, params)
    writer = _write_video if kind == "video" else _write_static
    n_files, tiers = writer(folder, recording, trials, neurons, settings, overwrite)
    from nda_ext.version import __version__

    key = {**scan, "sensorium_params": params}
    with atomic(export.schema.connection):  # replace=True is MySQL-only in DataJoint 2.3
        (export.SensoriumExport & key).delete_quick()
        export.SensoriumExport.insert1({**key, "path": str(folder.resolve()), "n_trials": n_files,
                                        "n_neurons": len(neurons), "tiers": tiers, "nda_ext_version": __version__,
                                        "exported_at": datetime.datetime.now().replace(microsecond=0)})
    return folder


def _write_video(folder, recording, trials, neurons, settings, overwrite):
    data = [video_trial(recording, start, stop, settings)
            for start, stop in zip(trials["start_frame_time"], trials["end_frame_time"])]
    meta = pd.DataFrame({"trial_idx": trials["trial_idx"].to_numpy(), "tier": trials["tier"].to_numpy(),
                         "condition_hashes": trials["condition_hash"].astype(str).to_numpy(),
                         "types": trials["type"].astype(str).to_numpy(),
                         "start_times": trials["start_frame_time"].to_numpy(float)})
    write_video_dataset(folder, *([d[k] for d in data] for k in ("videos", "responses", "behavior", "pupil_center")),
                        neurons, meta, overwrite=overwrite)
    return len(meta), {str(t): int(n) for t, n in meta["tier"].value_counts().items()}


def _write_static(folder, recording, trials, neurons, settings, overwrite):
    chosen = trials[trials["tier"] != "none"]
    cut = static_presentations(recording, chosen["start_frame_time"].to_numpy(float),
                               chosen["end_frame_time"].to_numpy(float), settings)
    source = chosen.iloc[cut["trial"]]
    image_keys = source["condition_hash"].astype(str).to_numpy() + "/" + cut["window"].astype(str)
    image_ids = pd.factorize(image_keys)[0]
    meta = pd.DataFrame({"trial_idx": np.arange(len(source)), "tier": source["tier"].to_numpy(),
                         "image_id": image_ids, "source_trial_idx": source["trial_idx"].to_numpy(),
                         "condition_hashes": source["condition_hash"].astype(str).to_numpy(),
                         "frame_trial_ts": cut["start_s"]})
    write_static_dataset(folder, cut["images"], cut["responses"], cut["behavior"], cut["pupil_center"], neurons,
                         meta, overwrite=overwrite)
    return len(meta), {str(t): int(n) for t, n in meta["tier"].value_counts().items()}
