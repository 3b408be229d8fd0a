"""Make glue of the per-table ``em`` imports: read one CAVE table from the materialization's source, insert it.

Each table import is a three-part make: ``make_fetch`` reads the ``Materialization`` row (and the chosen
CAVE table), ``make_compute`` reads the table from the source outside the transaction (network
failures raise there and fail the make, recorded in the jobs table), ``make_insert`` inserts the master
row and all part rows in the make's transaction (:func:`~nda_ext.dj.bulk.fast_insert`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nda_ext.compute.em.summaries import table_summary, unique_rows
from nda_ext.compute.unit_keys import UNIT_KEY
from nda_ext.dj.bulk import fast_insert
from nda_ext.dj.make import FingerprintedMake
from nda_ext.schemas import nda  # rebound by activate(nda=...)
from nda_ext.schemas.em.materialization import CaveTable, Materialization, TableSelection
from nda_ext.sources.cave import tables as ct
from nda_ext.sources.cave.materialization import open_source


@dataclass(frozen=True)
class TableSpec:
    """How an em table is filled.

    Attributes:
        method: the :class:`~nda_ext.sources.cave.EmSource` method that reads the table.
        part: name of the part table that receives the rows.
        cave_table: fixed CAVE table; None when the key's ``cave_table`` chooses it.
    """

    method: str
    part: str
    cave_table: str | None = None


def selected(kind: str) -> property:
    """``key_source`` property: the ``TableSelection`` rows whose CAVE table is of ``kind``."""
    return property(lambda self: TableSelection & (CaveTable & {"kind": kind}))


def materialization_of(key: dict) -> dict:
    """The ``Materialization`` row of ``key['mat_version']``."""
    return (Materialization & {"mat_version": key["mat_version"]}).fetch1()


class SourceImport(FingerprintedMake):
    """Three-part make of a table imported from one CAVE table of a materialization (the class's ``spec``)."""

    def make_fetch(self, key):
        """The materialization row and the CAVE table to read."""
        return materialization_of(key), self.spec.cave_table or key["cave_table"]

    def make_compute(self, key, materialization, table):
        """Read the table from the source; returns (master row, part rows)."""
        frame = getattr(open_source(materialization), self.spec.method)(table)
        part = getattr(self, self.spec.part)
        frame = unique_rows(frame, [k for k in part.primary_key if k not in self.primary_key], table)
        summary = table_summary(self.spec.method, frame, table)
        if self.spec.method == "functional_properties":
            summary["angle_convention"] = ct.angle_convention(table)
        return dict(key, **summary), frame.assign(**key)

    def make_insert(self, key, master, rows):
        """Insert the master row and every part row (one transaction)."""
        self.insert1(master)
        fast_insert(getattr(self, self.spec.part)(), rows)


class CoregistrationImport(SourceImport):
    """:class:`SourceImport` that also inserts ``Unit`` rows for the matches whose unit is in the nda mirror."""

    def make_insert(self, key, master, rows):
        """Insert matches and, for matches whose unit is in the nda mirror, ``Unit`` rows."""
        unit_keys = list(UNIT_KEY)
        scans = rows[["session", "scan_idx"]].drop_duplicates().to_dict("records")
        present = pd.DataFrame(dict(zip(unit_keys, (nda.ScanUnit & scans).to_arrays(*unit_keys)))).astype(np.int64)
        in_nda = rows.merge(present, on=unit_keys)
        self.insert1(dict(master, n_in_nda=len(in_nda)))
        fast_insert(self.Match(), rows)
        fast_insert(self.Unit(), in_nda)
