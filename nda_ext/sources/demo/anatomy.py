"""Demo anatomy: fields, unit positions, visual areas, the structural stack, registrations and coregistrations.

Coordinates: motor microns, x to the right, y down the field's lines, z = depth below the surface. A field's
pixel (px_x, px_y) maps to motor (field_x, field_y) + ((px + 0.5) - size / 2) * um_per_px. The field-to-stack
affine of ``Registration`` maps field-centred microns (x, y) to stack motor microns (x, y, z) as in
``microns_phase3.utils.get_grid``; ``StackUnit`` applies it to the unit centroids, so stack and scan positions
agree up to the registration error (a few microns).
"""

import numpy as np
import pandas as pd

STACK = dict(stack_session=9, stack_idx=19, motor_z=314.0, motor_y=-173.688, motor_x=-236.91, px_depth=335,
             px_height=661, px_width=706, um_depth=670.0, um_height=1322.0, um_width=1412.0, surf_z=-21.0)
"""The one exported v8 stack (9, 19) with its real geometry."""

def stack_key():
    """Primary key of the demo stack."""
    return {"stack_session": STACK["stack_session"], "stack_idx": STACK["stack_idx"]}


def field_rows(cfg, rng, scan_key):
    """``Field`` rows: pairs of side-by-side fields at successive depths around the stack centre."""
    height, width = cfg.field_shape
    um_height, um_width = cfg.field_um
    offset = rng.normal(0, 10, 2)
    return [
        dict(scan_key, field=f + 1, px_width=width, px_height=height, um_width=float(um_width),
             um_height=float(um_height), field_x=float(STACK["motor_x"] + (f % 2 - 0.5) * um_width + offset[0]),
             field_y=float(STACK["motor_y"] + offset[1]), field_z=float(cfg.field_depths_um[f // 2]))
        for f in range(cfg.n_fields)
    ]


def place_units(cfg, rng, fields):
    """Mask centroids and scan positions of all units of one scan.

    Args:
        cfg: DemoConfig.
        rng: numpy Generator.
        fields: the scan's Field rows.

    Returns:
        DataFrame, one row per unit in unit_id order: unit_id, field, mask_id (1-based per field), cx, cy (float
        centroid, px), px_x, px_y, x_rel, y_rel (field-centred um), um_x, um_y, um_z (motor um), ms_delay (ms from
        volume start: fields are scanned in order, lines top to bottom), is_soma.
    """
    height, width = cfg.field_shape
    per_field = [len(part) for part in np.array_split(np.arange(cfg.n_units), cfg.n_fields)]
    field_index = np.repeat(np.arange(cfg.n_fields), per_field)
    mask_id = np.concatenate([np.arange(1, n + 1) for n in per_field])
    cx = rng.uniform(2, width - 3, cfg.n_units)
    cy = rng.uniform(2, height - 3, cfg.n_units)
    px_x, px_y = np.round(cx).astype(int), np.round(cy).astype(int)
    x_rel = (cx + 0.5 - width / 2) * cfg.field_um[1] / width
    y_rel = (cy + 0.5 - height / 2) * cfg.field_um[0] / height
    table = pd.DataFrame(fields).iloc[field_index]
    volume_ms = 1000.0 / cfg.fps
    ms_delay = np.round(volume_ms * (field_index + (px_y + 0.5) / height) / cfg.n_fields).astype(int)
    return pd.DataFrame(dict(
        unit_id=np.arange(1, cfg.n_units + 1), field=field_index + 1, mask_id=mask_id, cx=cx, cy=cy, px_x=px_x,
        px_y=px_y, x_rel=x_rel, y_rel=y_rel, um_x=np.round(table["field_x"].to_numpy() + x_rel).astype(int),
        um_y=np.round(table["field_y"].to_numpy() + y_rel).astype(int),
        um_z=np.round(table["field_z"].to_numpy()).astype(int), ms_delay=ms_delay,
        is_soma=rng.random(cfg.n_units) < cfg.soma_fraction,
    ))


def brain_areas(um_x, um_y):
    """Visual area of motor positions (um) from a fixed synthetic retinotopic map: V1 on the left, higher areas
    (LM posterior, AL, RL anterior) to the right of a wavy border."""
    x = np.asarray(um_x, dtype=float) - STACK["motor_x"]
    y = np.asarray(um_y, dtype=float) - STACK["motor_y"]
    higher = x > 100 + 80 * np.sin(y / 300)
    area = np.select([~higher, y < -150, y < 250], ["V1", "LM", "AL"], default="RL")
    return area.astype(object)


def registration_rows(rng, fields, averages):
    """``Registration`` rows of one scan's fields, near-identity affines with small rotation and tilt.

    Args:
        rng: numpy Generator.
        fields: Field rows.
        averages: mean image (H, W) per field, used for ``reg_field``.
    """
    rows = []
    for field, average in zip(fields, averages):
        angle = np.deg2rad(rng.normal(0, 0.5))
        tilt = rng.normal(0, 0.02, 2)
        reg = np.array([field["field_x"], field["field_y"], field["field_z"]]) + rng.normal(0, [3, 3, 5])
        reg_field = average + rng.normal(0, 0.1 * average.std(), average.shape)
        key = {k: field[k] for k in ("session", "scan_idx", "field")}
        rows.append(dict(stack_key(), **key, a11=float(np.cos(angle)), a21=float(np.sin(angle)),
                         a31=float(tilt[0]), a12=float(-np.sin(angle)), a22=float(np.cos(angle)),
                         a32=float(tilt[1]), reg_x=float(reg[0]), reg_y=float(reg[1]), reg_z=float(reg[2]),
                         score=float(rng.uniform(0.6, 0.9)), reg_field=reg_field.astype(np.float32)))
    return rows


def affine(registration):
    """(3x2 linear part, translation) of a Registration row."""
    r = registration
    matrix = np.array([[r["a11"], r["a12"]], [r["a21"], r["a22"]], [r["a31"], r["a32"]]])
    return matrix, np.array([r["reg_x"], r["reg_y"], r["reg_z"]])


def stack_unit_rows(scan_key, units, registrations):
    """``StackUnit`` rows: unit centroids through their field's registration, in stack motor and stack-local um."""
    by_field = {r["field"]: affine(r) for r in registrations}
    matrices = np.stack([by_field[f][0] for f in units["field"]])
    shifts = np.stack([by_field[f][1] for f in units["field"]])
    rel = units[["x_rel", "y_rel"]].to_numpy()
    motor = np.einsum("nij,nj->ni", matrices, rel) + shifts
    centre = np.array([STACK["motor_x"], STACK["motor_y"], STACK["motor_z"]])
    size = np.array([STACK["um_width"], STACK["um_height"], STACK["um_depth"]])
    local = np.round(motor - centre + size / 2, 2)
    return [
        dict(stack_key(), **scan_key, field=int(f), unit_id=int(u), motor_x=float(m[0]), motor_y=float(m[1]),
             motor_z=float(m[2]), stack_x=float(s[0]), stack_y=float(s[1]), stack_z=float(s[2]))
        for f, u, m, s in zip(units["field"], units["unit_id"], motor, local)
    ]


def coregistration_rows(rng):
    """The 8 ``Coregistration`` rows (ids 1-4 phase2, 5-8 phase3; odd 2PEM, even EM2P; 1, 2, 5, 6 spline).

    The blobs are small stand-ins, not the AIBS ``Transform`` json: ``transform_args`` is a dict of the stack
    size and EM voxel size; ``transform_solution`` is a dict with an affine 4x3 matrix (stack-local mm ->
    EM voxels of 4 x 4 x 40 nm for 2PEM, its inverse for EM2P) and, for splines, control points and weights.
    """
    forward = np.array([[250000.0, 1500.0, 0.0], [-1200.0, 250000.0, 600.0], [0.0, -300.0, 25000.0],
                        [60000.0, 80000.0, 14000.0]])
    inverse = np.linalg.pinv(np.vstack([forward.T, [0, 0, 0, 1]]))[:3].T
    controls = rng.uniform(0, [1.412, 1.322, 0.670], (10, 3))
    rows = []
    for transform_id in range(1, 9):
        version = "phase2" if transform_id <= 4 else "phase3"
        direction = "2PEM" if transform_id % 2 else "EM2P"
        kind = "spline" if transform_id in (1, 2, 5, 6) else "linear"
        solution = {"matrix": forward if direction == "2PEM" else inverse}
        if kind == "spline":
            solution.update(control_points=controls, weights=rng.normal(0, 5.0, (10, 3)))
        rows.append(dict(stack_key(), transform_id=transform_id, version=version, direction=direction,
                         transform_type=kind,
                         transform_args={"stack_um_size": np.array([1412.0, 1322.0, 670.0]),
                                         "em_voxel_nm": np.array([4.0, 4.0, 40.0])},
                         transform_solution=solution))
    return rows
