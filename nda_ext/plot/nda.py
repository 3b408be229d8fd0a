"""Figures of the nda walk-through: traces, stimulus frames of a trial, oracle raster, field masks."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from nda_ext.plot.axes import axes


def plot_traces(frame_times, traces, labels=None, ax=None, offset: float = 1.0):
    """Stacked traces (n_units, n_frames), each scaled to its own max, against time in s."""
    ax = axes(ax, figsize=(10, 0.6 * len(traces) + 1))
    for i, trace in enumerate(np.asarray(traces, float)):
        peak = np.nanmax(np.abs(trace)) or 1.0
        ax.plot(frame_times, trace / peak + i * offset, lw=0.6)
    if labels is not None:
        ax.set_yticks(np.arange(len(traces)) * offset, labels)
    ax.set_xlabel("time (s)")
    return ax


def plot_trial_frames(movie, n: int = 6, fps: float | None = None):
    """``n`` evenly spaced frames of a trial movie (height x width x frames, uint8)."""
    idx = np.linspace(0, movie.shape[-1] - 1, n).astype(int)
    fig, axes = plt.subplots(1, n, figsize=(2.2 * n, 1.6))
    for ax, i in zip(np.atleast_1d(axes), idx):
        ax.imshow(movie[:, :, i], cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"{i / fps:.1f} s" if fps else f"frame {i}", fontsize=8)
        ax.axis("off")
    return fig


def plot_oracle_raster(raster, pearson: float | None = None, ax=None):
    """Oracle raster (repeats x clips x frames) as an image: repeats down, clips side by side."""
    ax = axes(ax, figsize=(10, 3))
    repeats, clips, frames = raster.shape
    ax.imshow(raster.reshape(repeats, clips * frames), aspect="auto", cmap="viridis", interpolation="nearest")
    for c in range(1, clips):
        ax.axvline(c * frames - 0.5, color="w", lw=1)
    ax.set_xlabel("oracle clips (frames)")
    ax.set_ylabel("repeat")
    if pearson is not None:
        ax.set_title(f"oracle pearson {pearson:.2f}")
    return ax


def plot_masks(masks, background=None, ax=None):
    """Outline of every mask (height x width x n_masks) over an optional background image."""
    ax = axes(ax, figsize=(4, 6))
    if background is not None:
        ax.imshow(background, cmap="gray")
    for i in range(masks.shape[-1]):
        mask = masks[..., i]
        if mask.max() > 0:
            ax.contour(mask, levels=[0.3 * mask.max()], linewidths=0.6, colors=[plt.cm.tab20(i % 20)])
    ax.axis("off")
    return ax
