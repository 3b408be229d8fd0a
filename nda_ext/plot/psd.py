"""Plot population-rate PSD summaries (frames from :func:`nda_ext.compute.psd.psd_summary_frame`)."""

from __future__ import annotations

import pandas as pd

from nda_ext.compute.psd import psd_columns
from nda_ext.plot.axes import axes


def plot_psd(summary: pd.DataFrame, ax=None, label: str = "area", title: str | None = None, **line_kwargs):
    """One PSD curve per row of a summary frame (e.g. per area), log10 power against frequency.

    Args:
        summary: frame with ``psd_<f>`` columns (log10 power density) and a ``label`` column.
        ax: matplotlib Axes to draw on; a new figure when None.
        label: column naming each curve in the legend (``"area"``; any key column works).
        title: axes title.
        **line_kwargs: passed to ``Axes.plot``.

    Returns:
        The Axes.
    """

    columns, freqs = psd_columns(summary)
    if not columns:
        raise ValueError("summary: no psd_<f> columns to plot")
    if label not in summary.columns:
        raise ValueError(f"summary: no column {label!r} to label curves by (have {list(summary.columns)})")
    ax = axes(ax, figsize=(5, 3.5))
    for name, power in zip(summary[label], summary[columns].to_numpy(dtype=float)):
        ax.plot(freqs, power, label=str(name), **line_kwargs)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("log10 power density")
    if title:
        ax.set_title(title)
    ax.legend(title=label, frameon=False)
    return ax
