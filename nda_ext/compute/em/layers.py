"""Cortical layers from depth below pia, with explicit boundaries.

Layers are assigned from the pia-frame depth alone (never from cell-type counts), so a cell's label does
not depend on which other cells are in the table, lower/upper-case glia names cannot shift it, and labels
are monotone in depth. Default boundaries are the minnie65 v1718 layer depths derived by
microns-combiner 0.4.0 in the standard-transform pia frame (docs/cave.md: "microns-combiner"): flat and global (no
per-area or curvature correction).
"""

from __future__ import annotations

import numpy as np

LAYERS = ("L1", "L2/3", "L4", "L5", "L6", "WM")
"""Layer labels from pia to white matter."""

MINNIE65_BOUNDARIES_UM = (71.0, 250.0, 360.0, 509.0, 828.0)
"""Depths (um below pia) of the L1|L2/3, L2/3|L4, L4|L5, L5|L6 and L6|WM borders."""


def assign_layers(depth_um, boundaries_um=MINNIE65_BOUNDARIES_UM, labels=LAYERS) -> np.ndarray:
    """Layer label of each depth.

    A depth on a border belongs to the deeper layer; depths above the pia (< 0) are 'L1'; NaN depths get
    ''. ``labels`` has one more entry than ``boundaries_um``.

    Args:
        depth_um: depths below pia, um (any shape).
        boundaries_um: strictly increasing border depths, um.
        labels: layer names from pia down.

    Returns:
        Array of str labels, same shape as ``depth_um``.

    Raises:
        ValueError: boundaries not strictly increasing, or ``len(labels) != len(boundaries_um) + 1``.
    """
    borders = np.asarray(boundaries_um, dtype=np.float64)
    if borders.ndim != 1 or np.any(np.diff(borders) <= 0):
        raise ValueError(f"boundaries_um must be strictly increasing, got {list(boundaries_um)}")
    if len(labels) != len(borders) + 1:
        raise ValueError(f"labels needs {len(borders) + 1} entries for {len(borders)} boundaries, got {list(labels)}")
    depth = np.asarray(depth_um, dtype=np.float64)
    names = np.asarray(list(labels) + [""], dtype=object)
    index = np.searchsorted(borders, depth, side="right")
    index = np.where(np.isnan(depth), len(labels), index)
    return names[index].astype(str)
