"""Snapshot folders as an EM source: one file per CAVE table, no network.

Two layouts are read:

* the demo/nda_ext snapshot written by :func:`nda_ext.sources.demo.em_snapshot.write_snapshot`:
  ``manifest.json`` (``datastack``, ``mat_version``, ``timestamp``, ``client_version``,
  ``voxel_resolution``, ``tables: {name: {"file": ...}}``) and ``<table>.feather`` files holding
  what ``query_table(..., split_positions=True)`` returns (reference tables already joined);
* the public static dumps (docs/cave.md: "Static dumps"): ``<table>_merged.csv.gz`` or ``<table>.csv.gz`` with an
  optional headerless ``<stem>_header.csv`` (column, type), synapses in
  ``synapses_pni_2_v1_filtered_view.csv.gz``; the version comes from ``mat_version=`` or a
  ``v<N>`` folder name. Positions given as one text column (``"POINT Z (x y z)"``, ``"[x, y, z]"``)
  are split; reference tables lacking the nucleus columns are joined to ``nucleus_detection_v0``
  as CAVE does (suffix ``_ref`` on clashing nucleus columns).

Positions must be in voxels of 4 x 4 x 40 nm (the dumps' native resolution).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as parquet

from nda_ext.sources.cave import tables as ct
from nda_ext.sources.cave.base import EmSource
from nda_ext.sources.cave.synapses import root_id_set, select_synapses

MANIFEST = "manifest.json"
_NUMBER = r"\s*(-?[\d.]+(?:[eE][-+]?\d+)?)\s*"
_POINT = re.compile(_NUMBER + r"[ ,]" + _NUMBER + r"[ ,]" + _NUMBER)
_CSV_CHUNK_ROWS = 2_000_000


def table_file_candidates(table: str) -> list[str]:
    """File names tried for ``table`` in a folder without a manifest entry, in order."""
    names = [f"{table}.feather", f"{table}.parquet", f"{table}_merged.csv.gz", f"{table}.csv.gz", f"{table}.csv"]
    if table == ct.SYNAPSE_TABLE:
        names.append(f"{table}_v1_filtered_view.csv.gz")
    return names


def _stem(path: Path) -> str:
    return re.sub(r"\.csv(\.gz)?$", "", path.name)


def _csv_names(path: Path) -> list[str] | None:
    header = path.with_name(_stem(path) + "_header.csv")
    if not header.exists():
        return None
    return pd.read_csv(header, header=None)[0].astype(str).str.strip().tolist()


def split_position_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Split text position columns (``pt_position`` etc.) into ``_x/_y/_z`` float columns."""
    for column in [c for c in frame.columns if c.endswith("position") and frame[c].dtype == object]:
        xyz = frame[column].astype(str).str.extract(_POINT).astype(np.float64)
        if xyz.isna().any().any():
            bad = frame.loc[xyz.isna().any(axis=1), column].iloc[0]
            raise ValueError(f"column {column!r}: cannot read a 3-D point from {bad!r}")
        for i, axis in enumerate("xyz"):
            frame[f"{column}_{axis}"] = xyz[i].to_numpy()
        frame = frame.drop(columns=column)
    return frame


