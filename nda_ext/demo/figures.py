"""Figures saved by ``nda-ext demo``: one PNG per result a person would rather look at than read.

Each figure is closed once saved. The backend is matplotlib's choice (Agg where there is no display); this
module does not switch it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from nda_ext.plot.tuning import plot_pref_ori_histogram, plot_quality_distribution
from nda_ext.tuning.results import plot_unit_tuning, unit_tuning


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


def connectome_figures(schemas: dict, folder: Path, mat_version: int) -> list[Path]:
    """Connectivity matrix of the functionally matched cells, sorted by preferred orientation, and like-to-like."""
    from nda_ext import em
    from nda_ext.plot.connectivity import plot_connectivity_matrix, plot_like_to_like

    cells = em.filter_neurons(em.unit_table(mat_version, functional="best_only", schemas=schemas), tuning="matched")
    edges = em.connectivity(mat_version, pre=cells, post=cells, schemas=schemas)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    plot_connectivity_matrix(cells, edges, sort_by="pref_ori", ax=axes[0])
    plot_like_to_like(cells, edges, ax=axes[1])
    return [_save(fig, folder, "connectivity.png")]


def twin_figures(schemas: dict, folder: Path, model: str) -> list[Path]:
    """Prediction vs recording of the best-predicted unit and the cc_norm distribution of ``model``."""
    from nda_ext.plot.twin import cc_norm_distribution, prediction_trace
    from nda_ext.twin import properties
    from nda_ext.twin.views import oracle_prediction

    props = properties(model, schemas=schemas)
    ax = cc_norm_distribution(props.cc_norm.to_numpy())
    saved = [_save(ax.figure, folder, "twin_cc_norm.png")]
    best = props.sort_values("cc_norm", ascending=False).iloc[0]
    traces = oracle_prediction(model, best.to_dict(), schemas=schemas)
    ax = prediction_trace(traces["recorded"].mean(axis=0), traces["predicted"], traces["fps"],
                          unit_id=int(best.unit_id), cc=best.cc_abs)
    saved.append(_save(ax.figure, folder, "twin_prediction.png"))
    return saved


def demo_figures(schemas: dict, folder: Path, *, mat_version: int | None = None,
                 model: str | None = None) -> list[Path]:
    """Every figure the demo can draw from what is populated; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = tuning_figures(schemas, folder)
    if mat_version is not None:
        saved += connectome_figures(schemas, folder, mat_version)
    if model is not None:
        saved += twin_figures(schemas, folder, model)
    return saved
