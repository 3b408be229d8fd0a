"""Synapse tables to connectivity: root ids to nucleus ids, edges between cells, a cell set's edges.

Pure pandas / numpy (the ``em.Connectivity`` make calls :func:`cell_set_connectivity`). Root ids are per
materialization, nucleus ids static; a root shared by several nuclei (a merged multi-soma object) or root 0
maps to no nucleus.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def root_to_nucleus(nuclei: pd.DataFrame) -> pd.Series:
    """Map root ids to nucleus ids, keeping only unambiguous single-soma objects.

    Roots 0 (not on a segment) and roots shared by several nuclei (multi-soma merges) are dropped.

    Args:
        nuclei: frame with ``nucleus_id`` and ``pt_root_id`` (e.g. ``source.nuclei()``).

    Returns:
        Series of ``nucleus_id`` indexed by ``pt_root_id``.
    """
    missing = {"nucleus_id", "pt_root_id"} - set(nuclei.columns)
    if missing:
        raise KeyError(f"nuclei frame lacks column(s) {sorted(missing)}")
    roots = nuclei[nuclei["pt_root_id"] != 0]
    roots = roots[~roots["pt_root_id"].duplicated(keep=False)]
    return pd.Series(roots["nucleus_id"].to_numpy(np.int64), index=roots["pt_root_id"].to_numpy(np.int64),
                     name="nucleus_id")


def synapse_edges(synapses: pd.DataFrame, id_map: Mapping | pd.Series | None = None) -> pd.DataFrame:
    """Aggregate synapses into directed edges.

    Excluded before aggregation: autapses (``pre_pt_root_id == post_pt_root_id``), rows with root
    id 0 on either side and, with ``id_map``, rows whose pre or post root is not in the map.

    Args:
        synapses: frame with ``pre_pt_root_id``, ``post_pt_root_id`` and ``size`` (PSD voxels).
        id_map: optional root id -> nucleus id (dict or Series indexed by root id, one nucleus per
            root; build it with :func:`root_to_nucleus`). Given, edges are keyed by nucleus ids.

    Returns:
        Columns ``pre_nucleus_id, post_nucleus_id`` (with ``id_map``) or ``pre_pt_root_id,
        post_pt_root_id`` (without), ``n_synapses`` (int64) and ``sum_size`` (summed PSD size,
        voxels), sorted by (pre, post).
    """
    missing = {"pre_pt_root_id", "post_pt_root_id", "size"} - set(synapses.columns)
    if missing:
        raise KeyError(f"synapses frame lacks column(s) {sorted(missing)}")
    pre = synapses["pre_pt_root_id"].to_numpy(np.int64)
    post = synapses["post_pt_root_id"].to_numpy(np.int64)
    keep = (pre != post) & (pre != 0) & (post != 0)
    keys = ("pre_pt_root_id", "post_pt_root_id")
    if id_map is not None:
        lookup = id_map if isinstance(id_map, pd.Series) else pd.Series(dict(id_map), dtype=np.int64)
        if lookup.index.has_duplicates:
            dup = lookup.index[lookup.index.duplicated()].unique()[:5].tolist()
            raise ValueError(f"id_map maps root id(s) {dup} to several nuclei; use root_to_nucleus()")
        keep &= np.isin(pre, lookup.index) & np.isin(post, lookup.index)
        pre = lookup.reindex(pre[keep]).to_numpy(np.int64)
        post = lookup.reindex(post[keep]).to_numpy(np.int64)
        keys = ("pre_nucleus_id", "post_nucleus_id")
    else:
        pre, post = pre[keep], post[keep]
    frame = pd.DataFrame({keys[0]: pre, keys[1]: post,
                          "size": synapses["size"].to_numpy(np.float64)[keep]})
    edges = frame.groupby(list(keys), sort=True).agg(n_synapses=("size", "size"), sum_size=("size", "sum"))
    edges["n_synapses"] = edges["n_synapses"].astype(np.int64)
    return edges.reset_index()


def cell_set_roots(id_map: pd.Series, pre_ids, post_ids) -> tuple[np.ndarray, np.ndarray, int]:
    """Root ids of the requested pre and post nuclei, and how many requested nuclei have no usable root.

    Args:
        id_map: root id -> nucleus id (:func:`root_to_nucleus`).
        pre_ids, post_ids: requested nucleus ids.
    """
    pre_ids, post_ids = np.asarray(pre_ids, np.int64), np.asarray(post_ids, np.int64)
    nuclei = id_map.to_numpy()
    pre_roots = id_map.index[np.isin(nuclei, pre_ids)].to_numpy()
    post_roots = id_map.index[np.isin(nuclei, post_ids)].to_numpy()
    requested = np.union1d(pre_ids, post_ids)
    return pre_roots, post_roots, int(len(requested) - np.isin(requested, nuclei).sum())


def cell_set_connectivity(synapses: pd.DataFrame, id_map: pd.Series,
                          keep_synapses: bool) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Edges between cells (nucleus ids with their root ids) and, if kept, the synapses between mapped roots.

    Returns:
        ``edges`` (``pre/post_nucleus_id``, ``n_synapses``, ``sum_size``, ``pre/post_pt_root_id``) and the
        per-synapse rows with ``pre/post_nucleus_id`` added (None unless ``keep_synapses``).
    """
    edges = synapse_edges(synapses, id_map)
    root_of = pd.Series(id_map.index.to_numpy(), index=id_map.to_numpy())
    edges["pre_pt_root_id"] = root_of.reindex(edges["pre_nucleus_id"]).to_numpy()
    edges["post_pt_root_id"] = root_of.reindex(edges["post_nucleus_id"]).to_numpy()
    if not keep_synapses:
        return edges, None
    per_synapse = synapses[synapses["pre_pt_root_id"].isin(id_map.index)
                           & synapses["post_pt_root_id"].isin(id_map.index)].copy()
    per_synapse["pre_nucleus_id"] = id_map.reindex(per_synapse["pre_pt_root_id"]).to_numpy()
    per_synapse["post_nucleus_id"] = id_map.reindex(per_synapse["post_pt_root_id"]).to_numpy()
    return edges, per_synapse