class SnapshotSource(EmSource):
    """A snapshot folder answering the same methods as :class:`~nda_ext.sources.cave.CaveSource`.

    Args:
        path: the folder.
        datastack: datastack name (default: the manifest's, else ``"minnie65_public"``).
        mat_version: materialization version (default: the manifest's, else a ``v<N>`` folder name).

    Raises:
        FileNotFoundError: ``path`` is not a folder.
        ValueError: no version can be determined, or the manifest's voxel resolution is not 4 x 4 x 40 nm.
    """

    source = "snapshot"

    def __init__(self, path, *, datastack: str | None = None, mat_version: int | None = None):
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"snapshot folder {self.path} does not exist")
        manifest_file = self.path / MANIFEST
        self.manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
        folder_version = re.fullmatch(r"v(\d+)", self.path.name)
        version = mat_version or self.manifest.get("mat_version") or (folder_version and folder_version.group(1))
        if not version:
            raise ValueError(f"snapshot {self.path}: pass mat_version= (no {MANIFEST} and no v<N> folder name)")
        resolution = self.manifest.get("voxel_resolution", list(ct.VOXEL_RESOLUTION))
        if [float(r) for r in resolution] != list(ct.VOXEL_RESOLUTION):
            raise ValueError(f"snapshot {self.path}: voxel_resolution {resolution}, "
                             f"expected {list(ct.VOXEL_RESOLUTION)}")
        self.mat_version = int(version)
        self.datastack = datastack or self.manifest.get("datastack", "minnie65_public")
        self.timestamp = self.manifest.get("timestamp")
        self.client_version = self.manifest.get("client_version", "static dump")

    def __repr__(self) -> str:
        return f"SnapshotSource({str(self.path)!r}, mat_version={self.mat_version})"

    def table_file(self, table: str) -> Path:
        """The file holding ``table``.

        Raises:
            FileNotFoundError: naming the table, the folder and the names tried.
        """
        entry = self.manifest.get("tables", {}).get(table)
        names = [entry["file"]] if entry else table_file_candidates(table)
        for name in names:
            if (self.path / name).exists():
                return self.path / name
        raise FileNotFoundError(f"snapshot {self.path} has no file for table {table!r} (tried {names})")

    def _read_file(self, table: str, columns: list[str] | None = None, row_filter=None) -> pd.DataFrame:
        """Read a table file; ``row_filter(pyarrow.Table | DataFrame) -> bool mask`` selects rows."""
        file = self.table_file(table)
        if file.suffix in (".feather", ".parquet"):
            reader = feather.read_table if file.suffix == ".feather" else parquet.read_table
            data = reader(str(file), columns=columns)
            if row_filter is not None:
                data = data.filter(row_filter(data))
            return data.to_pandas()
        names = _csv_names(file)
        wanted = None if columns is None else set(columns) | {c.rsplit("_", 1)[0] for c in columns}
        reader = pd.read_csv(file, header=None if names else "infer", names=names, chunksize=_CSV_CHUNK_ROWS,
                             usecols=None if wanted is None else (lambda c: c in wanted))
        parts = [split_position_columns(part) for part in reader]
        parts = [part[row_filter(part)] for part in parts] if row_filter is not None else parts
        return pd.concat(parts, ignore_index=True)

    def read_raw(self, table: str) -> pd.DataFrame:
        """Whole ``table``; a reference table without nucleus columns is joined to the nucleus table."""
        frame = self._read_file(table)
        if "target_id" in frame.columns and "pt_root_id" not in frame.columns:
            nuclei = self._read_file(ct.NUCLEUS_TABLE)
            frame = ct.join_reference(frame, nuclei)
        return frame

    def synapses(self, pre_root_ids, post_root_ids, *, chunk_size: int = 500, store=None, retry=None,
                 remove_autapses: bool = True, progress: bool = False) -> pd.DataFrame:
        """Every synapse from ``pre_root_ids`` onto ``post_root_ids``, read from the file in one pass.

        Same frame and exclusions as :meth:`EmSource.synapses` (root id 0 never matches, autapses
        dropped when asked); ``chunk_size``, ``store``, ``retry`` and ``progress`` have nothing to
        do offline and are accepted for interface compatibility.
        """
        pre, post = root_id_set(pre_root_ids, "pre_root_ids"), root_id_set(post_root_ids, "post_root_ids")
        columns = list(ct.SYNAPSES.columns)

        def in_sets(data):
            if isinstance(data, pa.Table):
                return pc.and_(pc.is_in(data["pre_pt_root_id"], pa.array(pre)),
                               pc.is_in(data["post_pt_root_id"], pa.array(post)))
            return data["pre_pt_root_id"].isin(pre) & data["post_pt_root_id"].isin(post)

        raw = self._read_file(self.synapse_table, columns, in_sets)
        frame = select_synapses(ct.normalize(raw, ct.SYNAPSES, self.synapse_table), pre, post, remove_autapses)
        return self._finish(frame, self.synapse_table)
