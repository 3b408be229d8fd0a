"""The one way every plot function gets its Axes: the caller's, or a new figure's."""

from __future__ import annotations

import matplotlib.pyplot as plt


def axes(ax=None, *, figsize: tuple[float, float] | None = None, polar: bool = False):
    """``ax`` when given, else the Axes of a new figure (``figsize`` in inches; a polar projection if ``polar``)."""
    if ax is not None:
        return ax
    return plt.figure(figsize=figsize).add_subplot(projection="polar" if polar else None)
