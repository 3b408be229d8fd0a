"""A legacy-shaped nda schema, declared and filled the way DataJoint 0.12 did it (for tests and local trials).

The real ``microns_phase3_nda`` was declared by DataJoint 0.12.9 on MySQL: native column types (``smallint``,
``int unsigned``, ``decimal``, ``longblob``), attribute comments without DataJoint 2 ``:type:`` tags, table names
in DataJoint 0.12 tier form (Manual ``scan``, Lookup ``#scan_include``), foreign keys ``ON UPDATE CASCADE ON DELETE
RESTRICT`` and blobs serialised in DataJoint's legacy formats (``mYm`` arrays, ``dj0`` dicts, ``ZL123``
zlib-compressed). :func:`legacy_ddl` writes that DDL from the table specification of ``nda_v8_tables.json``;
:func:`fill_legacy_schema` inserts rows (e.g. the demo generator's) with raw SQL, blobs packed by ``dj.blob.pack``.
Nothing here uses DataJoint 2 declarations, so the result is what DataJoint 2 meets on a real nda server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from nda_ext.sources.mirror import INSERT_ORDER

#: DataJoint 0.12 table-name prefixes per tier.
TIER_PREFIX = {"Manual": "", "Lookup": "#", "Imported": "_", "Computed": "__"}
BLOB_TYPES = ("longblob", "blob", "mediumblob", "tinyblob")
#: Tables in an order that satisfies every foreign key of the legacy schema (the mirror's order minus Condition).
LEGACY_ORDER = tuple(name for name in INSERT_ORDER if name != "Condition")


def table_name(class_name: str, tier: str) -> str:
    """DataJoint 0.12 table name of a class: tier prefix + snake_case (``ScanInclude`` Lookup -> ``#scan_include``)."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    return TIER_PREFIX[tier] + snake


def _comment(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')[:255]


def _primary_key(spec: Mapping, name: str) -> list[str]:
    return [attr for attr, _type in spec[name]["primary_key"]]


def legacy_ddl(schema_name: str, spec: Mapping) -> list[str]:
    """``CREATE TABLE`` statements for every table of ``spec`` in foreign-key order, as DataJoint 0.12 emits them.

    Args:
        schema_name: MySQL database (schema) name, e.g. ``microns_phase3_nda``.
        spec: ``{ClassName: {"tier", "primary_key": [[attr, type]], "secondary": [[attr, type, nullable]],
            "parents": [ClassName], "comment"}}`` (the layout of ``nda_v8_tables.json``).

    Returns:
        SQL statements; the first creates the database.
    """
    statements = [f"CREATE DATABASE IF NOT EXISTS `{schema_name}`"]
    for name in LEGACY_ORDER:
        table = spec[name]
        columns = [f"`{attr}` {sql_type} NOT NULL COMMENT \"\"" for attr, sql_type in table["primary_key"]]
        for attr, sql_type, nullable in table["secondary"]:
            null = "DEFAULT NULL" if nullable else "NOT NULL"
            columns.append(f"`{attr}` {sql_type} {null} COMMENT \"\"")
        keys = [f"PRIMARY KEY ({', '.join(f'`{a}`' for a in _primary_key(spec, name))})"]
        for parent in table["parents"]:
            referenced = _primary_key(spec, parent)
            attrs = ", ".join(f"`{a}`" for a in referenced)
            parent_table = table_name(parent, spec[parent]['tier'])
            keys.append(f"FOREIGN KEY ({attrs}) REFERENCES `{schema_name}`.`{parent_table}` "
                        f"({attrs}) ON UPDATE CASCADE ON DELETE RESTRICT")
        body = ",\n".join(columns + keys)
        full_name = f"`{schema_name}`.`{table_name(name, table['tier'])}`"
        statements.append(f"CREATE TABLE IF NOT EXISTS {full_name} (\n{body}\n) "
                          f"ENGINE=InnoDB, COMMENT \"{_comment(table['comment'])}\"")
    return statements


def legacy_value(value, sql_type: str, compress: bool = True):
    """A Python value as DataJoint 0.12 stored it: blobs packed (``mYm``/``dj0``/``ZL123``), numpy scalars unwrapped."""
    from datajoint import blob

    if sql_type in BLOB_TYPES:
        return None if value is None else blob.pack(value, compress=compress)
    return value.item() if isinstance(value, np.generic) else value


def fill_legacy_schema(connection, schema_name: str, spec: Mapping, tables: Mapping[str, list[Mapping]],
                       *, batch_rows: int = 200) -> dict[str, int]:
    """Insert ``{ClassName: rows}`` into a schema made by :func:`legacy_ddl`, with raw SQL (pymysql).

    Args:
        connection: an open ``pymysql`` connection with INSERT rights on ``schema_name``.
        schema_name: the legacy schema.
        spec: the table specification used for the DDL.
        tables: rows per table with nda v8 attribute names (blobs as numpy arrays / dicts).
        batch_rows: rows per ``executemany`` statement.

    Returns:
        Rows inserted per table.
    """
    counts = {}
    with connection.cursor() as cursor:
        for name in LEGACY_ORDER:
            rows = tables.get(name) or []
            if not rows:
                continue
            table = spec[name]
            typed = [*table["primary_key"], *[(a, t) for a, t, _ in table["secondary"]]]
            names = ", ".join(f"`{a}`" for a, _ in typed)
            sql = (f"INSERT INTO `{schema_name}`.`{table_name(name, table['tier'])}` ({names}) "
                   f"VALUES ({', '.join(['%s'] * len(typed))})")
            for start in range(0, len(rows), batch_rows):
                batch = rows[start:start + batch_rows]
                cursor.executemany(sql, [tuple(legacy_value(row.get(a), t) for a, t in typed) for row in batch])
            counts[name] = len(rows)
    connection.commit()
    return counts
