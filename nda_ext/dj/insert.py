"""Bulk inserts sized by bytes, so blob-heavy rows never exceed a server's packet limit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import contextmanager

import numpy as np

#: Bytes per INSERT statement: below MySQL's 64 MB default packet, large enough to amortise round trips.
TARGET_STATEMENT_BYTES = 32 << 20
MAX_CHUNK_ROWS = 10_000


def row_nbytes(row: Mapping) -> int:
    """Approximate serialised size of one row in bytes (arrays by nbytes, everything else 16 bytes)."""
    size = 0
    for value in row.values():
        if isinstance(value, np.ndarray):
            size += value.nbytes
        elif isinstance(value, (bytes, str)):
            size += len(value)
        else:
            size += 16
    return size


def chunk_rows(rows: list[Mapping]) -> int:
    """Rows per statement so one statement holds about :data:`TARGET_STATEMENT_BYTES`."""
    if not rows:
        return 1
    sample = rows[: min(len(rows), 20)]
    per_row = max(1, max(row_nbytes(row) for row in sample))
    return int(max(1, min(MAX_CHUNK_ROWS, TARGET_STATEMENT_BYTES // per_row)))


def bulk_insert(table, rows: Iterable[Mapping], **insert_kwargs) -> int:
    """Insert ``rows`` into ``table`` with a byte-sized ``chunk_size``; returns the number of rows.

    Call inside ``connection.transaction`` (or a make) for all-or-nothing semantics: chunks are separate
    statements of the same transaction.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    if rows:
        table.insert(rows, chunk_size=chunk_rows(rows), **insert_kwargs)
    return len(rows)


@contextmanager
def atomic(connection):
    """A transaction on ``connection``, or nothing when one is already open (the outer one decides)."""
    if connection.in_transaction:
        yield connection
        return
    with connection.transaction:
        yield connection
