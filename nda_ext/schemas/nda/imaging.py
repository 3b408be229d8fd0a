"""The nda v8 mirror: all 29 tables of `microns_phase3_nda` with the same names, keys and attributes.

Queries written for the real nda run unchanged. Types are the DataJoint 2 core equivalents of the v8 MySQL types:

==================  =====================  ==========================================================
nda v8 type         mirror type            why
==================  =====================  ==========================================================
tinyint/smallint    int8/int16
int                 int32
int unsigned        int64                  no unsigned core types; int64 holds every uint32 value
float/double        float32/float64
longblob/blob       <blob>                 DataJoint-serialised numpy arrays, as in nda
char(20) hashes     char(20)               fixed length, never padded
other char(n)       varchar(n)             PostgreSQL pads char(n) ('V1        '); MySQL strips it
decimal(p,s)        float64                PostgreSQL/MySQL return Decimal, which breaks float arithmetic
==================  =====================  ==========================================================

One table is added: `Condition`, the parent of Clip, Monet2, Trippy and Trial, so that `condition_hash` has one
lineage and the standard joins pass DataJoint 2 semantic matching without `semantic_check=False`.
"""

import datajoint as dj

schema = dj.Schema()


@schema
class Scan(dj.Manual):
    """One completed 2-photon scan of mouse 17797 (animal_id is implicit). nframes = volumes per field; fps =
    volume rate in Hz. 19 rows in v8."""

    definition = """
    session: int16
    scan_idx: int16
    ---
    nframes: int32
    nfields: int8
    fps: float32
    """


@schema
class ScanInclude(dj.Lookup):
    """Scans recommended for analysis; contents hard-coded to 14 (session, scan_idx) pairs: 4-7, 5-6, 5-7, 6-2,
    6-4, 6-6, 6-7, 7-3, 7-4, 7-5, 8-5, 9-3, 9-4, 9-6. Needs the Scan rows present before it can be
    declared/filled."""

    definition = """
    -> Scan
    ---
    """


@schema
class Field(dj.Manual):
    """Imaging field of a scan. px_* = pixels per line / lines; um_* = size in microns; field_x/y/z = field
    centre in motor coordinates (um; cortex surface ~ z 0)."""

    definition = """
    -> Scan
    field: int16
    ---
    px_width: int16
    px_height: int16
    um_width: float32
    um_height: float32
    field_x: float32
    field_y: float32
    field_z: float32
    """


@schema
class ScanTimes(dj.Manual):
    """frame_times: 1-D vector (length nframes) of volume start times (field 1, pixel 1) in s on the behaviour
    clock, zeroed at the first frame. ndepths = number of distinct field depths."""

    definition = """
    -> Scan
    ---
    frame_times: <blob>
    ndepths: int16
    """


@schema
class RasterCorrection(dj.Manual):
    """Bidirectional-scanning raster phase (difference between expected and recorded scan angle). New in v8."""

    definition = """
    -> Field
    ---
    raster_phase: float32
    """


@schema
class MotionCorrection(dj.Manual):
    """Per-frame rigid shifts in pixels and their std (unit of std stated as um in nda, pixels upstream). New in
    v8."""

    definition = """
    -> Field
    ---
    y_shifts: <blob>
    x_shifts: <blob>
    y_std: float32
    x_std: float32
    """


@schema
class MeanIntensity(dj.Manual):
    """Mean field intensity per frame (length nframes); scan-quality trace."""

    definition = """
    -> Field
    ---
    intensities: <blob>
    """


@schema
class SummaryImages(dj.Manual):
    """Local-correlation image and mean image of the field, each px_height x px_width."""

    definition = """
    -> Field
    ---
    correlation: <blob>
    average: <blob>
    """


@schema
class Segmentation(dj.Manual):
    """CNMF (CaImAn, segmentation_method 6) masks. pixels = 1-based column-major (Fortran) indices into the field
    image; weights = mask weight per listed pixel. mask_id unique per field."""

    definition = """
    -> Field
    mask_id: int16
    ---
    pixels: <blob>
    weights: <blob>
    """


@schema
class MaskClassification(dj.Manual):
    """CaImAn classifier label: 'soma' or 'artifact'."""

    definition = """
    -> Segmentation
    ---
    mask_type: varchar(16)
    """


@schema
class Fluorescence(dj.Manual):
    """Raw fluorescence trace of the mask (length nframes), before deconvolution."""

    definition = """
    -> Segmentation
    ---
    trace: <blob>
    """


@schema
class ScanUnit(dj.Manual):
    """One unit = one mask re-indexed scan-wide (no de-duplication across fields). field and mask_id come from a
    secondary (non-primary) FK to Fluorescence. um_* = centroid in motor coordinates; px_* = centroid in field
    pixels; ms_delay = ms from volume start (field 1, pixel 1) until the unit was scanned."""

    definition = """
    -> Scan
    unit_id: int32
    ---
    -> Fluorescence
    um_x: int16
    um_y: int16
    um_z: int16
    px_x: int16
    px_y: int16
    ms_delay: int16
    """


@schema
class UnitHash(dj.Manual):
    """hash = first 12 hex chars of SHA-256 of json.dumps({'session':..,'scan_idx':..,'unit_id':..}) (that key
    order, default separators); str_key = session, scan_idx, unit_id zero-padded to 2, 2, 6 digits joined by
    '_' (e.g. 04_07_001262). New in v8."""

    definition = """
    -> ScanUnit
    ---
    hash: varchar(64)
    str_key: varchar(64)
    """


@schema
class Activity(dj.Manual):
    """Deconvolved activity trace (spike_method 5), length nframes."""

    definition = """
    -> ScanUnit
    ---
    trace: <blob>
    """


@schema
class AreaMembership(dj.Manual):
    """Visual area of the unit from one retinotopic map: V1, LM, AL or RL. 168,971 rows in v8."""

    definition = """
    -> ScanUnit
    ---
    brain_area: varchar(10)
    """


@schema
class Oracle(dj.Manual):
    """Leave-one-out oracle correlation over the repeated oracle clips; trials = 60 (6 clips x 10 repeats) in all
    observed rows."""

    definition = """
    -> ScanUnit
    ---
    trials: int32
    pearson: float32
    """
