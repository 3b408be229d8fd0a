"""Public EM entry points over the ``em`` schema: import a version, fetch connectivity and units."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from nda_ext.compute.em.adjacency import rate_matrix
from nda_ext.compute.em.layers import MINNIE65_BOUNDARIES_UM
from nda_ext.compute.em.units import UNIT_KEY, combine_units
from nda_ext.dj import active
from nda_ext.sources.cave import tables as ct
from nda_ext.sources.cave.materialization import as_source, materialization_row

DIGITAL_TWIN_FROM = 1507
"""First version with ``digital_twin_properties_bcm_coreg_v4``; older versions use ``functional_properties_v3_bcm``."""
TABLE_ORDER = ("Nucleus", "CellType", "Proofreading", "BrainArea", "Coregistration", "FunctionalProperties")


def _em(schemas=None):
    """The bound ``em`` schema module (activating the configured database when nothing is bound)."""
    return active.bound(schemas)["em"]


def frame(expression, attributes) -> pd.DataFrame:
    """Rows of a DataJoint expression as a DataFrame with the given columns (empty frames keep them)."""
    values = expression.to_arrays(*attributes) if len(attributes) > 1 else (expression.to_arrays(*attributes),)
    columns = {name: np.asarray(column) for name, column in zip(attributes, values)}
    return pd.DataFrame({name: list(column) if column.ndim > 1 else column for name, column in columns.items()})


def populate(table, restriction: dict) -> None:
    """Populate ``table`` for ``restriction`` through the jobs table, raising the first failure.

    Earlier errors of these keys are cleared first, so calling again retries (and resumes) them.
    """
    (table.jobs.errors & restriction).delete()
    table.populate(restriction, reserve_jobs=True, suppress_errors=False, display_progress=False)


def _default_functional(version: int) -> str:
    return ct.FUNCTIONAL_TABLE if version >= DIGITAL_TWIN_FROM else ct.FUNCTIONAL_V3_TABLE


def import_version(version: int, source=None, *, cell_types=(ct.CELL_TYPE_TABLE,),
                   coregistration=(ct.COREGISTRATION_TABLE,), functional=None, schemas=None) -> dict:
    """Register a materialization and populate its em tables (nuclei, cell types, proofreading, areas,
    coregistration, functional properties). Synapses are imported per cell set by :func:`connectivity`.

    Args:
        version: materialization version.
        source: None (live CAVE via ``nda_ext.sources.cave.get_client``), a snapshot folder, or an
            ``EmSource``; ignored when the version is registered already (its recorded source is used).
        cell_types: cell-type tables to import.
        coregistration: coregistration tables to import.
        functional: functional-properties tables; default ``digital_twin_properties_bcm_coreg_v4`` from
            v1507 on, ``functional_properties_v3_bcm`` before.
        schemas: bound schema modules (default: ``nda_ext.schemas.em``, activated if needed).

    Returns:
        The ``Materialization`` row.

    Raises:
        ValueError: the source holds another version.
        nda_ext.sources.cave.CaveDownloadError: a table could not be read (also recorded in the jobs table).
    """
    em = _em(schemas)
    key = {"mat_version": int(version)}
    if not em.Materialization & key:
        em.Materialization.insert1(materialization_row(as_source(source, version)))
    functional = (_default_functional(int(version)),) if functional is None else functional
    chosen = [*cell_types, *coregistration, *functional]
    unknown = set(chosen) - set(em.CaveTable.to_arrays("cave_table"))
    if unknown:
        raise ValueError(f"unknown CAVE table(s) {sorted(unknown)}; em.CaveTable lists the importable ones")
    em.TableSelection.insert([dict(key, cave_table=t) for t in chosen], skip_duplicates=True)
    for name in TABLE_ORDER:
        populate(getattr(em, name), key)
    return (em.Materialization & key).fetch1()


def _resolve_cells(cells, nuclei: pd.DataFrame, argument: str) -> np.ndarray:
    """Nucleus ids of ``cells`` (None = every nucleus; ids are nucleus ids or root ids; or a frame with
    ``nucleus_id``)."""
    if cells is None:
        return np.unique(nuclei["nucleus_id"].to_numpy(np.int64))
    if isinstance(cells, pd.DataFrame):
        cells = cells["nucleus_id"]
    ids = np.unique(np.asarray(list(cells) if not isinstance(cells, np.ndarray) else cells, dtype=np.int64))
    is_nucleus = np.isin(ids, nuclei["nucleus_id"])
    by_root = nuclei[nuclei["pt_root_id"].isin(ids[~is_nucleus]) & (nuclei["pt_root_id"] != 0)]
    unknown = np.setdiff1d(ids[~is_nucleus], by_root["pt_root_id"])
    if len(unknown):
        raise ValueError(f"{argument}: {len(unknown)} id(s) are neither nucleus ids nor root ids of this version, "
                         f"e.g. {unknown[:5].tolist()}")
    return np.union1d(ids[is_nucleus], by_root["nucleus_id"].to_numpy(np.int64))


def _cell_set_name(pre: np.ndarray, post: np.ndarray, chunk_size: int, keep: bool) -> str:
    digest = hashlib.sha1(pre.tobytes() + b"|" + post.tobytes() + f"|{chunk_size}|{keep}".encode()).hexdigest()
    return f"set-{digest[:32]}"


def _covering_set(em, version: int, pre: np.ndarray, post: np.ndarray, keep: bool) -> dict | None:
    """An imported cell set of ``version`` whose pre and post sets contain ``pre`` and ``post``."""
    done = em.CellSet & (em.Connectivity & {"mat_version": version})
    for row in done.to_dicts():
        if (row["keep_synapses"] or not keep) and np.isin(pre, row["pre_nucleus_ids"]).all() \
                and np.isin(post, row["post_nucleus_ids"]).all():
            return {"mat_version": version, "cell_set": row["cell_set"]}
    return None


def connectivity(version: int, pre=None, post=None, *, source=None, per_synapse: bool = False,
                 chunk_size: int = 500, schemas=None) -> pd.DataFrame:
    """Edges (or synapses) from the ``pre`` cells onto the ``post`` cells, importing them if needed.

    Args:
        version: materialization version (imported with ``source`` first if it is not).
        pre: presynaptic cells: nucleus ids or root ids of this version, a frame with ``nucleus_id``
            (e.g. a unit table), or None for every nucleus.
        post: postsynaptic cells, as ``pre``.
        source: source for :func:`import_version` when the version is not imported yet.
        per_synapse: return one row per synapse (imports them) instead of edges.
        chunk_size: root ids per side of one synapse query.
        schemas: bound schema modules.

    Returns:
        Edges ``pre_nucleus_id, post_nucleus_id, pre_pt_root_id, post_pt_root_id, n_synapses, sum_size``
        (summed PSD size, voxels), or synapses ``synapse_id, pre/post_nucleus_id, pre/post_pt_root_id,
        size, ctr_pt_position_x/_y/_z`` (voxels); autapses, root 0 and multi-soma objects excluded.
        ``attrs``: ``mat_version``, ``cell_set``.

    Raises:
        ValueError: an id is neither a nucleus id nor a root id of this version.
        nda_ext.sources.cave.SynapseDownloadError: a chunk failed (completed chunks are kept; calling
            again resumes).
    """
    em = _em(schemas)
    version = int(version)
    if not em.Nucleus & {"mat_version": version}:
        import_version(version, source, schemas=schemas)
    nuclei = frame(em.Nucleus.Cell & {"mat_version": version}, ["nucleus_id", "pt_root_id"])
    pre_ids, post_ids = _resolve_cells(pre, nuclei, "pre"), _resolve_cells(post, nuclei, "post")
    key = _covering_set(em, version, pre_ids, post_ids, per_synapse)
    if key is None:
        key = {"mat_version": version, "cell_set": _cell_set_name(pre_ids, post_ids, chunk_size, per_synapse)}
        em.CellSet.insert1(dict(key, pre_nucleus_ids=pre_ids, post_nucleus_ids=post_ids, chunk_size=chunk_size,
                                keep_synapses=per_synapse), skip_duplicates=True)
        populate(em.Connectivity, key)
    part = em.Connectivity.Synapse if per_synapse else em.Connectivity.Edge
    columns = [name for name in part.heading.names if name not in key]
    result = frame(part & key, columns)
    result = result[result["pre_nucleus_id"].isin(pre_ids) & result["post_nucleus_id"].isin(post_ids)]
    sort = ["synapse_id"] if per_synapse else ["pre_nucleus_id", "post_nucleus_id"]
    result = result.sort_values(sort).reset_index(drop=True)
    result.attrs.update(key)
    return result


def _version_frames(em, version: int, cell_type_table: str, coregistration: str, functional_table: str | None):
    key = {"mat_version": version}

    def part(table, attributes, **restriction):
        return frame(table & dict(key, **restriction), attributes)

    functional_tables = (em.FunctionalProperties & key).to_arrays("cave_table")
    if functional_table is None:
        functional_table = ct.FUNCTIONAL_TABLE if ct.FUNCTIONAL_TABLE in functional_tables else \
            (functional_tables[0] if len(functional_tables) else None)
    for table, name in ((em.CellType, cell_type_table), (em.Coregistration, coregistration),
                        (em.FunctionalProperties, functional_table)):
        if name is not None and not table & dict(key, cave_table=name):
            raise ValueError(f"{table.__name__} of materialization {version} has no table {name!r}; "
                             f"import it with import_version({version}, ...)")
    functional_columns = [n for n in em.FunctionalProperties.Unit.heading.names
                          if n not in ("mat_version", "cave_table")]
    return dict(
        nuclei=part(em.Nucleus.Cell, ["nucleus_id", "pt_root_id", "pt_position_x", "pt_position_y",
                                      "pt_position_z", "volume"]),
        cell_types=part(em.CellType.Cell, ["nucleus_id", "classification_system", "cell_type"],
                        cave_table=cell_type_table),
        brain_areas=part(em.BrainArea.Cell, ["nucleus_id", "brain_area", "boundary_distance"]),
        proofreading=part(em.Proofreading.Root, ["pt_root_id", "status_axon", "status_dendrite", "strategy_axon",
                                                 "strategy_dendrite"]),
        coregistration=part(em.Coregistration.Match, ["nucleus_id", "session", "scan_idx", "unit_id", "field",
                                                      "residual", "score"], cave_table=coregistration),
        functional_properties=part(em.FunctionalProperties.Unit, functional_columns,
                                   cave_table=functional_table or ""),
    )


def unit_table(version: int, coregistration: str = ct.COREGISTRATION_TABLE, functional: str = "match", *,
               functional_table: str | None = None, cell_type_table: str = ct.CELL_TYPE_TABLE,
               layer_boundaries_um=MINNIE65_BOUNDARIES_UM, source=None, schemas=None) -> pd.DataFrame:
    """The combined unit table of a materialization (see :func:`nda_ext.compute.em.units.combine_units`).

    Args:
        version: materialization version (imported with ``source`` first if it is not).
        coregistration: coregistration table whose matches are used.
        functional: 'none', 'match', 'all' or 'best_only'.
        functional_table: functional-properties table (default: the digital-twin table if imported, else
            the one imported).
        cell_type_table: cell-type table.
        layer_boundaries_um: layer border depths below pia, um.
        source: source for :func:`import_version` when the version is not imported yet.
        schemas: bound schema modules.

    Returns:
        The unit table plus ``in_nda`` (the matched unit exists in the nda mirror); ``attrs`` hold
        ``mat_version``, the exclusion counts (``n_multisoma_nuclei``, ``n_multisoma_objects``,
        ``n_zero_root``) and ``functional``.
    """
    em = _em(schemas)
    version = int(version)
    if not em.Nucleus & {"mat_version": version}:
        import_version(version, source, schemas=schemas)
    frames = _version_frames(em, version, cell_type_table, coregistration, functional_table)
    units = combine_units(**frames, functional=functional, layer_boundaries_um=layer_boundaries_um)
    if functional != "none":
        keys = units[UNIT_KEY].fillna(-1).astype(np.int64)
        scans = keys[["session", "scan_idx"]].drop_duplicates().to_dict("records")
        present = frame(em.nda.ScanUnit & scans, UNIT_KEY).astype(np.int64)
        units["in_nda"] = pd.MultiIndex.from_frame(keys).isin(pd.MultiIndex.from_frame(present))
    units.attrs["mat_version"] = version
    return units


def scan_rates(units: pd.DataFrame, scan_key: dict, schemas=None) -> np.ndarray:
    """Activity traces of one scan as a rate matrix (cells x frames) in unit-table order.

    Cells not matched to a unit of this scan get zeros, so ``adjacency_matrix(units, edges) @ R`` gives each
    cell's synaptic input from the recorded cells (see :mod:`nda_ext.compute.em.adjacency`).

    Args:
        units: one row per cell with ``session, scan_idx, unit_id``.
        scan_key: ``{"session": ..., "scan_idx": ...}``.
        schemas: bound schema modules.
    """
    nda = _em(schemas).nda
    scan = {k: int(scan_key[k]) for k in ("session", "scan_idx")}
    traces = frame(nda.Activity & scan, [*UNIT_KEY, "trace"])
    keys = units[UNIT_KEY].astype("Int64")
    in_scan = ((keys["session"] == scan["session"]) & (keys["scan_idx"] == scan["scan_idx"])).fillna(False)
    return rate_matrix(keys.mask(~in_scan.astype(bool)), traces)
