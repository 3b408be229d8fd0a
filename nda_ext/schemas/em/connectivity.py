"""Synapse connectivity per cell set: chunked, resumable download (:class:`SynapseChunk`), edges inserted only
once every chunk of the set is complete."""

from __future__ import annotations

import datajoint as dj
import numpy as np
import pandas as pd

from nda_ext.compute.em.edges import cell_set_connectivity, cell_set_roots, root_to_nucleus
from nda_ext.dj.bulk import fast_insert
from nda_ext.dj.make import FingerprintedMake
from nda_ext.schemas.em.cells import Nucleus
from nda_ext.schemas.em.imports import materialization_of
from nda_ext.schemas.em.materialization import schema
from nda_ext.schemas.em.progress import TableProgressStore
from nda_ext.sources.cave.materialization import open_source, retry_policy


@schema
class CellSet(dj.Manual):
    """Cells whose synapses are imported: every synapse from a pre cell onto a post cell.

    Attributes:
        cell_set: Name (``nda_ext.em.connectivity`` uses a hash of the id sets).
        pre_nucleus_ids: Presynaptic nucleus ids (int64 array).
        post_nucleus_ids: Postsynaptic nucleus ids (int64 array).
        chunk_size: Root ids per side of one synapse query.
        keep_synapses: Also store one row per synapse (``Connectivity.Synapse``).
    """

    definition = """
    -> Nucleus
    cell_set: varchar(40)
    ---
    pre_nucleus_ids: <blob>
    post_nucleus_ids: <blob>
    chunk_size: int32
    keep_synapses: bool
    """


@schema
class SynapseChunk(dj.Manual):
    """A completed synapse-download chunk of a cell set, kept so a failed import resumes (written by
    ``Connectivity.make`` outside its transaction; a ProgressStore, see :mod:`nda_ext.schemas.em.progress`).

    Attributes:
        chunk_id: Content hash of the chunk's root-id lists (``.split`` suffix: refetched in halves).
        n_rows: Synapses in the chunk.
        ids: (n, 3) int64 synapse_id, pre_pt_root_id, post_pt_root_id.
        values: (n, 4) float64 size (PSD voxels), ctr_pt_position_x/_y/_z (voxels).
    """

    definition = """
    -> CellSet
    chunk_id: varchar(64)
    ---
    n_rows: int64
    ids: <blob>
    values: <blob>
    """


@schema
class Connectivity(FingerprintedMake, dj.Imported):
    """Synapse connectivity of a cell set: inserted only when every chunk of the set is complete.

    Excluded: autapses, root id 0, roots shared by several nuclei (multi-soma objects) and roots
    without a nucleus.

    Attributes:
        n_pre, n_post: Single-soma cells of each side that were queried.
        n_excluded: Requested nuclei without a usable root (root 0 or multi-soma).
        n_chunks: Completed chunks.
        n_synapses: Synapses between the cells.
        n_edges: Connected ordered pairs.
    """

    definition = """
    -> CellSet
    ---
    n_pre: int64
    n_post: int64
    n_excluded: int64
    n_chunks: int64
    n_synapses: int64
    n_edges: int64
    """

    class Edge(dj.Part):
        """Synapses from one cell onto another.

        Attributes:
            n_synapses: Synapse count.
            sum_size: Summed PSD size, voxels.
        """

        definition = """
        -> master
        pre_nucleus_id: int64
        post_nucleus_id: int64
        ---
        pre_pt_root_id: int64
        post_pt_root_id: int64
        n_synapses: int64
        sum_size: float64
        """

    class Synapse(dj.Part):
        """One synapse (only for cell sets with keep_synapses).

        Attributes:
            size: PSD size, voxels.
            ctr_pt_position_x, ctr_pt_position_y, ctr_pt_position_z: Cleft centre, voxels.
        """

        definition = """
        -> master
        synapse_id: int64
        ---
        pre_nucleus_id: int64
        post_nucleus_id: int64
        pre_pt_root_id: int64
        post_pt_root_id: int64
        size: float64
        ctr_pt_position_x: float64
        ctr_pt_position_y: float64
        ctr_pt_position_z: float64
        """

    def make_fetch(self, key):
        """Materialization row, cell-set row and the version's (nucleus_id, pt_root_id) arrays."""
        cell_set = (CellSet & key).fetch1()
        nuclei = (Nucleus.Cell & {"mat_version": key["mat_version"]}).to_arrays("nucleus_id", "pt_root_id")
        return materialization_of(key), cell_set, nuclei[0].astype(np.int64), nuclei[1].astype(np.int64)

    def make_compute(self, key, materialization, cell_set, nucleus_ids, root_ids):
        """Download every synapse of the cell set (resuming from ``SynapseChunk``) and aggregate edges.

        Raises:
            SynapseDownloadError: a chunk could not be completed; completed chunks stay recorded.
        """
        id_map = root_to_nucleus(pd.DataFrame({"nucleus_id": nucleus_ids, "pt_root_id": root_ids}))
        pre_roots, post_roots, n_excluded = cell_set_roots(id_map, cell_set["pre_nucleus_ids"],
                                                           cell_set["post_nucleus_ids"])
        store = TableProgressStore(SynapseChunk, key)
        synapses = open_source(materialization).synapses(
            pre_roots, post_roots, chunk_size=int(cell_set["chunk_size"]), store=store, retry=retry_policy())
        edges, per_synapse = cell_set_connectivity(synapses, id_map, bool(cell_set["keep_synapses"]))
        master = dict(key, n_pre=len(pre_roots), n_post=len(post_roots), n_excluded=n_excluded,
                      n_chunks=len(store), n_synapses=int(edges["n_synapses"].sum()), n_edges=len(edges))
        return master, edges.assign(**key), None if per_synapse is None else per_synapse.assign(**key)

    def make_insert(self, key, master, edges, per_synapse):
        """Insert the master row, every edge and (if kept) every synapse (one transaction)."""
        self.insert1(master)
        fast_insert(self.Edge(), edges)
        if per_synapse is not None:
            fast_insert(self.Synapse(), per_synapse)
