"""The combined EM unit table: one row per cell (or per functional match), pure pandas.

Built as microns-combiner's ``process_nucleus_data`` but without its pitfalls (docs/cave.md: "microns-combiner"):
cells without a cell type or area are kept (columns empty) rather than dropped; proofreading joins on root id with
missing strategies 'none'; multi-soma objects (every nucleus of a root shared by several nuclei) and nuclei off any
segment (root 0) are excluded and counted in ``attrs``; functional ids always keep the nda column names ``session,
scan_idx, unit_id``; angles are already in our convention (converted on import); layers come from depth with
explicit boundaries (:mod:`nda_ext.compute.em.layers`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nda_ext.compute.em.layers import MINNIE65_BOUNDARIES_UM, assign_layers
from nda_ext.compute.em.positions import add_pia_positions
from nda_ext.compute.unit_keys import UNIT_KEY

FUNCTIONAL_MODES = ("none", "match", "all", "best_only")


def exclude_ambiguous(nuclei: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Drop nuclei off any segment (root 0) and every nucleus of a multi-soma object.

    Returns:
        ``(kept, counts)`` with counts ``n_zero_root``, ``n_multisoma_nuclei`` and ``n_multisoma_objects``.
    """
    roots = nuclei["pt_root_id"]
    zero = roots == 0
    shared = roots.duplicated(keep=False) & ~zero
    counts = {"n_zero_root": int(zero.sum()), "n_multisoma_nuclei": int(shared.sum()),
              "n_multisoma_objects": int(roots[shared].nunique())}
    return nuclei[~zero & ~shared].reset_index(drop=True), counts


def _functional_rows(mode: str, coregistration: pd.DataFrame, functional: pd.DataFrame) -> pd.DataFrame:
    functional = functional.drop(columns=["pt_root_id"], errors="ignore")
    if mode == "match":
        matches = coregistration.drop(columns=["pt_root_id"], errors="ignore")
        return matches.merge(functional, on=["nucleus_id", *UNIT_KEY], how="left")
    if mode == "all":
        return functional
    best = functional.sort_values("cc_abs", ascending=False, kind="stable")
    return best.drop_duplicates("nucleus_id").sort_values("nucleus_id", kind="stable")


def combine_units(nuclei: pd.DataFrame, *, cell_types: pd.DataFrame, brain_areas: pd.DataFrame,
                  proofreading: pd.DataFrame, coregistration: pd.DataFrame, functional_properties: pd.DataFrame,
                  functional: str = "match", layer_boundaries_um=MINNIE65_BOUNDARIES_UM) -> pd.DataFrame:
    """Combine the per-table frames of one materialization into the unit table.

    Args:
        nuclei: ``nucleus_id, pt_root_id, pt_position_x/_y/_z`` (voxels), ``volume``.
        cell_types: ``nucleus_id, classification_system, cell_type``.
        brain_areas: ``nucleus_id, brain_area, boundary_distance``.
        proofreading: ``pt_root_id, status_axon, status_dendrite, strategy_axon, strategy_dendrite``.
        coregistration: ``nucleus_id, session, scan_idx, unit_id, field, residual, score``.
        functional_properties: ``nucleus_id, session, scan_idx, unit_id`` and the functional columns
            (angles in degrees, our convention).
        functional: 'none' (one row per cell), 'match' (one row per coregistration match, functional
            properties of that unit attached), 'all' (one row per functional-properties row) or
            'best_only' (the functional row of highest cc_abs per cell; one row per cell).
        layer_boundaries_um: layer border depths below pia, um.

    Returns:
        Frame sorted by ``nucleus_id`` with ``nucleus_id, pt_root_id, pt_position_x/_y/_z`` (voxels),
        ``x_um, depth_um, z_um`` (pia frame; depth below pia), ``volume``, ``classification_system,
        cell_type, brain_area, boundary_distance, status_axon, status_dendrite, strategy_axon,
        strategy_dendrite, layer``, for functional modes other than 'none' the unit key (nullable Int64)
        and functional columns, and ``tuning_type`` ('matched' / 'not_matched'). ``attrs`` hold the
        exclusion counts and ``functional``.

    Raises:
        ValueError: unknown ``functional`` mode.
    """
    if functional not in FUNCTIONAL_MODES:
        raise ValueError(f"functional must be one of {FUNCTIONAL_MODES}, got {functional!r}")
    cells, counts = exclude_ambiguous(nuclei)
    cells = add_pia_positions(cells)
    cells = cells.merge(cell_types[["nucleus_id", "classification_system", "cell_type"]], on="nucleus_id", how="left")
    cells = cells.merge(brain_areas[["nucleus_id", "brain_area", "boundary_distance"]], on="nucleus_id", how="left")
    proof = proofreading[["pt_root_id", "status_axon", "status_dendrite", "strategy_axon", "strategy_dendrite"]]
    cells = cells.merge(proof, on="pt_root_id", how="left")
    cells[["strategy_axon", "strategy_dendrite"]] = cells[["strategy_axon", "strategy_dendrite"]].fillna("none")
    for column in ("status_axon", "status_dendrite"):
        cells[column] = cells[column].astype("boolean").fillna(False).astype(bool)
    cells["layer"] = assign_layers(cells["depth_um"].to_numpy(), layer_boundaries_um)
    matched = set(coregistration["nucleus_id"]) | set(functional_properties["nucleus_id"])
    if functional != "none":
        rows = _functional_rows(functional, coregistration, functional_properties)
        cells = cells.merge(rows, on="nucleus_id", how="left")
        cells[UNIT_KEY] = cells[UNIT_KEY].astype("Int64")
        matched = set(rows["nucleus_id"])
    cells["tuning_type"] = np.where(cells["nucleus_id"].isin(matched), "matched", "not_matched")
    cells = cells.sort_values("nucleus_id", kind="stable").reset_index(drop=True)
    cells.attrs.update(counts, functional=functional)
    return cells
