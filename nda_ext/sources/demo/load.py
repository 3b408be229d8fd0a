"""Load a generated demo dataset into the nda mirror and its planted truth into the ``demo`` schema."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from nda_ext.compute.scan_arrays import ClipTrials, ScanTraces
from nda_ext.compute.scan_tuning import oracle_scores
from nda_ext.dj.insert import atomic, bulk_insert
from nda_ext.sources.mirror import insert_tables

TRUTH_COLUMNS = ("session", "scan_idx", "unit_id", "pref_dir", "pref_ori", "planted_gosi", "planted_gdsi", "rf_x",
                 "rf_y", "gain", "noise_sd", "is_soma")


def _rows_of_scan(rows: list[dict], scan: tuple[int, int]) -> list[dict]:
    return [r for r in rows if (int(r["session"]), int(r["scan_idx"])) == scan]


def nda_oracle_rows(tables: dict[str, list[dict]]) -> list[dict]:
    """``nda.Oracle`` rows (trials, pearson) computed from the dataset's own Activity and Clip trials, as BCM did."""
    clips = {r["condition_hash"]: float(r["duration"]) for r in tables["Clip"]}
    rows = []
    for scan_row in tables["Scan"]:
        scan = (int(scan_row["session"]), int(scan_row["scan_idx"]))
        units = sorted(_rows_of_scan(tables["ScanUnit"], scan), key=lambda r: r["unit_id"])
        activity = {r["unit_id"]: r["trace"] for r in _rows_of_scan(tables["Activity"], scan)}
        frame_times = _rows_of_scan(tables["ScanTimes"], scan)[0]["frame_times"]
        trials = sorted((r for r in _rows_of_scan(tables["Trial"], scan) if r["type"] == "stimulus.Clip"),
                        key=lambda r: r["trial_idx"])
        traces = ScanTraces(unit_ids=np.array([u["unit_id"] for u in units]),
                            traces=np.stack([activity[u["unit_id"]] for u in units]),
                            frame_times=np.asarray(frame_times, float),
                            delays_s=np.array([u["ms_delay"] for u in units], float) / 1000.0,
                            fps=float(scan_row["fps"]))
        clip_trials = ClipTrials(condition_hashes=np.array([t["condition_hash"] for t in trials]),
                                 start_s=np.array([t["start_frame_time"] for t in trials], float),
                                 duration_s=np.array([clips[t["condition_hash"]] for t in trials]))
        _master, unit_rows = oracle_scores(traces, clip_trials)
        rows += [{"session": scan[0], "scan_idx": scan[1], "unit_id": u["unit_id"], "trials": u["trials"],
                  "pearson": u["pearson"]} for u in unit_rows if u["pearson"] is not None]
    return rows


def load(schemas: dict, dataset, name: str = "default", *, generation_s: float = 0.0, progress: bool = True) -> dict:
    """Insert ``dataset`` (a :class:`~nda_ext.sources.demo.DemoDataset`) in one transaction.

    Returns rows inserted per nda table.
    """
    nda, demo = schemas["nda"], schemas["demo"]
    tables = dict(dataset.tables, Oracle=nda_oracle_rows(dataset.tables))
    truth = dataset.truth.loc[:, list(TRUTH_COLUMNS)].to_dict("records")
    config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(dataset.config).items()}
    started = time.perf_counter()
    with atomic(nda.schema.connection):
        counts = insert_tables(nda, tables, progress=progress)
        demo.Dataset.insert1({"dataset": name, "seed": dataset.config.seed, "config": config,
                              "generation_s": generation_s})
        bulk_insert(demo.UnitTruth(), truth)
    counts["load_s"] = time.perf_counter() - started
    return counts
