"""Fetch and compute steps of the ``twin`` makes: database rows in, plain rows out.

``*_inputs`` functions read the database (called from ``make_fetch``, so their results are fingerprinted and
re-checked inside the insert transaction); the others are pure and run outside the transaction.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from nda_ext.compute.scan_arrays import ClipTrials, ScanTraces
from nda_ext.compute.unit_keys import scan_key
from nda_ext.model.checkpoint import checksum, from_bytes, to_bytes
from nda_ext.model.data import ScanData
from nda_ext.model.evaluate import FnnTwin, NdaExtTwin, insilico_tuning, performance, select_units
from nda_ext.model.fnn_backend import FnnScan
from nda_ext.model.network import TwinConfig, TwinModel, default_device
from nda_ext.model.params import check_params
from nda_ext.model.release import CONFIG_FILE, SCANS_FILE, UNITS_FILE, load_release
from nda_ext.model.train import train
from nda_ext.schemas.twin.scan_inputs import fetch_scan_data


def readout_unit_ids(model_table, key: dict) -> np.ndarray:
    """Unit ids of a model's scan in readout order (``Model.Readout``)."""
    return np.asarray((model_table.Readout & {"model": key["model"]} & scan_key(key)).to_arrays(
        "unit_id", order_by="readout_id"), dtype=np.int64)


