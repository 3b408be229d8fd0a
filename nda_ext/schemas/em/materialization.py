"""EM import from CAVE, keyed by materialization version (``mat_version``; never ``version``).

A :class:`Materialization` row names the source of one version (live CAVE through
:func:`nda_ext.sources.cave.get_client`, or a snapshot folder) and its provenance; every imported row
references it. Imported tables read their CAVE table in ``make_compute`` (outside the transaction) and
insert all their rows or none. Synapse connectivity is imported per :class:`CellSet`: completed download
chunks are kept in :class:`SynapseChunk` (so a failed make resumes), and the edges are inserted only once
every chunk of the set is complete.

Conventions: positions in voxels of 4 x 4 x 40 nm (``Materialization`` records the resolution); nuclei
keyed by ``nucleus_id`` (static across versions), ``pt_root_id`` is per version; angles in degrees, our
convention (direction 0 = rightward motion, counter-clockwise positive; pref_ori in [0, 180), pref_dir
in [0, 360)), converted from each CAVE table's own convention on import. Tables: this module (the
version and what to import), :mod:`~nda_ext.schemas.em.cells`, :mod:`~nda_ext.schemas.em.connectivity`;
the import glue is :mod:`~nda_ext.schemas.em.imports`.
"""

import datajoint as dj

from nda_ext.sources.cave import tables as ct

schema = dj.Schema()


@schema
class Materialization(dj.Manual):
    """One CAVE materialization version and where it is read from.

    Attributes:
        mat_version: CAVE materialization version.
        datastack: CAVE datastack, e.g. 'minnie65_public'.
        timestamp: Materialization time, ISO 8601 UTC ('' when unknown).
        source_kind: 'cave' (live queries) or 'snapshot' (a folder of table files).
        source_path: Snapshot folder ('' for live CAVE).
        client_version: What produced the data, e.g. 'caveclient 8.2.1'.
        voxel_x, voxel_y, voxel_z: nm per voxel of every stored position.
    """

    definition = """
    mat_version: int32
    ---
    datastack: varchar(64)
    timestamp: varchar(40)
    source_kind: varchar(16)
    source_path: varchar(1024)
    client_version: varchar(64)
    voxel_x: float64
    voxel_y: float64
    voxel_z: float64
    """


@schema
class CaveTable(dj.Lookup):
    """CAVE tables that can be imported where a choice exists (cell types, coregistration, functional).

    Attributes:
        cave_table: CAVE table name.
        kind: 'cell_types', 'coregistration' or 'functional'.
        description: What the table is.
    """

    definition = """
    cave_table: varchar(64)
    ---
    kind: varchar(16)
    description: varchar(255)
    """
    contents = ct.CAVE_TABLES


@schema
class TableSelection(dj.Manual):
    """Which optional CAVE tables are imported for a materialization (see :class:`CaveTable`)."""

    definition = """
    -> Materialization
    -> CaveTable
    """
