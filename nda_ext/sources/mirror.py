"""Validate and insert nda v8 rows into the mirror: all tables of a batch or none.

Every source that fills the mirror (demo generator, legacy nda copy, Sensorium import) hands its rows here as
``{table_name: rows}`` with the v8 attribute names.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from tqdm.auto import tqdm

from nda_ext.compute.unit_keys import scan_key
from nda_ext.dj.insert import atomic, bulk_insert

#: Mirror tables in an order that satisfies every foreign key.
INSERT_ORDER: tuple[str, ...] = (
    "Scan", "ScanInclude", "Field", "ScanTimes", "RasterCorrection", "MotionCorrection", "MeanIntensity",
    "SummaryImages", "Segmentation", "MaskClassification", "Fluorescence", "ScanUnit", "UnitHash", "Activity",
    "AreaMembership", "Oracle", "Stack", "Registration", "StackUnit", "Coregistration", "Stimulus", "Condition",
    "Trial", "Clip", "Monet2", "Trippy", "RawManualPupil", "ManualPupil", "RawTreadmill", "Treadmill",
)

#: Per-frame columns whose length must equal ``Scan.nframes`` of the row's scan.
FRAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "ScanTimes": ("frame_times",),
    "Fluorescence": ("trace",),
    "Activity": ("trace",),
    "MeanIntensity": ("intensities",),
    "ManualPupil": ("pupil_min_r", "pupil_maj_r", "pupil_x", "pupil_y"),
    "Treadmill": ("treadmill_velocity",),
}

#: Tables keyed by condition_hash: the same condition may arrive again with another scan.
SHARED_TABLES = ("Condition", "Clip", "Monet2", "Trippy")

STIMULUS_SHAPE = (90, 160)
STIMULUS_TYPES = ("stimulus.Clip", "stimulus.Monet2", "stimulus.Trippy")


class MirrorInputError(ValueError):
    """Rows that do not fit the nda v8 mirror; the message names the table, key and column."""


def _key_text(table: str, row: Mapping, primary_key: list[str]) -> str:
    return f"{table} {{{', '.join(f'{k}={row[k]!r}' for k in primary_key if k in row)}}}"


def validate(tables: Mapping[str, list[Mapping]], nframes: Mapping[tuple[int, int], int],
             primary_keys: Mapping[str, list[str]]) -> None:
    """Check shapes and lengths before anything is written.

    Args:
        tables: ``{table_name: rows}`` with nda v8 attribute names.
        nframes: ``Scan.nframes`` by (session, scan_idx), for the scans in ``tables`` and already in the mirror.
        primary_keys: Primary-key attribute names per table, used in error messages.

    Raises:
        MirrorInputError: Unknown table, per-frame vector of the wrong length, stimulus movie of the wrong shape
            or dtype, unknown trial type, or a scan that is neither inserted nor present.
    """
    unknown = set(tables) - set(INSERT_ORDER)
    if unknown:
        raise MirrorInputError(f"unknown nda tables {sorted(unknown)}; expected names from {INSERT_ORDER}")
    for table, columns in FRAME_COLUMNS.items():
        for row in tables.get(table, ()):
            expected = _nframes_of(row, nframes, table, primary_keys)
            for column in columns:
                length = np.asarray(row[column]).shape[-1:] or (1,)
                if np.asarray(row[column]).ndim != 1 or length[0] != expected:
                    raise MirrorInputError(
                        f"{_key_text(table, row, primary_keys[table])}: column {column!r} has shape "
                        f"{np.shape(row[column])}, expected ({expected},) = Scan.nframes")
    for row in tables.get("Stimulus", ()):
        expected = (*STIMULUS_SHAPE, _nframes_of(row, nframes, "Stimulus", primary_keys))
        movie = np.asarray(row["movie"])
        if movie.shape != expected or movie.dtype != np.uint8:
            raise MirrorInputError(
                f"{_key_text('Stimulus', row, primary_keys['Stimulus'])}: column 'movie' is {movie.dtype} "
                f"{movie.shape}, expected uint8 {expected} (height x width x Scan.nframes)")
    for row in tables.get("Trial", ()):
        if row["type"] not in STIMULUS_TYPES:
            raise MirrorInputError(f"{_key_text('Trial', row, primary_keys['Trial'])}: column 'type' is "
                                   f"{row['type']!r}, expected one of {STIMULUS_TYPES}")


def _nframes_of(row, nframes, table, primary_keys) -> int:
    try:
        return nframes[tuple(scan_key(row).values())]
    except KeyError:
        raise MirrorInputError(f"{_key_text(table, row, primary_keys[table])}: "
                               f"scan {tuple(scan_key(row).values())} is not in "
                               f"nda.Scan and not among the rows being inserted") from None


def conditions_of(tables: Mapping[str, list[Mapping]]) -> list[dict]:
    """``Condition`` rows for every condition_hash of Clip, Monet2, Trippy and Trial rows."""
    found = {}
    for table in ("Clip", "Monet2", "Trippy"):
        for row in tables.get(table, ()):
            found[row["condition_hash"]] = f"stimulus.{table}"
    for row in tables.get("Trial", ()):
        found.setdefault(row["condition_hash"], row["type"])
    return [{"condition_hash": h, "stimulus_type": t} for h, t in found.items()]


def insert_tables(nda, tables: Mapping[str, list[Mapping]], *, progress: bool = True,
                  skip_duplicates: bool = False) -> dict[str, int]:
    """Validate then insert ``tables`` into the mirror ``nda`` in one transaction.

    ``Condition`` rows are derived from the stimulus tables and trials. Returns rows inserted per table.
    """
    primary_keys = {name: getattr(nda, name)().primary_key for name in INSERT_ORDER}
    nframes = {tuple(scan_key(r).values()): int(r["nframes"]) for r in tables.get("Scan", ())}
    for key, value in zip(*nda.Scan().to_arrays("nframes", include_key=True)):
        nframes.setdefault(tuple(scan_key(key).values()), int(value))
    validate(tables, nframes, primary_keys)
    tables = dict(tables, Condition=conditions_of(tables))
    counts = {}
    names = [name for name in INSERT_ORDER if tables.get(name)]
    with atomic(nda.schema.connection):
        for name in tqdm(names, desc="insert nda", disable=not progress):
            shared = name in SHARED_TABLES  # conditions are shared between scans
            counts[name] = bulk_insert(getattr(nda, name)(), tables[name],
                                       skip_duplicates=skip_duplicates or shared)
    return counts
