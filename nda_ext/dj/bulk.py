"""Fast bulk insert of a DataFrame into a DataJoint-declared table of scalar columns.

PostgreSQL: ``COPY ... FROM STDIN`` (CSV written by pyarrow; NaN/None = NULL); MySQL/MariaDB: the driver's
``executemany`` (which batches
rows into multi-row ``INSERT`` statements). Both run on DataJoint's own connection, so inside a make
they are part of its transaction (all rows or none). Only for tables without blob or JSON columns;
the frame must hold every non-nullable attribute (extra columns are ignored).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv

MYSQL_BATCH_ROWS = 50_000


def _columns(table, frame: pd.DataFrame) -> list[str]:
    heading = table.heading
    blobs = [name for name in heading.names if heading.attributes[name].is_blob]
    if blobs:
        raise TypeError(f"{table.full_table_name}: fast_insert takes scalar columns only; blob column(s) {blobs}")
    missing = [name for name in heading.names
               if name not in frame.columns and not heading.attributes[name].nullable]
    if missing:
        raise KeyError(f"{table.full_table_name}: frame lacks column(s) {missing}; got {list(frame.columns)}")
    return [name for name in heading.names if name in frame.columns]


def _copy_postgres(connection, table, frame: pd.DataFrame, columns: list[str]) -> None:
    quote = connection.adapter.quote_identifier
    buffer = io.BytesIO()
    csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), buffer, csv.WriteOptions(include_header=False))
    buffer.seek(0)
    sql = f"COPY {table.full_table_name} ({', '.join(quote(c) for c in columns)}) FROM STDIN WITH (FORMAT csv)"
    with connection._conn.cursor() as cursor:
        cursor.copy_expert(sql, buffer)


def _executemany_mysql(connection, table, frame: pd.DataFrame, columns: list[str]) -> None:
    quote = connection.adapter.quote_identifier
    sql = (f"INSERT INTO {table.full_table_name} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    values = frame.astype(object).where(frame.notna(), None).to_numpy(object)
    with connection._conn.cursor() as cursor:
        for start in range(0, len(values), MYSQL_BATCH_ROWS):
            cursor.executemany(sql, values[start:start + MYSQL_BATCH_ROWS].tolist())


def fast_insert(table, frame: pd.DataFrame) -> int:
    """Insert the rows of ``frame`` into ``table`` through the driver's bulk path; returns the row count.

    Args:
        table: a DataJoint table (class or instance) whose attributes are all scalar.
        frame: one row per table row, columns named as the attributes (bool, int, float, str; NaN = NULL).

    Raises:
        KeyError: a non-nullable attribute is missing from ``frame``.
        TypeError: the table has blob columns.
    """
    table = table() if isinstance(table, type) else table
    if frame.empty:
        return 0
    columns = _columns(table, frame)
    frame = frame[columns]
    bools = [c for c in columns if frame[c].dtype == bool]
    if bools:
        frame = frame.astype({c: np.int8 for c in bools})
    connection = table.connection
    if connection.adapter.backend == "postgresql":
        _copy_postgres(connection, table, frame, columns)
    else:
        _executemany_mysql(connection, table, frame, columns)
    return len(frame)
