"""Make glue of the ``em`` schema: read one CAVE table from the materialization's source, insert it.

Each table import is a three-part make: ``make_fetch`` reads the ``Materialization`` row (and the chosen
CAVE table), ``make_compute`` reads the table from the source outside the transaction (network
failures raise there and fail the make, recorded in the jobs table), ``make_insert`` inserts the master
row and all part rows in the make's transaction (:func:`~nda_ext.em.bulk.fast_insert`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nda_ext.sources import cave_tables as ct
from nda_ext.sources.cave_synapses import root_to_nucleus, synapse_edges
from nda_ext.make import FingerprintedMake
from nda_ext.em.bulk import fast_insert
from nda_ext.em.progress import TableProgressStore
from nda_ext.em.sources import open_source, retry_policy

logger = logging.getLogger(__name__)

CAVE_TABLES = [
    (ct.CELL_TYPE_TABLE, "cell_types", "AIBS soma/nucleus metamodel cell types (v661 features)"),
    ("aibs_metamodel_mtypes_v661_v2", "cell_types", "AIBS metamodel morphological types"),
    ("baylor_log_reg_cell_type_coarse_v1", "cell_types", "Baylor excitatory/inhibitory (NEURD features)"),
    (ct.COREGISTRATION_TABLE, "coregistration", "manual coregistration v4 (BCM)"),
    ("coregistration_auto_phase3_fwd_v2", "coregistration", "automatic vessel-based coregistration"),
    ("coregistration_auto_phase3_fwd_apl_vess_combined_v2", "coregistration",
     "automatic coregistration, combined with apl_functional_coreg_vess_fwd"),
    (ct.FUNCTIONAL_TABLE, "functional", "digital-twin properties via manual coregistration v4 (degrees, ours)"),
    ("digital_twin_properties_bcm_coreg_auto_phase3_fwd_v2", "functional",
     "digital-twin properties via automatic coregistration (degrees, ours)"),
    ("digital_twin_properties_bcm_coreg_apl_vess_fwd", "functional",
     "digital-twin properties via apl vessel coregistration (degrees, ours)"),
    (ct.FUNCTIONAL_V3_TABLE, "functional", "BCM functional properties v3 (radians, converted on import)"),
]
"""``em.CaveTable`` contents: (cave_table, kind, description)."""


@dataclass(frozen=True)
class TableSpec:
    """How an em table is filled.

    Attributes:
        method: the :class:`~nda_ext.sources.cave.EmSource` method that reads the table.
        part: name of the part table that receives the rows.
        cave_table: fixed CAVE table; None when the key's ``cave_table`` chooses it.
    """

    method: str
    part: str
    cave_table: str | None = None


def selected(kind: str) -> property:
    """``key_source`` property: the ``TableSelection`` rows whose CAVE table is of ``kind``."""

    def key_source(self):
        from nda_ext.schemas import em

        return em.TableSelection & (em.CaveTable & {"kind": kind})

    return property(key_source)


def _materialization(key: dict) -> dict:
    from nda_ext.schemas import em

    return (em.Materialization & {"mat_version": key["mat_version"]}).fetch1()


def _summary(method: str, frame: pd.DataFrame, table: str) -> dict:
    if method == "nuclei":
        roots = frame["pt_root_id"]
        shared = roots.duplicated(keep=False) & (roots != 0)
        return {"cave_table": table, "n_nuclei": len(frame), "n_zero_root": int((roots == 0).sum()),
                "n_multisoma": int(shared.sum())}
    if method == "proofreading":
        return {"cave_table": table, "n_roots": len(frame)}
    if method == "brain_areas":
        return {"cave_table": table, "n_cells": len(frame)}
    if method == "cell_types":
        return {"n_cells": len(frame)}
    if method == "coregistration":
        return {"n_matches": len(frame)}
    return {"angle_convention": ct.angle_convention(table), "n_units": len(frame)}


def _unique_rows(frame: pd.DataFrame, keys: list[str], table: str) -> pd.DataFrame:
    duplicated = frame.duplicated(keys, keep="last")
    if duplicated.any():
        logger.warning("%s: %d rows repeat a key %s; the last of each is kept", table, int(duplicated.sum()), keys)
    return frame[~duplicated].reset_index(drop=True)


def make_fetch(self, key):
    """The materialization row and the CAVE table to read."""
    return _materialization(key), self.spec.cave_table or key["cave_table"]


def make_compute(self, key, materialization, table):
    """Read the table from the source; returns (master row, part rows)."""
    frame = getattr(open_source(materialization), self.spec.method)(table)
    part = getattr(self, self.spec.part)
    own_keys = [k for k in part.primary_key if k not in self.primary_key]
    frame = _unique_rows(frame, own_keys, table)
    return dict(key, **_summary(self.spec.method, frame, table)), frame.assign(**key)


def make_insert(self, key, master, rows):
    """Insert the master row and every part row (one transaction)."""
    self.insert1(master)
    fast_insert(getattr(self, self.spec.part)(), rows)


def make_insert_coregistration(self, key, master, rows):
    """Insert matches and, for matches whose unit is in the nda mirror, ``Unit`` rows."""
    from nda_ext.schemas import em

    unit_keys = ["session", "scan_idx", "unit_id"]
    scans = rows[["session", "scan_idx"]].drop_duplicates().to_dict("records")
    present = pd.DataFrame(dict(zip(unit_keys, (em.nda.ScanUnit & scans).to_arrays(*unit_keys)))).astype(np.int64)
    in_nda = rows.merge(present, on=unit_keys)
    self.insert1(dict(master, n_in_nda=len(in_nda)))
    fast_insert(self.Match(), rows)
    fast_insert(self.Unit(), in_nda)


class SourceImport(FingerprintedMake):
    """Three-part make of a table imported from one CAVE table of a materialization (the class's ``spec``)."""

    make_fetch = make_fetch
    make_compute = make_compute
    make_insert = make_insert


def connectivity_fetch(self, key):
    """Materialization row, cell-set row and the version's (nucleus_id, pt_root_id) arrays."""
    from nda_ext.schemas import em

    cell_set = (em.CellSet & key).fetch1()
    nuclei = (em.Nucleus.Cell & {"mat_version": key["mat_version"]}).to_arrays("nucleus_id", "pt_root_id")
    return _materialization(key), cell_set, nuclei[0].astype(np.int64), nuclei[1].astype(np.int64)


def connectivity_compute(self, key, materialization, cell_set, nucleus_ids, root_ids):
    """Download every synapse of the cell set (resuming from ``SynapseChunk``) and aggregate edges.

    Raises:
        SynapseDownloadError: a chunk could not be completed; completed chunks stay recorded.
    """
    from nda_ext.schemas import em

    id_map = root_to_nucleus(pd.DataFrame({"nucleus_id": nucleus_ids, "pt_root_id": root_ids}))
    pre_ids = np.asarray(cell_set["pre_nucleus_ids"], np.int64)
    post_ids = np.asarray(cell_set["post_nucleus_ids"], np.int64)
    pre_roots = id_map.index[np.isin(id_map.to_numpy(), pre_ids)].to_numpy()
    post_roots = id_map.index[np.isin(id_map.to_numpy(), post_ids)].to_numpy()
    requested = np.union1d(pre_ids, post_ids)
    store = TableProgressStore(em.SynapseChunk, key)
    synapses = open_source(materialization).synapses(
        pre_roots, post_roots, chunk_size=int(cell_set["chunk_size"]), store=store, retry=retry_policy())
    edges = synapse_edges(synapses, id_map)
    root_of = pd.Series(id_map.index.to_numpy(), index=id_map.to_numpy())
    edges["pre_pt_root_id"] = root_of.reindex(edges["pre_nucleus_id"]).to_numpy()
    edges["post_pt_root_id"] = root_of.reindex(edges["post_nucleus_id"]).to_numpy()
    per_synapse = None
    if cell_set["keep_synapses"]:
        per_synapse = synapses[synapses["pre_pt_root_id"].isin(id_map.index)
                               & synapses["post_pt_root_id"].isin(id_map.index)].copy()
        per_synapse["pre_nucleus_id"] = id_map.reindex(per_synapse["pre_pt_root_id"]).to_numpy()
        per_synapse["post_nucleus_id"] = id_map.reindex(per_synapse["post_pt_root_id"]).to_numpy()
        per_synapse = per_synapse.assign(**key)
    master = dict(key, n_pre=len(pre_roots), n_post=len(post_roots),
                  n_excluded=int(len(requested) - np.isin(requested, id_map.to_numpy()).sum()),
                  n_chunks=len(store), n_synapses=int(edges["n_synapses"].sum()), n_edges=len(edges))
    return master, edges.assign(**key), per_synapse


def connectivity_insert(self, key, master, edges, per_synapse):
    """Insert the master row, every edge and (if kept) every synapse (one transaction)."""
    self.insert1(master)
    fast_insert(self.Edge(), edges)
    if per_synapse is not None:
        fast_insert(self.Synapse(), per_synapse)
