"""Progress stores for chunked downloads: completed chunks survive an interruption.

A store is anything with the three methods of :class:`ProgressStore`. The synapse downloader
asks ``done(chunk_id)`` before fetching a chunk and calls ``record(chunk_id, frame)`` once the
chunk is complete; ``load_all()`` returns every recorded frame concatenated. The em schema keeps
its own DataJoint-backed store; these two cover notebooks, the CLI and tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as parquet


@runtime_checkable
class ProgressStore(Protocol):
    """Where completed chunks of a download are kept."""

    def done(self, chunk_id: str) -> bool:
        """Whether ``chunk_id`` was recorded."""

    def record(self, chunk_id: str, frame: pd.DataFrame) -> None:
        """Keep the complete rows of ``chunk_id`` (may be empty)."""

    def load_all(self) -> pd.DataFrame:
        """All recorded rows, concatenated (empty frame when nothing was recorded)."""


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


class InMemoryProgressStore:
    """Keeps chunks in a dict (lost with the process; for tests and one-shot downloads)."""

    def __init__(self) -> None:
        self.frames: dict[str, pd.DataFrame] = {}

    def done(self, chunk_id: str) -> bool:
        return chunk_id in self.frames

    def record(self, chunk_id: str, frame: pd.DataFrame) -> None:
        self.frames[chunk_id] = frame.reset_index(drop=True)

    def load_all(self) -> pd.DataFrame:
        return _concat(list(self.frames.values()))


class DirectoryProgressStore:
    """One file per chunk in a directory (``<chunk_id>.feather`` or ``.parquet``).

    A chunk file is written to a temporary name and renamed, so an interruption never leaves a
    half-written chunk that would count as done.

    Args:
        path: directory (created if missing).
        file_format: ``"feather"`` (Arrow IPC, fastest) or ``"parquet"``.
    """

    _FORMATS = {"feather": (feather.write_feather, feather.read_table),
                "parquet": (parquet.write_table, parquet.read_table)}

    def __init__(self, path, file_format: str = "feather") -> None:
        if file_format not in self._FORMATS:
            raise ValueError(f"file_format must be one of {sorted(self._FORMATS)}, got {file_format!r}")
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.suffix = "." + file_format
        self._write, self._read = self._FORMATS[file_format]

    def _file(self, chunk_id: str) -> Path:
        if not chunk_id or "/" in chunk_id or os.sep in chunk_id:
            raise ValueError(f"chunk_id must be a non-empty file-name-safe string, got {chunk_id!r}")
        return self.path / (chunk_id + self.suffix)

    def done(self, chunk_id: str) -> bool:
        return self._file(chunk_id).exists()

    def record(self, chunk_id: str, frame: pd.DataFrame) -> None:
        target = self._file(chunk_id)
        tmp = target.with_name(target.name + ".tmp")
        self._write(pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False), str(tmp))
        os.replace(tmp, target)

    def load_all(self) -> pd.DataFrame:
        files = sorted(self.path.glob("*" + self.suffix))
        return _concat([self._read(str(f)).to_pandas() for f in files])
