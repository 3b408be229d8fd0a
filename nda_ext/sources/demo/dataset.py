"""Assemble a synthetic nda v8 dataset: every table except ``Oracle`` plus the planted ground truth."""

import dataclasses
import functools

import numpy as np
import pandas as pd

from nda_ext.compute.unit_keys import unit_hash, unit_str_key
from nda_ext.sources.demo import anatomy, schedule, segmentation
from nda_ext.sources.demo.behavior import behavior
from nda_ext.sources.demo.config import SCAN_INCLUDE, DemoConfig, rng_for
from nda_ext.sources.demo.movie import stimulus_movie
from nda_ext.sources.demo.responses import global_selectivity, simulate, unit_parameters
from nda_ext.sources.demo.stimuli import CLIP_KINDS, clip_row, condition_frames, monet2_row, trippy_row

TABLES = ("Scan", "ScanInclude", "Field", "ScanTimes", "RasterCorrection", "MotionCorrection", "MeanIntensity",
          "SummaryImages", "Segmentation", "MaskClassification", "Fluorescence", "ScanUnit", "UnitHash", "Activity",
          "AreaMembership", "Stack", "Registration", "StackUnit", "Coregistration", "Stimulus", "Trial", "Clip",
          "Monet2", "Trippy", "RawManualPupil", "ManualPupil", "RawTreadmill", "Treadmill")
"""The nda v8 tables the generator fills (all but ``Oracle``), in dependency order."""

TRUTH_COLUMNS = ("session", "scan_idx", "unit_id", "field", "mask_id", "pref_dir", "pref_ori", "ori_weight",
                 "dir_weight", "planted_gosi", "planted_gdsi", "rf_x", "rf_y", "rf_sigma", "wavelength",
                 "temporal_freq", "gain", "baseline", "beta_pupil", "beta_running", "noise_sd", "brain_area",
                 "um_x", "um_y", "um_z", "is_soma")


@dataclasses.dataclass
class DemoDataset:
    """A generated dataset.

    Attributes:
        config: the DemoConfig it was generated from.
        tables: nda v8 table name -> list of row dicts with exactly the v8 attribute names.
        truth: planted model, one row per unit (TRUTH_COLUMNS): angles in degrees, our convention (0 = rightward
            motion, counter-clockwise); ori_weight / dir_weight are the orientation- and direction-selective
            mixing weights; planted_gosi / planted_gdsi are the vector selectivities of the noise-free,
            behaviour-free rate averaged over the scan's Monet2 segments of each of the 16 directions; rf_x, rf_y,
            rf_sigma, wavelength in stimulus pixels of the 90 x 160 movie; gain and baseline in Activity units;
            noise_sd = coefficient of variation of Activity around the rate; um_* = ScanUnit position.
    """

    config: DemoConfig
    tables: dict
    truth: pd.DataFrame

    def iter_rows(self, table):
        """Iterate the rows of ``table`` (KeyError naming the table if unknown)."""
        if table not in self.tables:
            raise KeyError(f"table {table!r} is not in the demo dataset; expected one of {sorted(self.tables)}")
        return iter(self.tables[table])

    def n_rows(self, table):
        """Number of rows of ``table``."""
        return sum(1 for _ in self.iter_rows(table))


def _frame_times(rng, cfg):
    """Volume start times, s, behaviour clock zeroed at the first frame (tiny timing jitter)."""
    times = np.arange(cfg.nframes) / cfg.fps + rng.normal(0, 2e-4, cfg.nframes)
    return times - times[0]


def _shared_conditions(cfg, counts):
    """Conditions shown in every scan: oracle clips, Monet2 and Trippy trials."""
    rng = rng_for(cfg.seed, "conditions")
    return {
        "oracle": [clip_row(rng, cfg, f"oracle-{i}", CLIP_KINDS[i % 3]) for i in range(cfg.n_oracle_clips)],
        "Monet2": [monet2_row(rng, cfg, f"monet2-{i}") for i in range(counts["Monet2"])],
        "Trippy": [trippy_row(rng, cfg, f"trippy-{i}") for i in range(counts["Trippy"])],
    }


def _unit_rows(scan_key, units, areas, activity, fluorescence):
    """Fluorescence, ScanUnit, UnitHash, Activity and AreaMembership rows of one scan."""
    rows = {name: [] for name in ("Fluorescence", "ScanUnit", "UnitHash", "Activity", "AreaMembership")}
    session, scan_idx = scan_key["session"], scan_key["scan_idx"]
    columns = ("unit_id", "field", "mask_id", "um_x", "um_y", "um_z", "px_x", "px_y", "ms_delay")
    for i, values in enumerate(zip(*(units[c].to_numpy() for c in columns))):
        unit = dict(zip(columns, map(int, values)))
        unit_key = dict(scan_key, unit_id=unit["unit_id"])
        rows["Fluorescence"].append(dict(scan_key, field=unit["field"], mask_id=unit["mask_id"],
                                         trace=fluorescence[i]))
        rows["ScanUnit"].append(dict(scan_key, **unit))
        rows["UnitHash"].append(dict(unit_key, hash=unit_hash(session, scan_idx, unit["unit_id"]),
                                     str_key=unit_str_key(session, scan_idx, unit["unit_id"])))
        rows["Activity"].append(dict(unit_key, trace=activity[i]))
        rows["AreaMembership"].append(dict(unit_key, brain_area=areas[i]))
    return rows


