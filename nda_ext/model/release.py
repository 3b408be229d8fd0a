"""MICrONS digital-twin release directories, both ways (``docs/fnn_release.md`` §2, §4, §5).

Layout::

    params_core.pt                  state-dict entries whose keys start with ``core.``
    params_{session}_{scan_idx}.pt  one per scan: the scan's own entries (``perspective.``, ``modulation.``,
                                    ``readout.``; ours also ``behaviour.``), keys without a scan prefix
    units.csv                       session, scan_idx, unit_id, readout_id (readout_id = output column 0..U-1)
    scans.csv                       session, scan_idx, units, data_id
    config.json                     ours only: hyper-parameters and per-scan frame rates

A directory without ``config.json`` but with ``params_core.pt`` and ``scans.csv`` is an official fnn release:
``release_kind`` says so and ``load_release`` raises ``FnnReleaseError`` so callers route it to
``nda_ext.model.fnn_backend``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from nda_ext.model.network import TwinConfig, TwinModel, scan_name

FORMAT = "nda_ext.twin"
CORE_FILE, UNITS_FILE, SCANS_FILE, CONFIG_FILE = "params_core.pt", "units.csv", "scans.csv", "config.json"
UNITS_COLUMNS = ("session", "scan_idx", "unit_id", "readout_id")
SCANS_COLUMNS = ("session", "scan_idx", "units", "data_id")


class FnnReleaseError(ValueError):
    """The directory is an official fnn (MICrONS foundation model) release; load it with the fnn backend."""


def scan_file(session: int, scan_idx: int) -> str:
    """File name of a scan's parameters, ``params_{session}_{scan_idx}.pt``."""
    return f"params_{int(session)}_{int(scan_idx)}.pt"


def release_kind(directory) -> str:
    """``"nda_ext"`` (has ``config.json``) or ``"fnn"`` (``params_core.pt`` and ``scans.csv``, no config).

    Raises:
        FileNotFoundError: naming the files that are missing when the directory is neither.
    """
    directory = Path(directory)
    if (directory / CONFIG_FILE).is_file():
        return "nda_ext"
    missing = [f for f in (CORE_FILE, SCANS_FILE) if not (directory / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{directory} is not a digital-twin release: missing {', '.join(missing)} "
                                f"(and no {CONFIG_FILE})")
    return "fnn"


def _units_table(model: TwinModel, units_table: pd.DataFrame | None) -> pd.DataFrame:
    """Validated units table with one row per readout of every scan of the model."""
    if units_table is None:
        missing = [name for name, m in model.scans.items() if m.unit_ids is None]
        if missing:
            raise ValueError(f"scans {missing} have no unit_ids: pass units_table")
        units_table = pd.concat([pd.DataFrame({"session": m.session, "scan_idx": m.scan_idx,
                                               "unit_id": m.unit_ids, "readout_id": np.arange(m.n_units)})
                                 for m in model.scans.values()], ignore_index=True)
    missing = [c for c in UNITS_COLUMNS if c not in units_table.columns]
    if missing:
        raise ValueError(f"units_table lacks columns {missing} (needs {list(UNITS_COLUMNS)})")
    table = units_table.loc[:, list(UNITS_COLUMNS)].astype("int64")
    table = table.sort_values(list(UNITS_COLUMNS[:2]) + ["readout_id"])
    for name, module in model.scans.items():
        rows = table[(table.session == module.session) & (table.scan_idx == module.scan_idx)]
        if not np.array_equal(rows.readout_id.to_numpy(), np.arange(module.n_units)):
            raise ValueError(f"units_table rows of scan {name} must have readout_id 0..{module.n_units - 1} once "
                             f"each, got {len(rows)} rows")
    extra = set(map(tuple, table[["session", "scan_idx"]].drop_duplicates().to_numpy())) - \
        {(m.session, m.scan_idx) for m in model.scans.values()}
    if extra:
        raise ValueError(f"units_table names scans {sorted(extra)} that the model does not have")
    return table.reset_index(drop=True)


def export_release(model: TwinModel, directory, units_table: pd.DataFrame | None = None) -> Path:
    """Write ``model`` as a release directory (created if needed; existing release files are overwritten).

    Args:
        model: our ``TwinModel``.
        directory: target directory.
        units_table: rows ``session, scan_idx, unit_id, readout_id`` covering every readout of every scan;
            default: the ``unit_ids`` the scans were trained with.

    Returns:
        The directory path.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    units = _units_table(model, units_table)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items() if k.startswith("core.")}
    torch.save(state, directory / CORE_FILE)
    scans = []
    for module in model.scans.values():
        torch.save({k: v.detach().cpu().clone() for k, v in module.state_dict().items()},
                   directory / scan_file(module.session, module.scan_idx))
        ids = units[(units.session == module.session) & (units.scan_idx == module.scan_idx)].unit_id
        digest = hashlib.md5(f"{module.session}-{module.scan_idx}:{','.join(map(str, ids))}".encode()).hexdigest()
        scans.append({"session": module.session, "scan_idx": module.scan_idx, "units": module.n_units,
                      "data_id": digest})
    units.to_csv(directory / UNITS_FILE, index=False)
    pd.DataFrame(scans, columns=list(SCANS_COLUMNS)).to_csv(directory / SCANS_FILE, index=False)
    config = {"format": FORMAT, "version": 1, "hyperparameters": model.config.to_dict(),
              "scans": {name: {"fps": m.fps} for name, m in model.scans.items()}}
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2))
    return directory


def read_tables(directory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``units.csv`` and ``scans.csv`` of a release (ours or fnn), columns checked, units.csv rows checked
    against scans.csv (known scan, count, readout_id 0..U-1).

    Raises:
        FileNotFoundError: a table is missing. ValueError: naming the file and what disagrees.
    """
    directory = Path(directory)
    tables = {}
    for name, columns in ((UNITS_FILE, UNITS_COLUMNS), (SCANS_FILE, SCANS_COLUMNS)):
        path = directory / name
        if not path.is_file():
            raise FileNotFoundError(f"release file {path} is missing")
        table = pd.read_csv(path)
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise ValueError(f"{path} lacks columns {missing} (needs {list(columns)})")
        tables[name] = table
    units, scans = tables[UNITS_FILE], tables[SCANS_FILE]
    known = set(zip(scans.session, scans.scan_idx))
    unknown = sorted(set(zip(units.session, units.scan_idx)) - known)
    if unknown:
        raise ValueError(f"{directory / UNITS_FILE} names scans {unknown} that {SCANS_FILE} does not list")
    for row in scans.itertuples():
        readouts = units[(units.session == row.session) & (units.scan_idx == row.scan_idx)].readout_id
        if not np.array_equal(np.sort(readouts.to_numpy()), np.arange(row.units)):
            raise ValueError(f"{directory / UNITS_FILE} has {len(readouts)} rows for scan {row.session}-"
                             f"{row.scan_idx} but {SCANS_FILE} says units={row.units} (readout_id must be 0..U-1)")
    return units, scans


def _load(path: Path) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"release file {path} is missing")
    return torch.load(path, map_location="cpu", weights_only=True)


