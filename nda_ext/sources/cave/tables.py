"""CAVE table vocabulary: names, column maps, dtypes and angle conventions.

Raw frames are what ``client.materialize.query_table(..., split_positions=True,
desired_resolution=[4, 4, 40])`` returns for a MICrONS table (reference tables joined to
``nucleus_detection_v0``; see ``docs/cave.md``: "query_table", §2.2). :func:`normalize` turns
a raw frame into the frame every EM source returns:

* the nucleus id is always ``nucleus_id`` (raw ``id`` of ``nucleus_detection_v0``, raw
  ``target_id`` of every table that references it), so the ``id``/``id_ref`` swap between
  caveclient's APIs never reaches a consumer;
* positions stay split (``pt_position_x/_y/_z``, ``ctr_pt_position_x/_y/_z``) as float64 in
  voxels of 4 x 4 x 40 nm;
* ids are int64, flags bool, labels str; rows sorted by their key.

All pure functions, no network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

VOXEL_RESOLUTION = (4.0, 4.0, 40.0)
"""nm per voxel along x, y, z of minnie65 (the resolution of every position we return)."""

NUCLEUS_TABLE = "nucleus_detection_v0"
SYNAPSE_TABLE = "synapses_pni_2"
CELL_TYPE_TABLE = "aibs_metamodel_celltypes_v661"
PROOFREADING_TABLE = "proofreading_status_and_strategy"
AREA_TABLE = "nucleus_functional_area_assignment"
COREGISTRATION_TABLE = "coregistration_manual_v4"
FUNCTIONAL_TABLE = "digital_twin_properties_bcm_coreg_v4"
FUNCTIONAL_V3_TABLE = "functional_properties_v3_bcm"

OURS = "ours"
BCM_V3 = "bcm_v3_radians"
ANGLE_CONVENTIONS = {
    FUNCTIONAL_V3_TABLE: BCM_V3,
    FUNCTIONAL_TABLE: OURS,
    "digital_twin_properties_bcm_coreg_auto_phase3_fwd_v2": OURS,
    "digital_twin_properties_bcm_coreg_apl_vess_fwd": OURS,
}
"""Angle convention of each known functional-properties table (docs/cave.md: "Angle conventions")."""

CAVE_TABLES = [
    (CELL_TYPE_TABLE, "cell_types", "AIBS soma/nucleus metamodel cell types (v661 features)"),
    ("aibs_metamodel_mtypes_v661_v2", "cell_types", "AIBS metamodel morphological types"),
    ("baylor_log_reg_cell_type_coarse_v1", "cell_types", "Baylor excitatory/inhibitory (NEURD features)"),
    (COREGISTRATION_TABLE, "coregistration", "manual coregistration v4 (BCM)"),
    ("coregistration_auto_phase3_fwd_v2", "coregistration", "automatic vessel-based coregistration"),
    ("coregistration_auto_phase3_fwd_apl_vess_combined_v2", "coregistration",
     "automatic coregistration, combined with apl_functional_coreg_vess_fwd"),
    (FUNCTIONAL_TABLE, "functional", "digital-twin properties via manual coregistration v4 (degrees, ours)"),
    ("digital_twin_properties_bcm_coreg_auto_phase3_fwd_v2", "functional",
     "digital-twin properties via automatic coregistration (degrees, ours)"),
    ("digital_twin_properties_bcm_coreg_apl_vess_fwd", "functional",
     "digital-twin properties via apl vessel coregistration (degrees, ours)"),
    (FUNCTIONAL_V3_TABLE, "functional", "BCM functional properties v3 (radians, converted on import)"),
]
"""``em.CaveTable`` contents: (cave_table, kind, description)."""

_INT_COLUMNS = {"session", "scan_idx", "unit_id", "field"}
_BOOL_COLUMNS = {"status_dendrite", "status_axon"}
_STR_COLUMNS = {"classification_system", "cell_type", "brain_area", "strategy_dendrite", "strategy_axon"}
_TRUE_STRINGS = {"t", "true", "1", "yes"}


def _xyz(prefix: str) -> dict[str, str]:
    return {f"{prefix}_{axis}": f"{prefix}_{axis}" for axis in "xyz"}


@dataclass(frozen=True)
class TableKind:
    """How one kind of CAVE table maps onto our frame.

    Attributes:
        name: kind name (``"nuclei"``, ``"cell_types"``, ...).
        columns: raw column -> our column, in output order; all required.
        optional: raw column -> our column, kept when the raw frame has it.
        sort_by: our columns the output is sorted by.
    """

    name: str
    columns: dict[str, str]
    optional: dict[str, str] = field(default_factory=dict)
    sort_by: tuple[str, ...] = ("nucleus_id",)


NUCLEI = TableKind(
    "nuclei",
    {"id": "nucleus_id", "pt_root_id": "pt_root_id", **_xyz("pt_position"), "volume": "volume"},
    {"pt_supervoxel_id": "pt_supervoxel_id"},
)
CELL_TYPES = TableKind(
    "cell_types",
    {"target_id": "nucleus_id", "pt_root_id": "pt_root_id",
     "classification_system": "classification_system", "cell_type": "cell_type"},
)
PROOFREADING = TableKind(
    "proofreading",
    {"pt_root_id": "pt_root_id", "valid_id": "valid_id", "status_dendrite": "status_dendrite",
     "status_axon": "status_axon", "strategy_dendrite": "strategy_dendrite", "strategy_axon": "strategy_axon",
     **_xyz("pt_position")},
    sort_by=("pt_root_id",),
)
BRAIN_AREAS = TableKind(
    "brain_areas",
    {"target_id": "nucleus_id", "pt_root_id": "pt_root_id", "tag": "brain_area", "value": "boundary_distance"},
)
COREGISTRATION = TableKind(
    "coregistration",
    {"target_id": "nucleus_id", "pt_root_id": "pt_root_id", "session": "session", "scan_idx": "scan_idx",
     "unit_id": "unit_id", "field": "field", "residual": "residual", "score": "score"},
    sort_by=("nucleus_id", "session", "scan_idx", "unit_id"),
)
FUNCTIONAL = TableKind(
    "functional_properties",
    {"target_id": "nucleus_id", "pt_root_id": "pt_root_id", "session": "session", "scan_idx": "scan_idx",
     "unit_id": "unit_id", "pref_ori": "pref_ori", "pref_dir": "pref_dir", "gOSI": "gosi", "gDSI": "gdsi",
     "cc_abs": "cc_abs"},
    {"OSI": "osi", "DSI": "dsi", "cc_max": "cc_max", "cc_norm": "cc_norm",
     "readout_loc_x": "readout_loc_x", "readout_loc_y": "readout_loc_y"},
    sort_by=("nucleus_id", "session", "scan_idx", "unit_id"),
)
SYNAPSES = TableKind(
    "synapses",
    {"id": "synapse_id", "pre_pt_root_id": "pre_pt_root_id", "post_pt_root_id": "post_pt_root_id",
     "size": "size", **_xyz("ctr_pt_position")},
    sort_by=("synapse_id",),
)
SYNAPSE_SELECT = ["id", "pre_pt_root_id", "post_pt_root_id", "size", "ctr_pt_position"]
"""``select_columns`` sent with synapse queries (positions as base names, split by the server)."""


def _as_bool(values: pd.Series) -> pd.Series:
    if values.dtype == bool:
        return values
    return values.astype(str).str.strip().str.lower().isin(_TRUE_STRINGS)


def _coerce(column: str, values: pd.Series) -> pd.Series:
    if column in _BOOL_COLUMNS:
        return _as_bool(values)
    if column in _STR_COLUMNS:
        return values.astype(str).str.strip()
    if column.endswith("_id") or column in _INT_COLUMNS:
        return values.astype(np.int64)
    return values.astype(np.float64)


def normalize(raw: pd.DataFrame, kind: TableKind, table: str) -> pd.DataFrame:
    """Turn a raw CAVE-shaped frame into our frame for one table kind.

    Args:
        raw: frame with CAVE column names (split positions, voxels).
        kind: the table kind (e.g. :data:`NUCLEI`).
        table: table name, used in error messages.

    Returns:
        New frame with the kind's columns renamed and typed, sorted by ``kind.sort_by``,
        index 0..n-1. ``attrs`` are left empty (sources add provenance).

    Raises:
        KeyError: a required column is missing; the message names table and columns.
    """
    missing = [c for c in kind.columns if c not in raw.columns]
    if missing:
        raise KeyError(
            f"table {table!r} ({kind.name}) lacks column(s) {missing}; got {list(raw.columns)}"
        )
    mapping = dict(kind.columns)
    mapping.update({k: v for k, v in kind.optional.items() if k in raw.columns})
    out = pd.DataFrame({ours: _coerce(ours, raw[theirs]) for theirs, ours in mapping.items()})
    out = out.sort_values(list(kind.sort_by), kind="stable").reset_index(drop=True)
    return out


def join_reference(frame: pd.DataFrame, nuclei: pd.DataFrame) -> pd.DataFrame:
    """Join an annotation table to the nucleus table as CAVE's ``query_table`` does.

    ``target_id`` = nucleus ``id``; clashing nucleus columns (``id``, ``valid``, ...) get the
    suffix ``_ref``, the annotation's keep their names (docs/cave.md: "query_table").
    """
    return frame.merge(nuclei, left_on="target_id", right_on="id", how="inner", suffixes=("", "_ref"))


def angle_convention(table: str) -> str:
    """Angle convention of a functional-properties table.

    Raises:
        ValueError: unknown table; the message lists the known ones.
    """
    try:
        return ANGLE_CONVENTIONS[table]
    except KeyError:
        raise ValueError(
            f"unknown functional-properties table {table!r}: its angle convention is not known; "
            f"known tables: {sorted(ANGLE_CONVENTIONS)}"
        ) from None


def to_our_angles(pref_ori, pref_dir, convention: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert preferred orientation/direction to our convention.

    Ours: degrees, direction 0 = rightward motion, counter-clockwise positive;
    pref_ori in [0, 180), pref_dir in [0, 360).

    * ``"bcm_v3_radians"`` (``functional_properties_v3_bcm``): radians, 0 = horizontal bar moving up,
      clockwise -> ``(90 - degrees(x)) % 180`` for pref_ori and ``% 360`` for pref_dir.
    * ``"ours"`` (``digital_twin_properties_bcm_*``): degrees, 0 = vertical bar moving right,
      counter-clockwise: only wrapped into range.

    Args:
        pref_ori: array of preferred orientations in the source convention.
        pref_dir: array of preferred directions in the source convention.
        convention: ``"bcm_v3_radians"`` or ``"ours"``.

    Returns:
        ``(pref_ori, pref_dir)`` float64 arrays in degrees, our convention.
    """
    ori = np.asarray(pref_ori, dtype=np.float64)
    direction = np.asarray(pref_dir, dtype=np.float64)
    if convention == BCM_V3:
        ori, direction = 90.0 - np.degrees(ori), 90.0 - np.degrees(direction)
    elif convention != OURS:
        raise ValueError(f"convention must be {BCM_V3!r} or {OURS!r}, got {convention!r}")
    return np.mod(ori, 180.0), np.mod(direction, 360.0)


def normalize_functional(raw: pd.DataFrame, table: str) -> pd.DataFrame:
    """Normalize a functional-properties table and convert its angles to our convention.

    Args:
        raw: raw frame of ``table`` (CAVE column names).
        table: one of :data:`ANGLE_CONVENTIONS`.

    Returns:
        :data:`FUNCTIONAL` frame with ``pref_ori`` in [0, 180) and ``pref_dir`` in [0, 360),
        degrees, direction 0 = rightward motion, counter-clockwise positive.
    """
    convention = angle_convention(table)
    out = normalize(raw, FUNCTIONAL, table)
    out["pref_ori"], out["pref_dir"] = to_our_angles(out["pref_ori"], out["pref_dir"], convention)
    return out