def _field_rows(cfg, rng, scan_key, fields, units, params, nframes):
    """Segmentation, MaskClassification, SummaryImages, QC and Registration rows of one scan's fields."""
    rows = {name: [] for name in ("Segmentation", "MaskClassification", "SummaryImages", "RasterCorrection",
                                  "MotionCorrection", "MeanIntensity")}
    pixels, weights = segmentation.footprints(cfg, rng, units)
    averages = []
    for field in fields:
        members = np.flatnonzero(units["field"].to_numpy() == field["field"])
        field_key = dict(scan_key, field=field["field"])
        for i in members:
            mask_key = dict(field_key, mask_id=int(units["mask_id"].iat[i]))
            rows["Segmentation"].append(dict(mask_key, pixels=pixels[i], weights=weights[i]))
            rows["MaskClassification"].append(
                dict(mask_key, mask_type="soma" if units["is_soma"].iat[i] else "artifact"))
        correlation, average = segmentation.field_images(
            cfg, rng, [pixels[i] for i in members], [weights[i] for i in members],
            params["brightness"].to_numpy()[members])
        averages.append(average)
        rows["SummaryImages"].append(dict(field_key, correlation=correlation, average=average))
        for name, row in zip(("RasterCorrection", "MotionCorrection", "MeanIntensity"),
                             segmentation.quality_rows(cfg, rng, field, average, nframes)):
            rows[name].append(row)
    rows["Registration"] = anatomy.registration_rows(rng, fields, averages)
    return rows


def _scan(cfg, scan_key, counts, shared):
    """All rows and the truth of one scan."""
    session, scan_idx = scan_key["session"], scan_key["scan_idx"]
    stream = functools.partial(rng_for, cfg.seed, session, scan_idx)
    frame_times = _frame_times(stream("frames"), cfg)
    clip_rng = stream("clips")
    clips = [clip_row(clip_rng, cfg, f"{session}-{scan_idx}-{i}", CLIP_KINDS[int(clip_rng.integers(3))])
             for i in range(counts["Clip"])]
    once = ([("Monet2", r["condition_hash"]) for r in shared["Monet2"]]
            + [("Trippy", r["condition_hash"]) for r in shared["Trippy"]]
            + [("Clip", r["condition_hash"]) for r in clips])
    order_rng = stream("schedule")
    order = schedule.trial_order(order_rng, [r["condition_hash"] for r in shared["oracle"]], once,
                                 cfg.oracle_repeats)
    frames = {r["condition_hash"]: condition_frames(t, r) for t, group in
              (("Clip", shared["oracle"] + clips), ("Monet2", shared["Monet2"]), ("Trippy", shared["Trippy"]))
              for r in group}
    movies = [frames[h] for _, h in order]
    plan = schedule.display_plan(order_rng, [len(m) for m in movies], cfg)
    trials = schedule.trial_rows(scan_key, order, plan, frame_times)
    movie = stimulus_movie(plan, movies, frame_times)

    fields = anatomy.field_rows(cfg, stream("fields"), scan_key)
    units = anatomy.place_units(cfg, stream("units"), fields)
    areas = anatomy.brain_areas(units["um_x"], units["um_y"])
    params = unit_parameters(cfg, stream("tuning"), units)
    behaviour, latent = behavior(stream("behavior"), scan_key, frame_times)
    labels = schedule.frame_directions(trials, {r["condition_hash"]: r for r in shared["Monet2"]}, frame_times)
    activity, fluorescence, directions, curve = simulate(stream("noise"), params, movie, latent, labels, cfg)
    gosi, gdsi = global_selectivity(directions, curve)

    rows = {
        "Scan": [dict(scan_key, nframes=cfg.nframes, nfields=cfg.n_fields, fps=float(cfg.fps))],
        "ScanInclude": [dict(scan_key)] if (session, scan_idx) in SCAN_INCLUDE else [],
        "Field": fields,
        "ScanTimes": [dict(scan_key, frame_times=frame_times, ndepths=len({f["field_z"] for f in fields}))],
        "Stimulus": [dict(scan_key, movie=movie)],
        "Trial": trials,
        "Clip": clips,
        **{name: [row] for name, row in behaviour.items()},
        **_unit_rows(scan_key, units, areas, activity, fluorescence),
        **_field_rows(cfg, stream("fields-images"), scan_key, fields, units, params, cfg.nframes),
    }
    rows["StackUnit"] = anatomy.stack_unit_rows(scan_key, units, rows["Registration"])
    truth = pd.concat([units, params], axis=1).assign(
        session=session, scan_idx=scan_idx, brain_area=areas, planted_gosi=gosi, planted_gdsi=gdsi)
    return rows, truth.loc[:, list(TRUTH_COLUMNS)]


def generate(cfg=None):
    """Generate the demo dataset described by ``cfg`` (default DemoConfig()).

    Returns:
        DemoDataset with the rows of every table in TABLES and the per-unit truth.
    """
    cfg = DemoConfig() if cfg is None else cfg
    if not isinstance(cfg, DemoConfig):
        raise TypeError(f"cfg must be a DemoConfig, got {type(cfg).__name__}")
    counts = schedule.plan_counts(cfg)
    shared = _shared_conditions(cfg, counts)
    tables = {name: [] for name in TABLES}
    tables["Stack"] = [dict(anatomy.STACK)]
    tables["Coregistration"] = anatomy.coregistration_rows(rng_for(cfg.seed, "coregistration"))
    tables["Clip"] += shared["oracle"]
    tables["Monet2"] += shared["Monet2"]
    tables["Trippy"] += shared["Trippy"]
    truths = []
    for session, scan_idx in cfg.scans:
        rows, truth = _scan(cfg, {"session": session, "scan_idx": scan_idx}, counts, shared)
        for name, scan_rows in rows.items():
            tables[name] += scan_rows
        truths.append(truth)
    return DemoDataset(config=cfg, tables=tables, truth=pd.concat(truths, ignore_index=True))
