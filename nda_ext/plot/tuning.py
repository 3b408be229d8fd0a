"""Tuning and reliability plots: a unit's direction tuning with its bi-von Mises fit, preferred-orientation
histograms by brain area, and oracle / correlation distributions. Angles in degrees (package convention)."""
import numpy as np

from nda_ext.compute.vonmises import bi_von_mises
from nda_ext.plot.axes import axes

__all__ = ["plot_tuning_curve", "plot_pref_ori_histogram", "plot_quality_distribution"]

_FIT_KEYS = ("mu", "phi", "kappa", "scale", "bias")


def _require_columns(df, columns):
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"DataFrame lacks column(s) {missing}; it has {list(df.columns)}")


def plot_tuning_curve(directions_deg, mean, fit=None, sem=None, polar=False, ax=None, label=None):
    """Mean response per direction of one unit, optionally with error bars and the fitted bi-von Mises curve.

    Args:
        directions_deg: directions in degrees ``(n_dir,)``.
        mean: mean response per direction ``(n_dir,)``.
        fit: mapping with ``mu`` (deg), ``phi``, ``kappa``, ``scale``, ``bias`` of this unit (e.g. a
            ``DirectionTuning.Unit`` row), or None.
        sem: standard error per direction ``(n_dir,)``, or None.
        polar: draw on polar axes (the curve is closed around the circle).
        ax: Axes to draw on (polar Axes when ``polar``); a new figure when None.
        label: legend label of the data.

    Returns:
        The matplotlib Axes.
    """
    directions = np.asarray(directions_deg, dtype=float)
    mean = np.asarray(mean, dtype=float)
    order = np.argsort(directions)
    directions, mean = directions[order], mean[order]
    ax = axes(ax, polar=polar)
    grid = np.linspace(0.0, 360.0, 361)
    if polar:
        closed = np.r_[directions, directions[:1] + 360.0]
        ax.plot(np.deg2rad(closed), np.r_[mean, mean[:1]], "o-", label=label)
    elif sem is not None:
        ax.errorbar(directions, mean, yerr=np.asarray(sem, dtype=float)[order], fmt="o", capsize=2, label=label)
    else:
        ax.plot(directions, mean, "o", label=label)
    if fit is not None:
        curve = bi_von_mises(grid, *(float(fit[key]) for key in _FIT_KEYS))
        ax.plot(np.deg2rad(grid) if polar else grid, curve, "-", label="bi-von Mises fit")
    if not polar:
        ax.set_xlabel("direction (deg)")
        ax.set_ylabel("response")
        ax.set_xticks(np.arange(0, 361, 90))
    if label is not None or fit is not None:
        ax.legend(frameon=False)
    return ax


def plot_pref_ori_histogram(df, area_col="brain_area", ori_col="pref_ori", bin_deg=15.0, density=True, ax=None):
    """Histogram of preferred orientations, one step line per brain area.

    Args:
        df: DataFrame with one row per unit.
        area_col: column with the brain area (e.g. ``'V1'``, ``'RL'``).
        ori_col: column with the preferred orientation in degrees [0, 180).
        bin_deg: bin width in degrees.
        density: normalise each area's histogram to unit area.
        ax: Axes to draw on; a new figure when None.

    Returns:
        The matplotlib Axes.

    Raises:
        KeyError: if a column is missing.
    """
    _require_columns(df, [area_col, ori_col])
    ax = axes(ax)
    bins = np.arange(0.0, 180.0 + bin_deg, bin_deg)
    for area, group in df.groupby(area_col, sort=True):
        values = group[ori_col].to_numpy(dtype=float)
        values = values[np.isfinite(values)] % 180.0
        ax.hist(values, bins=bins, density=density and values.size > 0, histtype="step",
                label=f"{area} (n={values.size})")
    ax.set_xlabel("preferred orientation (deg)")
    ax.set_ylabel("density" if density else "units")
    ax.set_xticks(np.arange(0, 181, 45))
    ax.legend(frameon=False)
    return ax


def plot_quality_distribution(df, columns=("oracle",), bins=50, ax=None):
    """Distributions of reliability / prediction-quality columns (e.g. oracle, cc_abs, cc_max, cc_norm).

    Args:
        df: DataFrame with one row per unit.
        columns: columns to histogram on a shared axis; NaN values are left out.
        bins: number of bins over the pooled finite range.
        ax: Axes to draw on; a new figure when None.

    Returns:
        The matplotlib Axes.

    Raises:
        KeyError: if a column is missing.
    """
    columns = list(columns)
    _require_columns(df, columns)
    ax = axes(ax)
    values = {c: df[c].to_numpy(dtype=float) for c in columns}
    values = {c: v[np.isfinite(v)] for c, v in values.items()}
    pooled = np.concatenate(list(values.values()))
    edges = np.linspace(pooled.min(), pooled.max(), bins + 1) if pooled.size else bins
    for column, v in values.items():
        ax.hist(v, bins=edges, histtype="step", label=f"{column} (median {np.median(v):.2f})" if v.size else column)
    ax.set_xlabel("correlation")
    ax.set_ylabel("units")
    ax.legend(frameon=False)
    return ax
