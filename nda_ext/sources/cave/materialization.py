"""Opening the EM source a :class:`~nda_ext.schemas.em.Materialization` row names.

Live CAVE sources obtain their client through :func:`nda_ext.sources.cave.get_client` (deployments and
tests install their own factory with :func:`nda_ext.sources.cave.set_client_factory`); snapshot
folders are read by :class:`~nda_ext.sources.cave.SnapshotSource`. The retry policy of every
import (whole-table reads and synapse chunks) is set process-wide with :func:`set_retry_policy`.
"""

from __future__ import annotations

from pathlib import Path

from nda_ext.sources import cave
from nda_ext.sources.cave import tables as ct

_retry = cave.RetryPolicy()


def set_retry_policy(policy: cave.RetryPolicy | None) -> cave.RetryPolicy:
    """Install the retry policy em imports use (None restores the default); returns the previous one."""
    global _retry
    if policy is not None and not isinstance(policy, cave.RetryPolicy):
        raise TypeError(f"policy must be a nda_ext.sources.cave.RetryPolicy, got {policy!r}")
    previous, _retry = _retry, cave.RetryPolicy() if policy is None else policy
    return previous


def retry_policy() -> cave.RetryPolicy:
    """The retry policy em imports use."""
    return _retry


def as_source(source, version: int) -> cave.EmSource:
    """An EM source for ``version`` from what a user passes to ``import_version``.

    Args:
        source: None (live CAVE, ``minnie65_public``), an :class:`~nda_ext.sources.cave.EmSource`, or a
            snapshot folder (str or Path).
        version: materialization version the source must hold.

    Raises:
        ValueError: the source holds another version.
        TypeError: ``source`` is of another type.
    """
    if source is None:
        source = cave.CaveSource(cave.DEFAULT_DATASTACK, version, retry=_retry)
    elif isinstance(source, (str, Path)):
        source = cave.SnapshotSource(source, mat_version=version)
    elif not isinstance(source, cave.EmSource):
        raise TypeError(f"source must be None, a snapshot folder or an EmSource, got {source!r}")
    if int(source.mat_version) != int(version):
        raise ValueError(f"source {source!r} holds materialization {source.mat_version}, expected {version}")
    return source


def materialization_row(source: cave.EmSource) -> dict:
    """The ``Materialization`` row describing ``source`` (provenance and how to reopen it)."""
    path = str(Path(source.path).resolve()) if isinstance(source, cave.SnapshotSource) else ""
    return {"mat_version": int(source.mat_version), "datastack": source.datastack,
            "timestamp": source.timestamp or "", "source_kind": source.source, "source_path": path,
            "client_version": source.client_version, "voxel_x": ct.VOXEL_RESOLUTION[0],
            "voxel_y": ct.VOXEL_RESOLUTION[1], "voxel_z": ct.VOXEL_RESOLUTION[2]}


def open_source(row: dict) -> cave.EmSource:
    """Reopen the source of a ``Materialization`` row.

    Raises:
        ValueError: unknown ``source_kind`` or a voxel resolution other than 4 x 4 x 40 nm.
    """
    resolution = (row["voxel_x"], row["voxel_y"], row["voxel_z"])
    if tuple(map(float, resolution)) != ct.VOXEL_RESOLUTION:
        raise ValueError(f"materialization {row['mat_version']}: voxel resolution {resolution}, "
                         f"expected {ct.VOXEL_RESOLUTION}")
    if row["source_kind"] == "snapshot":
        return cave.SnapshotSource(row["source_path"], datastack=row["datastack"], mat_version=row["mat_version"])
    if row["source_kind"] == "cave":
        return cave.CaveSource(row["datastack"], int(row["mat_version"]), retry=_retry)
    raise ValueError(f"materialization {row['mat_version']}: source_kind must be 'cave' or 'snapshot', "
                     f"got {row['source_kind']!r}")
