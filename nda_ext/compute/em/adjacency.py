"""Connectivity as matrices in unit-table order: ids remapped to 0..N-1, sparse adjacency, rates.

Orientation convention: ``A[i, j]`` is the connection from cell j (presynaptic) onto cell i
(postsynaptic), so with a rate matrix ``R`` (cells x time) in the same order the synaptic input of every
cell is one line: ``currents = A @ R``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp


def id_map(units: pd.DataFrame, id_column: str = "nucleus_id") -> pd.Series:
    """Position 0..N-1 of each id in unit-table order (Series indexed by id).

    Raises:
        ValueError: the ids repeat (e.g. a 'match' or 'all' unit table with several rows per cell).
    """
    ids = units[id_column]
    if ids.duplicated().any():
        raise ValueError(f"units has repeated {id_column} {ids[ids.duplicated()].unique()[:5].tolist()}: "
                         f"use one row per cell (functional='best_only' or drop_duplicates)")
    return pd.Series(np.arange(len(ids)), index=ids.to_numpy(), name="index")


def remap(units: pd.DataFrame, connections: pd.DataFrame, id_column: str = "nucleus_id"):
    """Units with ``index`` (0..N-1 in table order) and connections with ``pre_index`` / ``post_index``.

    Connections with a cell outside ``units`` are dropped (never mapped to None).
    """
    index = id_map(units, id_column)
    pre, post = connections[f"pre_{id_column}"], connections[f"post_{id_column}"]
    kept = connections[pre.isin(index.index) & post.isin(index.index)]
    kept = kept.assign(pre_index=index.reindex(kept[f"pre_{id_column}"]).to_numpy(),
                       post_index=index.reindex(kept[f"post_{id_column}"]).to_numpy())
    return units.assign(index=index.to_numpy()), kept


def adjacency_matrix(units: pd.DataFrame, connections: pd.DataFrame, weight: str | None = "n_synapses",
                     id_column: str = "nucleus_id") -> sp.csr_matrix:
    """Sparse (N, N) matrix, ``A[post, pre]`` = summed ``weight`` (1 per row when None), unit-table order."""
    _, kept = remap(units, connections, id_column)
    values = np.ones(len(kept)) if weight is None else kept[weight].to_numpy(np.float64)
    n = len(units)
    return sp.csr_matrix((values, (kept["post_index"].to_numpy(), kept["pre_index"].to_numpy())), shape=(n, n))


def rate_matrix(units: pd.DataFrame, traces: pd.DataFrame, n_samples: int | None = None) -> np.ndarray:
    """Rates (N, T) in unit-table order; cells without a trace get zeros.

    Args:
        units: one row per cell with ``session, scan_idx, unit_id`` (NA for unmatched cells).
        traces: ``session, scan_idx, unit_id, trace`` (1-D arrays of one scan, equal length).
        n_samples: length T when ``traces`` is empty.

    Raises:
        ValueError: traces of unequal length.
    """
    keys = ["session", "scan_idx", "unit_id"]
    lengths = {len(t) for t in traces["trace"]}
    if len(lengths) > 1:
        raise ValueError(f"traces must share one length (one scan), got lengths {sorted(lengths)[:5]}")
    length = lengths.pop() if lengths else int(n_samples or 0)
    rates = np.zeros((len(units), length))
    if len(traces):
        lookup = pd.Series(np.arange(len(traces)), index=pd.MultiIndex.from_frame(traces[keys].astype(np.int64)))
        unit_keys = units[keys].astype("Int64")
        valid = unit_keys.notna().all(axis=1).to_numpy()
        rows = lookup.reindex(pd.MultiIndex.from_frame(unit_keys[valid].astype(np.int64))).to_numpy()
        found = ~np.isnan(rows)
        stacked = np.stack(list(traces["trace"]))
        rates[np.flatnonzero(valid)[found]] = stacked[rows[found].astype(int)]
    return rates
