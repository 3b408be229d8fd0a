"""Like-to-like summary: connection probability against the difference of preferred orientations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nda_ext.compute.em.adjacency import adjacency_matrix
from nda_ext.compute.selectivity import orientation_difference


def like_to_like(units: pd.DataFrame, connections: pd.DataFrame, n_bins: int = 4) -> pd.DataFrame:
    """Connection probability and synapses per pair by |delta pref_ori| of every ordered cell pair.

    Args:
        units: one row per cell with ``nucleus_id`` and ``pref_ori`` (deg; rows with NaN are skipped).
        connections: edges with ``pre_nucleus_id, post_nucleus_id, n_synapses``.
        n_bins: equal bins over [0, 90] deg.

    Returns:
        One row per bin: ``delta_ori_low, delta_ori_high`` (deg), ``n_pairs`` (ordered pairs, no self
        pairs), ``n_connected``, ``p_connect``, ``synapses_per_pair``.
    """
    cells = units[units["pref_ori"].notna()].reset_index(drop=True)
    matrix = adjacency_matrix(cells, connections).toarray()
    ori = cells["pref_ori"].to_numpy(np.float64)
    delta = orientation_difference(ori[:, None], ori[None, :])
    off_diagonal = ~np.eye(len(cells), dtype=bool)
    edges = np.linspace(0.0, 90.0, n_bins + 1)
    which = np.clip(np.searchsorted(edges, delta, side="right") - 1, 0, n_bins - 1)[off_diagonal]
    connected = (matrix > 0)[off_diagonal]
    synapses = matrix[off_diagonal]
    n_pairs = np.bincount(which, minlength=n_bins)
    n_connected = np.bincount(which, weights=connected, minlength=n_bins).astype(np.int64)
    total = np.bincount(which, weights=synapses, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({"delta_ori_low": edges[:-1], "delta_ori_high": edges[1:], "n_pairs": n_pairs,
                             "n_connected": n_connected, "p_connect": n_connected / n_pairs,
                             "synapses_per_pair": total / n_pairs})
