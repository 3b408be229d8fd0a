"""A :class:`~nda_ext.sources.cave.progress.ProgressStore` on the ``em.SynapseChunk`` table.

Completed synapse chunks of a cell set are inserted as they finish (outside the make's transaction),
so a failed ``Connectivity`` make leaves them behind and the next attempt fetches only the rest.
Chunks are keyed by content hashes of their id lists, and the downloader keeps only rows of the
requested id sets, so rows of other downloads can never leak into a result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nda_ext.sources.cave.synapses import empty_synapses

ID_COLUMNS = ["synapse_id", "pre_pt_root_id", "post_pt_root_id"]
VALUE_COLUMNS = ["size", "ctr_pt_position_x", "ctr_pt_position_y", "ctr_pt_position_z"]


class TableProgressStore:
    """Chunks of one cell set in ``em.SynapseChunk``.

    Args:
        table: the ``SynapseChunk`` table (class or instance).
        key: the cell set's primary key (``mat_version``, ``cell_set``).
    """

    def __init__(self, table, key: dict) -> None:
        self.table = table() if isinstance(table, type) else table
        self.key = {k: key[k] for k in ("mat_version", "cell_set")}

    def done(self, chunk_id: str) -> bool:
        return bool(self.table & dict(self.key, chunk_id=chunk_id))

    def record(self, chunk_id: str, frame: pd.DataFrame) -> None:
        self.table.insert1(dict(self.key, chunk_id=chunk_id, n_rows=len(frame),
                                ids=frame[ID_COLUMNS].to_numpy(np.int64).reshape(-1, len(ID_COLUMNS)),
                                values=frame[VALUE_COLUMNS].to_numpy(np.float64).reshape(-1, len(VALUE_COLUMNS))))

    def load_all(self) -> pd.DataFrame:
        ids, values = (self.table & self.key).to_arrays("ids", "values")
        if not len(ids):
            return empty_synapses()
        frame = pd.DataFrame(np.concatenate(list(ids)), columns=ID_COLUMNS)
        frame[VALUE_COLUMNS] = np.concatenate(list(values))
        return frame

    def __len__(self) -> int:
        return len(self.table & self.key)
