"""Tuning and oracle results as DataFrames, and the per-unit figure a scientist looks at first."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd


def unit_tuning(schemas: dict, method: str = "default", restriction=None) -> pd.DataFrame:
    """One row per unit: tuning (``DirectionTuning.Unit``), brain area and, where computed, the oracle.

    Angles in degrees, our convention (0 = rightward motion, counter-clockwise positive).
    """
    nda, tuning = schemas["nda"], schemas["tuning"]
    query = tuning.DirectionTuning.Unit * nda.AreaMembership & {"direction_method": method}
    if restriction is not None:
        query &= restriction
    units = query.to_pandas()
    oracle = tuning.Oracle.Unit.proj(oracle="pearson", oracle_cc_max="cc_max").to_pandas()
    return units.join(oracle, how="left") if len(oracle) else units


def plot_unit_tuning(schemas: dict, unit_key: dict, method: str = "default"):
    """Tuning curve of one unit with its bi-von Mises fit, Cartesian and polar side by side; returns the Figure."""
    from nda_ext.plot.tuning import plot_tuning_curve

    tuning = schemas["tuning"]
    key = dict(unit_key, direction_method=method)
    row = (tuning.DirectionTuning.Unit & key).fetch1()
    directions = (tuning.DirectionTuning & key).fetch1("directions")
    fit = row if row["fit_success"] else None
    fig = plt.figure(figsize=(9, 3.6))
    cartesian = fig.add_subplot(1, 2, 1)
    polar = fig.add_subplot(1, 2, 2, projection="polar")
    plot_tuning_curve(directions, row["mean_responses"], fit=fit, ax=cartesian)
    plot_tuning_curve(directions, row["mean_responses"], fit=fit, polar=True, ax=polar)
    if polar.get_legend() is not None:
        polar.get_legend().remove()
    gosi = "NULL" if row["gosi"] is None else f"{row['gosi']:.2f}"
    pref = "NULL" if row["pref_ori"] is None else f"{row['pref_ori']:.0f}"
    fig.suptitle(f"unit {unit_key['session']}-{unit_key['scan_idx']}-{unit_key['unit_id']}: gOSI {gosi}, "
                 f"pref_ori {pref} deg")
    fig.tight_layout()
    return fig
