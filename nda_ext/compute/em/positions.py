"""EM positions in the pia frame (microns, y = depth below pia), via ``standard_transform``.

minnie65 transform version 1.4 (docs/cave.md: "Pia-frame transform"): voxels (4 x 4 x 40 nm) are scaled to nm,
rotated 5 degrees about z so the pia is flat, translated so the pia reference point lies at y = 0 and scaled to
microns. Check value: voxel (228816, 239776, 19593) -> (828.19, 638.55, 783.72) um.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd


@functools.lru_cache(maxsize=1)
def _minnie_voxel_transform():
    from standard_transform import minnie_ds

    return minnie_ds.transform("vx")


def pia_frame_um(voxels) -> np.ndarray:
    """Voxel positions (n, 3) of minnie65 (4 x 4 x 40 nm) -> pia-frame microns (n, 3).

    Returns:
        Columns x (um), y (um, depth below pia, increasing toward white matter), z (um).

    Raises:
        ValueError: ``voxels`` is not (n, 3).
    """
    points = np.asarray(voxels, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f"voxels must have shape (n, 3), got {points.shape}")
    if not len(points):
        return points.copy()
    return np.asarray(_minnie_voxel_transform().apply(points), dtype=np.float64)


def add_pia_positions(frame: pd.DataFrame, prefix: str = "pt_position") -> pd.DataFrame:
    """Copy of ``frame`` with ``x_um, depth_um, z_um`` (pia frame) from ``{prefix}_x/_y/_z`` (voxels)."""
    columns = [f"{prefix}_{axis}" for axis in "xyz"]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"frame lacks position column(s) {missing}")
    um = pia_frame_um(frame[columns].to_numpy(np.float64))
    return frame.assign(x_um=um[:, 0], depth_um=um[:, 1], z_um=um[:, 2])
