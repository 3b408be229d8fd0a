"""Per-import summaries of one CAVE table read (the master rows of the ``em`` imports) and key de-duplication."""

from __future__ import annotations

import logging

import pandas as pd

logger = logging.getLogger(__name__)


def table_summary(method: str, frame: pd.DataFrame, table: str) -> dict:
    """Counts stored on an em import's master row for ``frame`` read by source ``method`` from ``table``.

    ``nuclei``: detections, nuclei on root 0 and nuclei sharing a root (multi-soma objects); ``proofreading``:
    roots; ``brain_areas`` / ``cell_types``: cells; ``coregistration``: matches; ``functional_properties``: units.
    """
    if method == "nuclei":
        roots = frame["pt_root_id"]
        shared = roots.duplicated(keep=False) & (roots != 0)
        return {"cave_table": table, "n_nuclei": len(frame), "n_zero_root": int((roots == 0).sum()),
                "n_multisoma": int(shared.sum())}
    if method == "proofreading":
        return {"cave_table": table, "n_roots": len(frame)}
    if method == "brain_areas":
        return {"cave_table": table, "n_cells": len(frame)}
    if method == "cell_types":
        return {"n_cells": len(frame)}
    if method == "coregistration":
        return {"n_matches": len(frame)}
    return {"n_units": len(frame)}


def unique_rows(frame: pd.DataFrame, keys: list[str], table: str) -> pd.DataFrame:
    """``frame`` with one row per ``keys`` (the last of each repeat kept, with a warning naming ``table``)."""
    duplicated = frame.duplicated(keys, keep="last")
    if duplicated.any():
        logger.warning("%s: %d rows repeat a key %s; the last of each is kept", table, int(duplicated.sum()), keys)
    return frame[~duplicated].reset_index(drop=True)