def release_checksum(directory) -> str:
    """SHA-256 over the names and bytes of a release's files (``params_*.pt``, tables, ``config.json``)."""
    directory = Path(directory)
    names = sorted(p.name for p in directory.glob("params_*.pt")) + [
        n for n in (UNITS_FILE, SCANS_FILE, CONFIG_FILE) if (directory / n).is_file()]
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode())
        with open(directory / name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def training_inputs(nda, model_table, paramset_table, key: dict) -> tuple[dict, list[ScanData]]:
    """Parameters of the model and the ``ScanData`` of each of its scans (responses in readout order)."""
    params = check_params((paramset_table & (model_table & key).proj("paramset_idx")).fetch1("params"))
    scans = (model_table.Scan & key).to_dicts(order_by=("session", "scan_idx"))
    return params, [fetch_scan_data(nda, scan, readout_unit_ids(model_table, scan)) for scan in scans]


def train_checkpoint(params: dict, scans: list[ScanData]) -> dict:
    """Train a fresh model on ``scans``; the ``twin.Training`` attributes (checkpoint bytes, loss, timing)."""
    model = TwinModel(TwinConfig.from_dict(params["config"]))
    device = default_device()
    history = train(model, scans, device=device, progress=False, **params["train"])
    data = to_bytes(model)
    return {"checkpoint": data, "checksum": checksum(data), "loss": np.array([h["loss"] for h in history]),
            "epoch_seconds": np.array([h["seconds"] for h in history]), "device": str(device)}


def scan_twin_inputs(model_table, training_table, key: dict) -> tuple[dict, np.ndarray, dict | None]:
    """The ``Model`` row, the scan's readout unit ids and (training models) the checkpoint."""
    model_row = (model_table & {"model": key["model"]}).fetch1()
    checkpoint = None
    if model_row["source"] == "training":
        checkpoint = (training_table & {"model": key["model"]}).proj("checkpoint", "checksum").fetch1()
    return model_row, readout_unit_ids(model_table, key), checkpoint


def check_release(model_row: dict) -> Path:
    """The release directory of a release model, unchanged since registration.

    Raises:
        ValueError: naming the model and directory when the files changed.
    """
    directory = Path(model_row["release_path"])
    if release_checksum(directory) != model_row["release_checksum"]:
        raise ValueError(f"twin model {model_row['model']!r}: release files in {directory} changed since "
                         "registration (checksum differs); register the directory again under a new name")
    return directory


def load_model(model_row: dict, checkpoint: dict | None) -> TwinModel:
    """Our ``TwinModel`` of an ``nda_ext`` model (from its checkpoint or release directory), on the default
    device."""
    if model_row["backend"] != "nda_ext":
        raise ValueError(f"twin model {model_row['model']!r} has backend {model_row['backend']!r}, not 'nda_ext'")
    if model_row["source"] == "training":
        return from_bytes(checkpoint["checkpoint"], checkpoint["checksum"], device=default_device())
    return load_release(check_release(model_row), device=default_device())[0]


def scan_twin(key: dict, model_row: dict, unit_ids: np.ndarray, checkpoint: dict | None):
    """The scan twin (``NdaExtTwin`` or ``FnnTwin``) of ``key``'s scan, its readouts checked against ``unit_ids``.

    Raises:
        ImportError: an ``fnn`` model without the fnn package (with the install command).
        ValueError: the model's own readout mapping differs from ``Model.Readout``.
    """
    if model_row["backend"] == "fnn":
        scan = FnnScan(check_release(model_row), scan_key(key), cuda=torch.cuda.is_available())
        own = scan.units.sort_index().unit_id.to_numpy()
        twin = FnnTwin(scan)
    else:
        model = load_model(model_row, checkpoint)
        own = model.scan(key).unit_ids
        twin = NdaExtTwin(model, scan_key(key))
    if own is not None and not np.array_equal(np.asarray(own, dtype=np.int64), unit_ids):
        raise ValueError(f"twin model {model_row['model']!r} scan {scan_key(key)}: the model's readout unit ids "
                         "differ from twin.Model.Readout")
    return twin


def _nullable(values) -> list:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def _unit_rows(key: dict, unit_ids: np.ndarray, columns: dict) -> list[dict]:
    names = list(columns)
    return [dict(key, unit_id=int(u), readout_id=i, **{n: columns[n][i] for n in names})
            for i, u in enumerate(unit_ids)]


def performance_inputs(nda, model_table, training_table, key: dict) -> tuple:
    """Recorded traces (readout order), Clip trials, the scan's ``ScanData`` and the model inputs."""
    from nda_ext.nda.scan_data import fetch_oracle_trials, fetch_scan_traces

    model_row, unit_ids, checkpoint = scan_twin_inputs(model_table, training_table, key)
    traces = select_units(fetch_scan_traces(nda, key), unit_ids)
    data = fetch_scan_data(nda, key, unit_ids, hold_out_oracle=False, traces=traces)
    return traces, fetch_oracle_trials(nda, key), data, model_row, unit_ids, checkpoint


def performance_rows(key: dict, method: dict, traces: ScanTraces, trials: ClipTrials, data: ScanData,
                     model_row: dict, unit_ids: np.ndarray, checkpoint: dict | None) -> tuple[dict, list[dict]]:
    """``twin.Performance`` master row and unit rows."""
    twin = scan_twin(key, model_row, unit_ids, checkpoint)
    predicted = twin.predict_scan(data, bool(method["use_behaviour"]))
    master, quality = performance(traces, trials, predicted, burnin=int(method["burnin"]),
                                  n_repeats=int(method["n_repeats"]))
    columns = {name: _nullable(quality[name]) for name in ("cc_abs", "cc_max", "cc_norm")}
    return dict(key, **master), _unit_rows(key, unit_ids, columns)


def tuning_rows(key: dict, method: dict, model_row: dict, unit_ids: np.ndarray,
                checkpoint: dict | None) -> tuple[dict, list[dict]]:
    """``twin.Tuning`` master row and unit rows."""
    master, units = insilico_tuning(scan_twin(key, model_row, unit_ids, checkpoint), method)
    columns = {name: _nullable(units[name]) for name in ("gosi", "gdsi", "osi", "dsi", "pref_ori", "pref_dir")}
    columns.update(responses=list(units["responses"]), readout_loc_x=units["readout_loc_x"].astype(float).tolist(),
                   readout_loc_y=units["readout_loc_y"].astype(float).tolist())
    return dict(key, **master), _unit_rows(key, unit_ids, columns)