def load_release(directory, device=None) -> tuple[TwinModel, pd.DataFrame, pd.DataFrame, TwinConfig]:
    """Rebuild our model from a release directory written by ``export_release``.

    Args:
        directory: release directory.
        device: torch device for the model (default CPU).

    Returns:
        (model, units, scans, config): the model in eval mode, ``units.csv`` and ``scans.csv`` as DataFrames,
        and the hyper-parameters.

    Raises:
        FnnReleaseError: the directory is an official fnn release (no ``config.json``).
        FileNotFoundError: naming a missing file (``params_core.pt``, a scan's params file, a table).
        ValueError: naming the file whose content disagrees (unit counts, unknown scans, state-dict keys).
    """
    directory = Path(directory)
    if release_kind(directory) == "fnn":
        raise FnnReleaseError(f"{directory} is an official fnn release (no {CONFIG_FILE}); load it with "
                              f"backend='fnn' (nda_ext.model.fnn_backend)")
    config_file = json.loads((directory / CONFIG_FILE).read_text())
    if config_file.get("format") != FORMAT:
        raise ValueError(f"{directory / CONFIG_FILE} has format {config_file.get('format')!r}, expected {FORMAT!r}")
    config = TwinConfig.from_dict(config_file["hyperparameters"])
    units, scans = read_tables(directory)
    model = TwinModel(config)
    core = _load(directory / CORE_FILE)
    _load_into(model.core, {k[len("core."):]: v for k, v in core.items()}, directory / CORE_FILE)
    meta = config_file.get("scans", {})
    for row in scans.itertuples():
        name = scan_name((row.session, row.scan_idx))
        if name not in meta:
            raise ValueError(f"{directory / SCANS_FILE} lists scan {name} that {CONFIG_FILE} does not know")
        path = directory / scan_file(row.session, row.scan_idx)
        state = _load(path)
        n_units = state["readout.bias"].shape[0] if "readout.bias" in state else None
        if n_units != row.units:
            raise ValueError(f"{path} has a readout of {n_units} units but {SCANS_FILE} says {row.units}")
        rows = units[(units.session == row.session) & (units.scan_idx == row.scan_idx)].sort_values("readout_id")
        module = model.add_scan(row.session, row.scan_idx, row.units, fps=meta[name]["fps"],
                                unit_ids=rows.unit_id.to_numpy())
        _load_into(module, state, path)
    return model.to(device or "cpu").eval(), units, scans, config


def _load_into(module: torch.nn.Module, state: dict, path: Path) -> None:
    """``load_state_dict`` (strict) with errors naming the file."""
    try:
        module.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f"{path} does not match the model built from {CONFIG_FILE}: {err}") from err
