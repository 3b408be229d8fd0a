"""Digital-twin figures: prediction vs recording, cc_norm distribution, in-silico vs recorded tuning.

Each function draws on ``ax`` (a new figure when None) and returns the axes.
"""

from __future__ import annotations

import numpy as np

from nda_ext.plot.axes import axes


def prediction_trace(recorded: np.ndarray, predicted: np.ndarray, fps: float, *, unit_id=None, cc=None,
                     ax=None):
    """Recorded and predicted trace of one unit over time.

    Args:
        recorded: (T,) recorded response (trace units).
        predicted: (T,) model prediction on the same clock and units.
        fps: sampling rate (Hz), for the time axis in seconds.
        unit_id: shown in the title when given.
        cc: correlation shown in the title when given.
        ax: matplotlib axes.
    """
    recorded, predicted = np.asarray(recorded, float), np.asarray(predicted, float)
    if recorded.shape != predicted.shape or recorded.ndim != 1:
        raise ValueError(f"recorded and predicted must be 1-D of equal length, got {recorded.shape}, "
                         f"{predicted.shape}")
    ax = axes(ax, figsize=(6, 3.5))
    t = np.arange(len(recorded)) / fps
    ax.plot(t, recorded, color="0.3", lw=1, label="recorded")
    ax.plot(t, predicted, color="tab:blue", lw=1.2, label="digital twin")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("response")
    parts = [f"unit {unit_id}" if unit_id is not None else "", f"cc = {cc:.2f}" if cc is not None else ""]
    ax.set_title(", ".join(p for p in parts if p))
    ax.legend(frameon=False, loc="upper right")
    return ax


def cc_norm_distribution(cc_norm: np.ndarray, *, bins: int = 40, label: str | None = None, ax=None):
    """Histogram of cc_norm over units with its median marked (NaNs dropped; values > 1 kept, not clipped)."""
    values = np.asarray(cc_norm, float)
    values = values[np.isfinite(values)]
    ax = axes(ax, figsize=(6, 3.5))
    ax.hist(values, bins=bins, color="tab:blue", alpha=0.8, label=label)
    if values.size:
        median = float(np.median(values))
        ax.axvline(median, color="k", ls="--", lw=1)
        ax.text(median, ax.get_ylim()[1] * 0.95, f" median {median:.2f}", va="top")
    ax.set_xlabel("cc_norm")
    ax.set_ylabel("units")
    ax.set_title(f"prediction quality (n = {values.size})")
    return ax


def tuning_comparison(directions: np.ndarray, in_silico: np.ndarray, recorded: np.ndarray | None = None, *,
                      recorded_directions: np.ndarray | None = None, unit_id=None, polar: bool = True, ax=None):
    """In-silico and recorded direction tuning curves of one unit, each normalised to its maximum.

    Args:
        directions: (K,) degrees (0 = rightward, counter-clockwise) of ``in_silico``.
        in_silico: (K,) model responses.
        recorded: (K',) recorded mean responses or None.
        recorded_directions: (K',) degrees of ``recorded`` (default ``directions``).
        unit_id: shown in the title when given.
        polar: polar axes (closed curves) or a linear direction axis.
        ax: matplotlib axes (polar when ``polar``).
    """
    ax = axes(ax, figsize=(4, 4), polar=True) if polar else axes(ax, figsize=(6, 3.5))
    curves = [("digital twin", directions, in_silico, "tab:blue")]
    if recorded is not None:
        curves.append(("recorded", directions if recorded_directions is None else recorded_directions, recorded,
                       "0.3"))
    for label, d, r, color in curves:
        d, r = np.asarray(d, float), np.asarray(r, float)
        if d.shape != r.shape:
            raise ValueError(f"{label}: directions {d.shape} and responses {r.shape} differ in shape")
        order = np.argsort(d % 360)
        d, r = d[order] % 360, r[order] / np.nanmax(np.abs(r))
        if polar:
            ax.plot(np.deg2rad(np.append(d, d[0])), np.append(r, r[0]), color=color, label=label)
        else:
            ax.plot(d, r, "o-", color=color, label=label)
    if not polar:
        ax.set_xlabel("direction (deg, 0 = rightward)")
        ax.set_ylabel("normalised response")
    ax.set_title("" if unit_id is None else f"unit {unit_id}")
    ax.legend(frameon=False, loc="lower left", fontsize="small")
    return ax
