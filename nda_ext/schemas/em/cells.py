"""EM tables imported per materialization from one CAVE table each: nuclei, cell types, proofreading, brain
areas, coregistration (2P unit <-> nucleus) and functional properties (angles converted to our convention)."""

import datajoint as dj

from nda_ext.schemas import nda  # noqa: F401  (`-> nda.X` in definitions; rebound by activate(nda=...))
from nda_ext.schemas.em import imports
from nda_ext.schemas.em.materialization import Materialization, TableSelection, schema  # noqa: F401  (parents named in definitions)
from nda_ext.sources.cave import tables as ct


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
class Coregistration(imports.CoregistrationImport, dj.Imported):
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
