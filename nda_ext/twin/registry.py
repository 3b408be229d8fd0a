"""Registering digital twins in ``twin.Model`` (trained here or imported from a release) and exporting them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from nda_ext.dj import active
from nda_ext.dj.insert import atomic, bulk_insert
from nda_ext.model.params import DEFAULT_PARAMS
from nda_ext.model.release import CONFIG_FILE, SCANS_FILE, UNITS_FILE, read_tables, release_kind, scan_file
from nda_ext.model.release import export_release as write_release
from nda_ext.schemas.twin.makes import check_release, load_model, readout_unit_ids, release_checksum

BACKENDS = ("nda_ext", "fnn")


def twin_schema(schemas: dict | None = None):
    """The bound ``twin`` schema module (activating the configured database when nothing is bound)."""
    return active.bound(schemas)["twin"]


def scan_keys(scans) -> list[dict]:
    keys = []
    for scan in scans:
        session, scan_idx = (scan["session"], scan["scan_idx"]) if isinstance(scan, dict) else scan
        keys.append({"session": int(session), "scan_idx": int(scan_idx)})
    return keys


def _register(twin, model_row: dict, readouts: pd.DataFrame) -> dict:
    """Insert the model, its scans and readouts in one transaction."""
    key = {"model": model_row["model"]}
    if twin.Model & key:
        raise ValueError(f"twin model {key['model']!r} is already registered; choose another name")
    scans = readouts[["session", "scan_idx"]].drop_duplicates().astype(int)
    with atomic(twin.schema.connection):
        twin.Model.insert1(model_row)
        bulk_insert(twin.Model.Scan(), [dict(key, **s) for s in scans.to_dict("records")])
        bulk_insert(twin.Model.Readout(), [dict(key, **{c: int(v) for c, v in r.items()})
                                           for r in readouts[["session", "scan_idx", "unit_id", "readout_id"]]
                                           .to_dict("records")])
    return key


def register_training(name: str, scans, params: dict | int | None = None, *, description: str = "",
                      schemas: dict | None = None) -> dict:
    """Register a model that ``twin.Training`` trains on ``scans`` (populate to train it).

    Readouts are every unit of each scan with an Activity trace, ``readout_id`` = rank by unit_id (the MICrONS
    release convention).

    Args:
        name: registry name.
        scans: ``(session, scan_idx)`` pairs or key dicts.
        params: a ``twin.ParamSet`` index, a params dict (``{"config": ..., "train": ...}``, inserted when new)
            or None (the demo default, paramset 0).
        description: free text.
        schemas: bound schema modules (default: activate the configured database).

    Returns:
        The model key ``{"model": name}``.

    Raises:
        ValueError: a scan is not in the nda tables or has no units with Activity.
    """
    twin = twin_schema(schemas)
    nda = twin.nda
    if isinstance(params, int):
        if not twin.ParamSet & {"paramset_idx": params}:
            raise ValueError(f"params: no twin.ParamSet with paramset_idx={params}")
        paramset_idx = params
    else:
        paramset_idx = twin.ParamSet.insert_new(DEFAULT_PARAMS if params is None else params, description)
    frames = []
    for scan in scan_keys(scans):
        unit_ids = np.sort(np.asarray((nda.ScanUnit * nda.Activity & scan).to_arrays("unit_id"), dtype=np.int64))
        if not unit_ids.size:
            raise ValueError(f"scans: scan {scan} has no ScanUnit with an Activity trace in the nda tables")
        frames.append(pd.DataFrame(dict(scan, unit_id=unit_ids, readout_id=np.arange(unit_ids.size))))
    if not frames:
        raise ValueError("scans is empty: name at least one (session, scan_idx)")
    row = {"model": name, "backend": "nda_ext", "source": "training", "paramset_idx": paramset_idx,
           "description": description}
    return _register(twin, row, pd.concat(frames, ignore_index=True))


def import_release(directory, name: str, backend: str = "nda_ext", *, description: str = "",
                   schemas: dict | None = None) -> dict:
    """Register a release directory (``docs/fnn_release.md`` §2) as model ``name``.

    Only the scans of ``scans.csv`` that are in the nda tables are registered (a release covers 13 MICrONS scans;
    a mirror may hold fewer). The directory is referenced, not copied: its checksum is recorded and checked before
    every use. The ``fnn`` backend needs the fnn package only when the model is run (``twin.Performance``,
    ``twin.Tuning``).

    Args:
        directory: release directory (``params_core.pt``, ``params_{session}_{scan_idx}.pt``, ``units.csv``,
            ``scans.csv``; ours also ``config.json``).
        name: registry name.
        backend: ``"nda_ext"`` (a release written by :func:`export_release`) or ``"fnn"`` (the official MICrONS
            foundation-model release, run with ``nda_ext.model.fnn_backend.FnnScan``).
        description: free text.
        schemas: bound schema modules.

    Returns:
        The model key ``{"model": name}``.

    Raises:
        ValueError: unknown backend, a backend that does not match the directory, no scan of the release in the
            nda tables, or units.csv units missing from ``nda.ScanUnit``.
        FileNotFoundError: naming the missing release file.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    directory = Path(directory).resolve()
    kind = release_kind(directory)
    if kind == "fnn" and backend != "fnn":
        raise ValueError(f"{directory} is an official fnn release (no {CONFIG_FILE}): import it with backend='fnn'")
    units, scans = read_tables(directory)
    missing_files = [scan_file(s, i) for s, i in zip(scans.session, scans.scan_idx)
                     if not (directory / scan_file(s, i)).is_file()]
    if missing_files:
        raise FileNotFoundError(f"release {directory} lacks {', '.join(missing_files)} listed in {SCANS_FILE}")
    twin = twin_schema(schemas)
    nda = twin.nda
    present = pd.DataFrame(nda.Scan.proj().to_dicts(), columns=["session", "scan_idx"]).astype(int)
    units = units.astype({c: int for c in ("session", "scan_idx", "unit_id", "readout_id")})
    units = units.merge(present, on=["session", "scan_idx"])
    if units.empty:
        raise ValueError(f"no scan of {directory / SCANS_FILE} is in the nda tables (scans: "
                         f"{sorted(zip(scans.session, scans.scan_idx))})")
    known = pd.DataFrame((nda.ScanUnit & units[["session", "scan_idx"]].drop_duplicates().to_dict("records"))
                         .proj().to_dicts(), columns=["session", "scan_idx", "unit_id"]).astype(int)
    unknown = units.merge(known, how="left", indicator=True).query("_merge == 'left_only'")
    if len(unknown):
        raise ValueError(f"{directory / UNITS_FILE}: {len(unknown)} units are not in nda.ScanUnit, e.g. "
                         f"{unknown.iloc[0][['session', 'scan_idx', 'unit_id']].to_dict()}")
    row = {"model": name, "backend": backend, "source": "release", "release_path": str(directory),
           "release_checksum": release_checksum(directory), "description": description}
    return _register(twin, row, units)


