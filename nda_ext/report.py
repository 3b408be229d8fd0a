"""Figures saved by ``nda-ext demo``: one PNG per result a person would rather look at than read."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .plot.tuning import plot_pref_ori_histogram, plot_quality_distribution  # noqa: E402
from .tuning_results import plot_unit_tuning, unit_tuning  # noqa: E402


def _save(fig, folder: Path, name: str) -> Path:
    path = folder / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def tuning_figures(schemas: dict, folder: Path, n_examples: int = 3) -> list[Path]:
    """Example tuning curves (most selective units), pref_ori by area, oracle / cc_max distributions."""
    units = unit_tuning(schemas)
    if units.empty:
        return []
    saved = []
    best = units.sort_values("gosi", ascending=False).head(n_examples)
    for i, key in enumerate(best.reset_index()[["session", "scan_idx", "unit_id"]].to_dict("records")):
        saved.append(_save(plot_unit_tuning(schemas, key), folder, f"tuning_curve_{i + 1}.png"))
    tuned = units[units.gosi > 0.25].reset_index()
    ax = plot_pref_ori_histogram(tuned)
    ax.set_title("preferred orientation of units with gOSI > 0.25")
    saved.append(_save(ax.figure, folder, "pref_ori_by_area.png"))
    if "oracle" in units:
        ax = plot_quality_distribution(units.reset_index(), columns=("oracle", "oracle_cc_max"))
        saved.append(_save(ax.figure, folder, "oracle_distribution.png"))
    return saved


def demo_figures(schemas: dict, folder: Path) -> list[Path]:
    """Every figure the demo can draw from what is populated; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    return tuning_figures(schemas, folder)
