"""Tuning and oracle results as DataFrames, and the per-unit figure (over the ``tuning`` schema)."""

from nda_ext.tuning.results import plot_unit_tuning, unit_tuning

__all__ = ["plot_unit_tuning", "unit_tuning"]
