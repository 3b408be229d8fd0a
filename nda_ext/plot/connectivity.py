"""Connectivity figures: the connectivity matrix of a cell set sorted by a unit-table column, and the
like-to-like summary (connection probability against |delta pref_ori|). Angles in degrees, our convention.
Every function returns the Axes it drew on and never calls show()."""
import numpy as np

from nda_ext.compute.em.adjacency import adjacency_matrix
from nda_ext.compute.em.like_to_like import like_to_like
from nda_ext.plot.axes import axes

__all__ = ["plot_connectivity_matrix", "plot_like_to_like"]


def plot_connectivity_matrix(units, connections, sort_by="pref_ori", weight="n_synapses", ax=None,
                             cmap="Greys"):
    """Connectivity matrix (rows = postsynaptic, columns = presynaptic) with cells sorted by ``sort_by``.

    Args:
        units: one row per cell (``nucleus_id`` and ``sort_by``); cells with NaN ``sort_by`` go last.
        connections: edges with ``pre_nucleus_id, post_nucleus_id`` and ``weight``.
        sort_by: unit-table column to order cells by (e.g. 'pref_ori', 'brain_area', 'depth_um').
        weight: edge column shown (None: 1 per connection).
        ax: Axes to draw on; a new figure when None.
        cmap: colormap.

    Returns:
        The matplotlib Axes.
    """
    if sort_by not in units.columns:
        raise KeyError(f"sort_by={sort_by!r} is not a unit-table column; it has {list(units.columns)}")
    ordered = units.sort_values(sort_by, kind="stable", na_position="last").reset_index(drop=True)
    matrix = adjacency_matrix(ordered, connections, weight=weight).toarray()
    ax = axes(ax)
    image = ax.imshow(matrix, cmap=cmap, interpolation="nearest", aspect="equal",
                      vmax=max(1.0, float(np.percentile(matrix[matrix > 0], 95))) if (matrix > 0).any() else 1.0)
    ax.figure.colorbar(image, ax=ax, label=weight or "connected")
    ax.set_xlabel(f"presynaptic cell (sorted by {sort_by})")
    ax.set_ylabel(f"postsynaptic cell (sorted by {sort_by})")
    if ordered[sort_by].dtype == object:
        labels = ordered[sort_by].astype(str)
        starts = np.flatnonzero(np.r_[True, labels.to_numpy()[1:] != labels.to_numpy()[:-1]])
        ax.set_xticks(starts, labels.iloc[starts], rotation=90)
        ax.set_yticks(starts, labels.iloc[starts])
    ax.set_title(f"{len(ordered)} cells, {int((matrix > 0).sum())} connections")
    return ax


def plot_like_to_like(units, connections, n_bins=4, ax=None):
    """Connection probability against |delta pref_ori| (deg) of every ordered pair of cells with pref_ori.

    Returns:
        The matplotlib Axes.
    """
    summary = like_to_like(units, connections, n_bins=n_bins)
    centres = (summary["delta_ori_low"] + summary["delta_ori_high"]) / 2
    err = np.sqrt(summary["p_connect"] * (1 - summary["p_connect"]) / summary["n_pairs"].clip(lower=1))
    ax = axes(ax)
    ax.errorbar(centres, summary["p_connect"], yerr=err, marker="o", capsize=3)
    ax.set_xlabel("|Δ pref_ori| (deg)")
    ax.set_ylabel("connection probability")
    ax.set_xticks(np.linspace(0, 90, n_bins + 1))
    ax.set_ylim(bottom=0)
    return ax
