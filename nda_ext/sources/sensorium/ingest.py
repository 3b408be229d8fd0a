"""Import a Sensorium 2022 static dataset (folder or released zip) into the ``sensorium`` schema, and score
predictions against it.

``ingest`` reads the files with :func:`nda_ext.sources.sensorium.read_static_dataset` (which names the file of a
truncated ``.npy``, a missing meta file or inconsistent trial counts), checks the shapes, and inserts Dataset,
Neuron and Trial rows in one transaction, so a malformed dataset leaves nothing behind. ``Oracle`` (jackknife
oracle, FEV) is then filled by ``populate``; predictions added with :func:`add_predictions` are scored by
``Score.populate`` (single-trial correlation, correlation to average, FEVE).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import numpy as np
import pandas as pd

from nda_ext.dj import active
from nda_ext.dj.insert import atomic, bulk_insert
from nda_ext.sources.sensorium.read import read_static_dataset
from nda_ext.sources.sensorium.tree import SensoriumFormatError

DATA_KEY = re.compile(r"(\d+)-(\d+)-(\d+)")


def _module(schemas):
    return active.bound(schemas)["sensorium"]


def _recording(path: Path, neurons: pd.DataFrame) -> tuple[int, int, int]:
    """(animal_id, session, scan_idx) from ``meta/neurons`` (animal_ids, sessions, scan_idx) or the name."""
    if {"animal_ids", "sessions", "scan_idx"} <= set(neurons.columns):
        return tuple(int(neurons[c].iloc[0]) for c in ("animal_ids", "sessions", "scan_idx"))
    match = DATA_KEY.search(path.name)
    if match is None:
        raise SensoriumFormatError(f"{path}: meta/neurons has no animal_ids/sessions/scan_idx and the name holds no "
                                   f"<animal>-<session>-<scan> key")
    return tuple(int(g) for g in match.groups())


def _check_shapes(data) -> None:
    n = len(data.trials)
    for name, width in (("behavior", 3), ("pupil_center", 2)):
        shape = getattr(data, name).shape
        if shape != (n, width):
            raise SensoriumFormatError(f"{data.path}: data/{name} holds per-trial shape {shape[1:]}, "
                                       f"expected ({width},)")


def _text(values) -> np.ndarray:
    return np.asarray(values).astype(str)


def ingest(path, *, name: str | None = None, schemas: dict | None = None) -> str:
    """Import a Sensorium 2022 static dataset into the ``sensorium`` schema (skipped when already there).

    Args:
        path: Dataset folder or released ``.zip``.
        name: Dataset name; default ``<animal>-<session>-<scan>``.
        schemas: Bound schemas (default ``nda_ext.activate()``).

    Returns:
        The dataset name.

    Raises:
        SensoriumFormatError: Truncated/unreadable ``.npy``, missing meta files, inconsistent trial counts or
            shapes (the message names the file).
    """
    module = _module(schemas)
    data = read_static_dataset(path)
    _check_shapes(data)
    animal, session, scan_idx = _recording(data.path, data.neurons)
    name = name or f"{animal}-{session}-{scan_idx}"
    if len(module.Dataset & {"dataset": name}):
        return name
    from nda_ext.version import __version__

    neurons = data.neurons
    motor = {c: neurons[f"cell_motor_{c}"].to_numpy(float) if f"cell_motor_{c}" in neurons else
             np.full(len(neurons), np.nan) for c in "xyz"}
    text = lambda column: _text(neurons[column]) if column in neurons else np.full(len(neurons), "")
    neuron_rows = pd.DataFrame({"dataset": name, "neuron": np.arange(len(neurons)),
                                "unit_id": neurons["unit_ids"].to_numpy(np.int64), "area": text("area"),
                                "layer": text("layer"),
                                **{f"motor_{c}": motor[c] for c in "xyz"}})
    neuron_rows = neuron_rows.astype(object).where(neuron_rows.notna(), None).to_dict("records")
    trials = data.trials
    trial_idx = _text(trials["trial_idx"]) if "trial_idx" in trials else _text(trials.index)
    trial_rows = [{"dataset": name, "trial": int(t), "trial_idx": trial_idx[i], "tier": str(trials["tier"].iloc[i]),
                   "image_id": int(trials["image_id"].iloc[i]),
                   "responses": data.responses[i].astype(np.float32), "behavior": data.behavior[i].astype(np.float32),
                   "pupil_center": data.pupil_center[i].astype(np.float32)}
                  for i, t in enumerate(trials.index)]
    with atomic(module.schema.connection):
        module.Dataset.insert1({"dataset": name, "kind": "static", "animal_id": animal, "session": session,
                                "scan_idx": scan_idx, "source_path": str(Path(path).resolve()),
                                "n_trials": len(trial_rows), "n_neurons": len(neuron_rows),
                                "ingested_at": datetime.datetime.now().replace(microsecond=0),
                                "nda_ext_version": __version__})
        bulk_insert(module.Neuron(), neuron_rows)
        bulk_insert(module.Trial(), trial_rows)
    return name


def add_predictions(dataset: str, model: str, predictions: pd.DataFrame, *, tier: str = "test",
                    schemas: dict | None = None) -> dict:
    """Store a submission-style predictions table (``trial_indices``, ``image_ids``, ``prediction``,
    ``neuron_ids``) for ``tier`` of ``dataset`` as ``sensorium.Prediction``; returns its key.

    Raises:
        ValueError: A missing column, or rows listing different neuron ids.
    """
    module = _module(schemas)
    missing = [c for c in ("trial_indices", "image_ids", "prediction", "neuron_ids") if c not in predictions]
    if missing:
        raise ValueError(f"predictions: missing columns {missing}")
    neuron_ids = np.stack(predictions["neuron_ids"].to_numpy())
    if (neuron_ids != neuron_ids[0]).any():
        raise ValueError("predictions.neuron_ids: every row must list the same neuron ids in the same order")
    key = {"dataset": dataset, "model": model}
    rows = [dict(key, trial_indices=str(t), image_id=int(i), prediction=np.asarray(p, np.float32))
            for t, i, p in zip(predictions["trial_indices"], predictions["image_ids"], predictions["prediction"])]
    with atomic(module.schema.connection):
        module.Prediction.insert1(dict(key, tier=tier, neuron_ids=neuron_ids[0].astype(np.int64)))
        bulk_insert(module.Prediction.Trial(), rows)
    return key


def score(dataset: str, model: str, *, schemas: dict | None = None) -> pd.Series:
    """Populate ``sensorium.Score`` for one prediction and return its summary (means over neurons).

    Raises:
        ValueError: When scoring fails (mismatched trials, image ids or neuron ids; the message says which).
    """
    module = _module(schemas)
    key = {"dataset": dataset, "model": model}
    result = module.Score.populate(key, suppress_errors=True)
    if result["error_list"]:
        raise ValueError(f"scoring {key} failed: {result['error_list'][0][1]}")
    return pd.Series((module.Score & key).fetch1()).drop(["dataset", "model"])
