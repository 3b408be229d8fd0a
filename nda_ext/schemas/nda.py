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


@schema
class Stack(dj.Manual):
    """Corrected structural stack; only (9, 19) exported. motor_* = volume centre in motor coordinates (um); px_*
    = voxel counts; um_* = extent; surf_z = depth of first slice minus half a z-step. Voxels are not in the
    DB."""

    definition = """
    stack_session: int16
    stack_idx: int16
    ---
    motor_z: float32
    motor_y: float32
    motor_x: float32
    px_depth: int16
    px_height: int16
    px_width: int16
    um_depth: float32
    um_height: float32
    um_width: float32
    surf_z: float32
    """


@schema
class Registration(dj.Manual):
    """Affine field-to-stack registration: a11..a32 = 3x2 linear part mapping field (x,y) to stack (x,y,z);
    reg_x/y/z = translation (um); score = cross-correlation (-1..1); reg_field = stack resampled at the
    registered field."""

    definition = """
    -> Stack
    -> Field
    ---
    a11: float32
    a21: float32
    a31: float32
    a12: float32
    a22: float32
    a32: float32
    reg_x: float32
    reg_y: float32
    reg_z: float32
    score: float32
    reg_field: <blob>
    """


@schema
class StackUnit(dj.Manual):
    """Unit centroid in stack motor coordinates (motor_*) and stack-local coordinates (stack_* = motor - stack
    centre + half stack size, rounded to 0.01 um). stack_* is the input to the 2P->EM coregistration."""

    definition = """
    -> Registration
    -> ScanUnit
    ---
    motor_x: float32
    motor_y: float32
    motor_z: float32
    stack_x: float32
    stack_y: float32
    stack_z: float32
    """


@schema
class Coregistration(dj.Manual):
    """AIBS 2P<->EM transforms; 8 rows: ids 1-4 phase2 (deprecated), 5-8 phase3; odd = 2PEM, even = EM2P; 1,2,5,6
    spline, 3,4,7,8 linear. transform_args/transform_solution default null."""

    definition = """
    -> Stack
    transform_id: int32
    ---
    version: varchar(256)
    direction: varchar(16)
    transform_type: varchar(16)
    transform_args = null: <blob>
    transform_solution = null: <blob>
    """


@schema
class Condition(dj.Manual):
    """Stimulus condition shown in a trial (not an nda v8 table: it gives `condition_hash` one lineage, so
    `Trial * Monet2`, `Trial * Clip` and `Trial * Trippy` join by name as they do in nda). stimulus_type is
    the Trial.type of the condition: stimulus.Clip, stimulus.Monet2 or stimulus.Trippy."""

    definition = """
    condition_hash: char(20)
    ---
    stimulus_type: varchar(16)
    """


@schema
class Stimulus(dj.Manual):
    """Whole-scan stimulus resampled to field-1 frame times: uint8 array 90 x 160 x nframes (H x W x T)."""

    definition = """
    -> Scan
    ---
    movie: <blob>
    """


@schema
class Trial(dj.Manual):
    """One stimulus trial. type = stimulus.Clip / stimulus.Monet2 / stimulus.Trippy; start_idx/end_idx = scan-
    frame indices; *_frame_time and stim_times in s from scan start (stimulus clock). condition_hash is not an
    FK: join to Clip/Monet2/Trippy by name."""

    definition = """
    -> Stimulus
    trial_idx: int16
    ---
    -> Condition
    type: varchar(16)
    start_idx: int64
    end_idx: int64
    start_frame_time: float64
    end_frame_time: float64
    stim_times: <blob>
    """


@schema
class Clip(dj.Manual):
    """Natural-movie condition. clip = greyscale frames shown (T x H x W); short_movie_name = Cinematic, sports1m
    or Rendered; fps = original clip frame rate (new in v8); duration ~10 s."""

    definition = """
    -> Condition
    ---
    movie_name: varchar(250)
    duration: float64
    clip: <blob>
    short_movie_name: varchar(15)
    fps: float32
    """


@schema
class Monet2(dj.Manual):
    """Pink noise with coherent-motion epochs. blue_green_saturation has default 0.000. Typical: fps 60, duration
    15 s, n_dirs 16. directions in degrees, onsets in s (onsets is blob, not longblob); movie = uint8 H x W x
    1 x T."""

    definition = """
    -> Condition
    ---
    fps: float64
    duration: float64
    rng_seed: float64
    blue_green_saturation = 0.0: float64
    pattern_width: int16
    pattern_aspect: float32
    temp_kernel: varchar(16)
    temp_bandwidth: float64
    ori_coherence: float64
    ori_fraction: float32
    ori_mix: float32
    n_dirs: int16
    speed: float32
    directions: <blob>
    onsets: <blob>
    movie: <blob>
    """


@schema
class Trippy(dj.Manual):
    """Randomised curvy drifting gratings. Typical: fps 60, duration 15 s, tex 90 x 160; movie = H x W x T."""

    definition = """
    -> Condition
    ---
    fps: float64
    rng_seed: float64
    packed_phase_movie: <blob>
    tex_ydim: int16
    tex_xdim: int16
    duration: float32
    xnodes: int8
    ynodes: int8
    up_factor: int8
    temp_freq: float32
    temp_kernel_length: int16
    spatial_freq: float32
    movie: <blob>
    """


@schema
class RawManualPupil(dj.Manual):
    """Semi-automatic left-eye ellipse fits at the eye-camera rate (~20 Hz): radii and centre in px (NaN where no
    fit); pupil_times in s from scan start (behaviour clock)."""

    definition = """
    -> Scan
    ---
    pupil_min_r: <blob>
    pupil_maj_r: <blob>
    pupil_x: <blob>
    pupil_y: <blob>
    pupil_times: <blob>
    """


@schema
class ManualPupil(dj.Manual):
    """Pupil traces resampled to field-1 scan frame times (length nframes): Hamming low-pass then linear
    interpolation."""

    definition = """
    -> RawManualPupil
    ---
    pupil_min_r: <blob>
    pupil_maj_r: <blob>
    pupil_x: <blob>
    pupil_y: <blob>
    """


@schema
class RawTreadmill(dj.Manual):
    """Treadmill velocity (cm/s, ~100 Hz encoder) and timestamps (s from scan start)."""

    definition = """
    -> Scan
    ---
    treadmill_velocity: <blob>
    treadmill_timestamps: <blob>
    """


@schema
class Treadmill(dj.Manual):
    """Treadmill velocity resampled to scan frame times (length nframes), same method as ManualPupil."""

    definition = """
    -> RawTreadmill
    ---
    treadmill_velocity: <blob>
    """
