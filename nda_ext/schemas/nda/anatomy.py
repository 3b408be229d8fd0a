"""nda v8 mirror: Structural stacks, field registration, stack units and the 2P-EM transforms."""

import datajoint as dj

from nda_ext.schemas.nda.imaging import Field, ScanUnit, schema  # noqa: F401  (parents named in definitions)


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
