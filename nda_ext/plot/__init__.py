"""Matplotlib figures for nda_ext results; every function returns the Axes it drew on and never calls show()."""
from nda_ext.plot.tuning import plot_pref_ori_histogram, plot_quality_distribution, plot_tuning_curve

__all__ = ["plot_tuning_curve", "plot_pref_ori_histogram", "plot_quality_distribution"]
