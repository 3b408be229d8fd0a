"""Arrays behind the twin figures: a unit's recorded and predicted oracle responses, in-silico vs recorded tuning."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from nda_ext.compute.correlation import as_repeats
from nda_ext.compute.scan_tuning import oracle_repeats
from nda_ext.schemas.twin.makes import performance_inputs, scan_twin
from nda_ext.twin.registry import twin_schema


def oracle_prediction(model: str, unit_key: dict, *, performance_method: str = "default", burnin: int | None = None,
                      schemas: dict | None = None) -> dict:
    """Recorded repeats and the model's prediction of one unit on the oracle clips (clips concatenated).

    Args:
        model: registry name.
        unit_key: ``session``, ``scan_idx``, ``unit_id``.
        performance_method: ``twin.PerformanceMethod`` whose behaviour and burn-in settings are used.
        burnin: override the method's burn-in (scan frames dropped per clip).
        schemas: bound schema modules.

    Returns:
        dict with ``recorded`` (repeats, samples), ``predicted`` (samples,) (trial-averaged), ``fps`` (Hz) and
        ``readout_id``.
    """
    twin = twin_schema(schemas)
    key = dict(model=model, session=int(unit_key["session"]), scan_idx=int(unit_key["scan_idx"]))
    method = (twin.PerformanceMethod & {"performance_method": performance_method}).fetch1()
    traces, trials, data, model_row, unit_ids, checkpoint = performance_inputs(twin.nda, twin.Model, twin.Training,
                                                                               key)
    where = np.flatnonzero(unit_ids == int(unit_key["unit_id"]))
    if not where.size:
        raise ValueError(f"unit {unit_key} has no readout in twin model {model!r}")
    predicted = scan_twin(key, model_row, unit_ids, checkpoint).predict_scan(data, bool(method["use_behaviour"]))
    one = dataclasses.replace(traces, unit_ids=traces.unit_ids[where], traces=traces.traces[where],
                              delays_s=traces.delays_s[where])
    burnin = int(method["burnin"]) if burnin is None else int(burnin)
    n_repeats = int(method["n_repeats"])
    recorded = as_repeats(oracle_repeats(one, trials, n_repeats), burnin)[0]
    model_repeats = oracle_repeats(dataclasses.replace(one, traces=predicted[:, where].T), trials, n_repeats)
    return {"recorded": recorded, "predicted": np.nanmean(as_repeats(model_repeats, burnin)[0], axis=0),
            "fps": traces.fps, "readout_id": int(where[0])}


def tuning_pairs(model: str, *, insilico_method: str = "default", direction_method: str = "fast",
                 schemas: dict | None = None) -> pd.DataFrame:
    """In-silico (``twin.Tuning.Unit``) next to recorded (``tuning.DirectionTuning.Unit``) tuning, one row per unit.

    Columns: session, scan_idx, unit_id, ``insilico_*`` and ``recorded_*`` for gosi, gdsi, pref_ori, pref_dir,
    responses, plus the direction grids ``insilico_directions`` and ``recorded_directions`` (degrees).
    """
    twin = twin_schema(schemas)
    if schemas is not None:
        tuning = schemas["tuning"]
    else:
        from nda_ext.schemas import tuning  # bound together with twin by nda_ext.activate
    keys = ["session", "scan_idx", "unit_id"]
    columns = ["gosi", "gdsi", "pref_ori", "pref_dir", "responses", "directions"]
    model_side = pd.DataFrame((twin.Tuning.Unit * twin.Tuning.proj("directions")
                               & {"model": model, "insilico_method": insilico_method}).to_dicts())
    recorded = pd.DataFrame((tuning.DirectionTuning.Unit * tuning.DirectionTuning.proj("directions")
                             & {"direction_method": direction_method}).to_dicts())
    recorded = recorded.rename(columns={"mean_responses": "responses"})
    pairs = model_side[keys + columns].merge(recorded[keys + columns], on=keys, suffixes=("_insilico", "_recorded"))
    return pairs.rename(columns={f"{c}_{side}": f"{side}_{c}" for c in columns for side in ("insilico", "recorded")})
