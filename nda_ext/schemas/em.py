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
in [0, 360)), converted from each CAVE table's own convention on import. The glue lives in
:mod:`nda_ext.em.imports`.
"""

import datajoint as dj

from nda_ext.em import imports
from nda_ext.make import FingerprintedMake
from nda_ext.sources import cave_tables as ct
from nda_ext.schemas import nda  # rebound by activate(nda=...)

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
    contents = imports.CAVE_TABLES


@schema
class TableSelection(dj.Manual):
    """Which optional CAVE tables are imported for a materialization (see :class:`CaveTable`)."""

    definition = """
    -> Materialization
    -> CaveTable
    """


@schema
class Nucleus(imports.SourceImport, dj.Imported):
    """Nucleus detections (``nucleus_detection_v0``) of one materialization.

    Attributes:
        cave_table: Source table.
        n_nuclei: Detections.
        n_zero_root: Nuclei not on a segment (pt_root_id = 0).
        n_multisoma: Nuclei whose root is shared with another nucleus (merged objects).
    """

    definition = """
    -> Materialization
    ---
    cave_table: varchar(64)
    n_nuclei: int64
    n_zero_root: int64
    n_multisoma: int64
    """

    class Cell(dj.Part):
        """One nucleus.

        Attributes:
            nucleus_id: Static nucleus id.
            pt_root_id: Root id at this version (0 = not on a segment).
            pt_position_x, pt_position_y, pt_position_z: Nucleus centre, voxels.
            volume: Nucleus volume, um^3.
        """

        definition = """
        -> master
        nucleus_id: int64
        ---
        pt_root_id: int64
        pt_position_x: float64
        pt_position_y: float64
        pt_position_z: float64
        volume: float64
        """

    spec = imports.TableSpec("nuclei", "Cell", ct.NUCLEUS_TABLE)


@schema
class CellType(imports.SourceImport, dj.Imported):
    """Cell-type calls from one classification table.

    Attributes:
        n_cells: Classified nuclei.
    """

    definition = """
    -> TableSelection
    ---
    n_cells: int64
    """

    class Cell(dj.Part):
        """Class and type of one nucleus (e.g. excitatory_neuron / 23P).

        Attributes:
            classification_system: Coarse class of the table's scheme.
            cell_type: Type label, as written by the table (case kept).
        """

        definition = """
        -> master
        nucleus_id: int64
        ---
        pt_root_id: int64
        classification_system: varchar(64)
        cell_type: varchar(64)
        """

    spec = imports.TableSpec("cell_types", "Cell")
    key_source = imports.selected("cell_types")


@schema
class Proofreading(imports.SourceImport, dj.Imported):
    """Proofreading status and strategy (``proofreading_status_and_strategy``), keyed by root id.

    Attributes:
        cave_table: Source table.
        n_roots: Proofread roots.
    """

    definition = """
    -> Materialization
    ---
    cave_table: varchar(64)
    n_roots: int64
    """

    class Root(dj.Part):
        """One proofread root.

        Attributes:
            valid_id: Root id at assessment (differs from pt_root_id when the cell changed since).
            status_dendrite, status_axon: Whether the compartment was proofread.
            strategy_dendrite: none, dendrite_clean or dendrite_extended.
            strategy_axon: none, axon_column_truncated, axon_interareal, axon_partially_extended or
                axon_fully_extended.
        """

        definition = """
        -> master
        pt_root_id: int64
        ---
        valid_id: int64
        status_dendrite: bool
        status_axon: bool
        strategy_dendrite: varchar(32)
        strategy_axon: varchar(32)
        """

    spec = imports.TableSpec("proofreading", "Root", ct.PROOFREADING_TABLE)


@schema
class BrainArea(imports.SourceImport, dj.Imported):
    """Visual-area assignment of every nucleus (``nucleus_functional_area_assignment``).

    Attributes:
        cave_table: Source table.
        n_cells: Assigned nuclei.
    """

    definition = """
    -> Materialization
    ---
    cave_table: varchar(64)
    n_cells: int64
    """

    class Cell(dj.Part):
        """Area of one nucleus.

        Attributes:
            brain_area: CAVE ``tag`` (V1, AL, RL, LM; labels outside these are kept as written).
            boundary_distance: Distance to the nearest area boundary, um (CAVE ``value``).
        """

        definition = """
        -> master
        nucleus_id: int64
        ---
        pt_root_id: int64
        brain_area: varchar(16)
        boundary_distance: float64
        """

    spec = imports.TableSpec("brain_areas", "Cell", ct.AREA_TABLE)


@schema
class Coregistration(imports.SourceImport, dj.Imported):
    """Functional-to-EM matches from one coregistration table (manual or automatic).

    A nucleus may be matched by several units (several scans or fields). ``Unit`` repeats the matches
    whose unit exists in the nda mirror at import time, with a foreign key to ``nda.ScanUnit``.

    Attributes:
        n_matches: Match rows.
        n_in_nda: Matches whose unit is in the nda mirror.
    """

    definition = """
    -> TableSelection
    ---
    n_matches: int64
    n_in_nda: int64
    """

    class Match(dj.Part):
        """One match.

        Attributes:
            session, scan_idx, unit_id: The nda ScanUnit key of the matched unit.
            field: Imaging field.
            residual: Residual after the transform, um.
            score: Separation score, um (larger = more confident; can be negative).
        """

        definition = """
        -> master
        nucleus_id: int64
        session: int16
        scan_idx: int16
        unit_id: int32
        ---
        pt_root_id: int64
        field: int16
        residual: float64
        score: float64
        """

    class Unit(dj.Part):
        """A match whose unit exists in the nda mirror."""

        definition = """
        -> master.Match
        -> nda.ScanUnit
        """

    spec = imports.TableSpec("coregistration", "Match")
    key_source = imports.selected("coregistration")
    make_insert = imports.make_insert_coregistration


@schema
class FunctionalProperties(imports.SourceImport, dj.Imported):
    """Functional properties of matched units from one table, angles converted to our convention.

    ``functional_properties_v3_bcm`` (radians, 0 = horizontal bar moving up, clockwise) is converted with
    ``(90 - degrees(x)) % 180`` / ``% 360``; ``digital_twin_properties_bcm_*`` are already in our convention.

    Attributes:
        angle_convention: Convention of the source table ('ours' or 'bcm_v3_radians').
        n_units: Rows.
    """

    definition = """
    -> TableSelection
    ---
    angle_convention: varchar(32)
    n_units: int64
    """

    class Unit(dj.Part):
        """Properties of one matched unit.

        Attributes:
            pref_ori: Preferred orientation, deg [0, 180), our convention.
            pref_dir: Preferred direction, deg [0, 360), our convention.
            gosi, gdsi: Global orientation / direction selectivity.
            cc_abs: Correlation of model prediction and response (digital twin) or fit quality.
            osi, dsi, cc_max, cc_norm, readout_loc_x, readout_loc_y: Digital-twin tables only
                (readout location in [-1, 1], (1, 1) = top right of the stimulus).
        """

        definition = """
        -> master
        nucleus_id: int64
        session: int16
        scan_idx: int16
        unit_id: int32
        ---
        pt_root_id: int64
        pref_ori: float64
        pref_dir: float64
        gosi: float64
        gdsi: float64
        cc_abs: float64
        osi = null: float64
        dsi = null: float64
        cc_max = null: float64
        cc_norm = null: float64
        readout_loc_x = null: float64
        readout_loc_y = null: float64
        """

    spec = imports.TableSpec("functional_properties", "Unit")
    key_source = imports.selected("functional")


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
    ``Connectivity.make`` outside its transaction; a ProgressStore, see :mod:`nda_ext.em.progress`).

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

    make_fetch = imports.connectivity_fetch
    make_compute = imports.connectivity_compute
    make_insert = imports.connectivity_insert
