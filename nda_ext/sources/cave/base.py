"""The interface shared by every EM source (live CAVE, snapshot folders).

A source answers the same questions with the same frames (see :mod:`nda_ext.sources.cave.tables`
for columns, units and conventions); subclasses only say how to read one raw table and how to
run one synapse query. Every frame carries provenance in ``df.attrs``: ``source``, ``datastack``,
``mat_version``, ``timestamp`` (ISO 8601, UTC), ``client_version``, ``table`` and
``voxel_resolution`` (nm per voxel, x/y/z).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nda_ext.sources.cave import tables as ct
from nda_ext.sources.cave.progress import ProgressStore
from nda_ext.sources.cave.synapses import RetryPolicy, download_synapses


class EmSource:
    """Base class: subclasses set the provenance fields and implement :meth:`read_raw`.

    Attributes:
        source: ``"cave"`` or ``"snapshot"``.
        datastack: CAVE datastack name, e.g. ``"minnie65_public"``.
        mat_version: materialization version (int).
        timestamp: ISO 8601 UTC timestamp of the materialization (str or None).
        client_version: what produced the data (e.g. ``"caveclient 8.2.1"``).
        synapse_table: name of the synapse table.
    """

    synapse_table: str = ct.SYNAPSE_TABLE
    source: str
    datastack: str
    mat_version: int
    timestamp: str | None
    client_version: str

    def read_raw(self, table: str) -> pd.DataFrame:
        """One whole table as CAVE's ``query_table`` returns it (split positions, voxels)."""
        raise NotImplementedError

    def fetch_synapses(self, pre: np.ndarray, post: np.ndarray) -> tuple[pd.DataFrame, bool]:
        """One synapse query: ``(rows, capped)`` with our synapse columns."""
        raise NotImplementedError

    @property
    def provenance(self) -> dict:
        """Provenance of this source (copied into every frame's ``attrs``)."""
        return {"source": self.source, "datastack": self.datastack, "mat_version": int(self.mat_version),
                "timestamp": self.timestamp, "client_version": self.client_version,
                "voxel_resolution": list(ct.VOXEL_RESOLUTION)}

    def _finish(self, frame: pd.DataFrame, table: str) -> pd.DataFrame:
        frame.attrs.update(self.provenance, table=table)
        return frame

    def _table(self, table: str, kind: ct.TableKind) -> pd.DataFrame:
        return self._finish(ct.normalize(self.read_raw(table), kind, table), table)

    def nuclei(self, table: str = ct.NUCLEUS_TABLE) -> pd.DataFrame:
        """Nucleus detections.

        Returns:
            ``nucleus_id`` (static across versions), ``pt_root_id`` (this version; 0 = not on a
            segment; shared by several nuclei for multi-soma objects), ``pt_position_x/_y/_z``
            (voxels, 4 x 4 x 40 nm), ``volume`` (µm³), ``pt_supervoxel_id`` when present.
        """
        return self._table(table, ct.NUCLEI)

    def cell_types(self, table: str = ct.CELL_TYPE_TABLE) -> pd.DataFrame:
        """Cell-type calls: ``nucleus_id, pt_root_id, classification_system, cell_type``."""
        return self._table(table, ct.CELL_TYPES)

    def proofreading(self, table: str = ct.PROOFREADING_TABLE) -> pd.DataFrame:
        """Proofreading status, keyed by root id (the table does not reference nuclei).

        Returns:
            ``pt_root_id, valid_id`` (root at assessment; differs when the cell changed since),
            ``status_dendrite, status_axon`` (bool), ``strategy_dendrite, strategy_axon`` (str),
            ``pt_position_x/_y/_z`` (voxels).
        """
        return self._table(table, ct.PROOFREADING)

    def brain_areas(self, table: str = ct.AREA_TABLE) -> pd.DataFrame:
        """Area assignment: ``nucleus_id, pt_root_id, brain_area`` (V1/AL/RL/LM, CAVE ``tag``),
        ``boundary_distance`` (µm to the nearest area boundary, CAVE ``value``)."""
        return self._table(table, ct.BRAIN_AREAS)

    def coregistration(self, table: str = ct.COREGISTRATION_TABLE) -> pd.DataFrame:
        """Functional-to-EM matches (manual or automatic coregistration tables).

        Returns:
            ``nucleus_id, pt_root_id, session, scan_idx, unit_id`` (the nda ScanUnit key),
            ``field``, ``residual`` (µm), ``score`` (separation score, µm; larger = more confident).
        """
        return self._table(table, ct.COREGISTRATION)

    def functional_properties(self, table: str = ct.FUNCTIONAL_TABLE) -> pd.DataFrame:
        """Functional properties of matched units, angles converted to our convention.

        Our convention: degrees, direction 0 = rightward motion, counter-clockwise positive;
        ``pref_ori`` in [0, 180), ``pref_dir`` in [0, 360). ``functional_properties_v3_bcm``
        (radians, 0 = horizontal bar moving up, clockwise) is converted with ``(90 - deg(x)) % 180``
        / ``% 360``; ``digital_twin_properties_bcm_*`` tables are already in our convention.

        Returns:
            ``nucleus_id, pt_root_id, session, scan_idx, unit_id, pref_ori, pref_dir, gosi, gdsi,
            cc_abs`` plus, where the table has them, ``osi, dsi, cc_max, cc_norm, readout_loc_x,
            readout_loc_y``.
        """
        return self._finish(ct.normalize_functional(self.read_raw(table), table), table)

    def synapses(
        self,
        pre_root_ids,
        post_root_ids,
        *,
        chunk_size: int = 500,
        store: ProgressStore | None = None,
        retry: RetryPolicy | None = None,
        remove_autapses: bool = True,
        progress: bool = False,
    ) -> pd.DataFrame:
        """Every synapse from ``pre_root_ids`` onto ``post_root_ids`` (see
        :func:`~nda_ext.sources.cave.synapses.download_synapses` for chunking, row-cap splitting,
        retries, resuming and the exclusion of root id 0).

        Returns:
            ``synapse_id, pre_pt_root_id, post_pt_root_id, size`` (PSD voxels),
            ``ctr_pt_position_x/_y/_z`` (voxels), sorted by ``synapse_id``.
        """
        frame = download_synapses(self.fetch_synapses, pre_root_ids, post_root_ids, chunk_size=chunk_size,
                                  store=store, retry=retry, remove_autapses=remove_autapses, progress=progress)
        return self._finish(frame, self.synapse_table)