def export_release(model: str, directory, *, schemas: dict | None = None) -> Path:
    """Write registered model ``model`` as a release directory (``units.csv`` from ``twin.Model.Readout``).

    Trained models need their ``twin.Training`` row; release models have their files copied.

    Returns:
        The directory.

    Raises:
        ValueError: unknown model, or a training model that is not trained yet.
    """
    twin = twin_schema(schemas)
    key = {"model": model}
    if not twin.Model & key:
        raise ValueError(f"no twin model {model!r} registered (twin.Model has {twin.Model.to_arrays('model')})")
    row = (twin.Model & key).fetch1()
    directory = Path(directory)
    if row["source"] == "release":
        source = check_release(row)
        directory.mkdir(parents=True, exist_ok=True)
        for path in list(source.glob("params_*.pt")) + [source / n for n in (UNITS_FILE, SCANS_FILE, CONFIG_FILE)]:
            if path.is_file():
                shutil.copy2(path, directory / path.name)
        return directory
    if not twin.Training & key:
        raise ValueError(f"twin model {model!r} is not trained yet: populate twin.Training first")
    checkpoint = (twin.Training & key).proj("checkpoint", "checksum").fetch1()
    network = load_model(row, checkpoint)
    frames = []
    for scan in (twin.Model.Scan & key).to_dicts():
        ids = readout_unit_ids(twin.Model, scan)
        frames.append(pd.DataFrame({"session": scan["session"], "scan_idx": scan["scan_idx"], "unit_id": ids,
                                    "readout_id": np.arange(ids.size)}))
    return write_release(network.cpu(), directory, pd.concat(frames, ignore_index=True))
