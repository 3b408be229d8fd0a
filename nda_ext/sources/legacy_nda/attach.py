"""Attach to a legacy (DataJoint 0.12) nda schema read-only, blobs and decimals decoded transparently.

A legacy nda schema (e.g. ``microns_phase3_nda`` on MySQL) was declared by DataJoint 0.12: native types,
``longblob`` columns holding ``mYm``/``dj0``/``ZL123`` blobs and comments without DataJoint 2 type tags.
:func:`attach` opens it as a ``dj.VirtualModule`` and, without touching the database, makes every blob column
decode with the ``<blob>`` codec and every ``decimal`` column come back as ``float`` (docs/datajoint2.md §10: the
heading entries of the module's own table classes are replaced; nothing else is affected). The module's tables
refuse every write (insert, delete, drop, update, alter), so a read-only account is enough and the legacy
tables are never altered. Legacy schemas have no ``~lineage`` table, so DataJoint 2 disables its semantic check
on joins there and ``Trial * Monet2`` joins on ``condition_hash`` as it does in nda (the lineage notices DataJoint
logs for this by design are filtered out of the ``datajoint`` logger for attached schemas).
"""

from __future__ import annotations

import logging
from decimal import Decimal

import datajoint as dj
from datajoint.codecs import get_codec

from nda_ext.sources.legacy_nda.schema import BLOB_TYPES, LEGACY_ORDER

#: The 29 nda v8 tables an attached schema must provide.
NDA_TABLES: tuple[str, ...] = LEGACY_ORDER
WRITE_METHODS = ("insert", "insert1", "insert_dataframe", "staged_insert1", "update1", "delete", "delete_quick",
                 "drop", "drop_quick", "alter")


#: DataJoint's notice on every join in a schema without ``~lineage``; expected (and silenced) for legacy nda.
LINEAGE_NOTICE = "Semantic check disabled: ~lineage table not found"


class _LegacyLineageNotices(logging.Filter):
    """Drops DataJoint's lineage notices that attached legacy schemas trigger by design: "semantic check
    disabled" on every join, and "Lineage for `<legacy schema>`... not found" when extension tables reference them."""

    def __init__(self):
        super().__init__()
        self.schemas: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return LINEAGE_NOTICE not in message and not any(f"Lineage for `{s}`." in message for s in self.schemas)


_NOTICES = _LegacyLineageNotices()


class LegacyReadOnlyError(dj.DataJointError):
    """A write was attempted on a table of an attached legacy nda schema."""


class LegacySchemaError(dj.DataJointError):
    """The named schema is missing or does not hold the nda v8 tables."""


class LegacyDecimalCodec(dj.Codec):
    """Read-only decoding of legacy ``decimal(p,s)`` columns to ``float`` (never used to declare or write)."""

    name = "nda_legacy_decimal"

    def get_dtype(self, is_store: bool) -> str:
        return "float64"

    def encode(self, value, *, key=None, store_name=None):
        raise LegacyReadOnlyError("legacy decimal columns are read-only")

    def decode(self, stored, *, key=None):
        return float(stored) if isinstance(stored, Decimal) else stored


def attach(schema_name: str, connection=None) -> dj.VirtualModule:
    """Open the legacy nda schema ``schema_name`` read-only, blobs and decimals decoded transparently.

    Args:
        schema_name: The legacy schema on the server of ``connection``, e.g. ``"microns_phase3_nda"``.
        connection: A DataJoint connection (default the configured singleton). SELECT on the schema suffices.

    Returns:
        A module whose attributes are the 29 nda table classes (``nda.Scan``, ``nda.Trial``, ...) plus
        ``schema``; extension schemas may declare foreign keys to them (same server).

    Raises:
        LegacySchemaError: The schema does not exist or lacks some of the nda v8 tables (named).
    """
    connection = connection or dj.conn()
    if connection.adapter.backend != "mysql":
        raise LegacySchemaError(f"legacy nda schemas live on MySQL; the connection is {connection.adapter.backend}")
    found = connection.query("SELECT schema_name FROM information_schema.schemata WHERE schema_name = %s",
                             args=(schema_name,)).fetchall()
    if not found:
        raise LegacySchemaError(f"schema {schema_name!r} does not exist on {connection.conn_info['host']} "
                                f"(or this account may not read it)")
    module = dj.VirtualModule(schema_name, schema_name, connection=connection)
    missing = [name for name in NDA_TABLES if not isinstance(getattr(module, name, None), type)]
    if missing:
        raise LegacySchemaError(f"schema {schema_name!r} is not an nda v8 schema: missing tables {missing}")
    _NOTICES.schemas.add(schema_name)
    logging.getLogger("datajoint").addFilter(_NOTICES)  # no-op when already added
    for name in NDA_TABLES:
        _decode_legacy_columns(getattr(module, name))
        _make_read_only(getattr(module, name), schema_name)
    return module


def _decode_legacy_columns(table_class) -> None:
    """Replace the heading entries of raw blob and decimal columns so fetches decode them (no DB change)."""
    heading = table_class().heading
    _ = heading.attributes  # loads the attributes from the server
    blob, decimal = get_codec("blob"), get_codec(LegacyDecimalCodec.name)
    for name, attr in list(heading._attributes.items()):
        if attr.codec is not None:
            continue
        sql_type = attr.type.lower()
        if attr.is_blob and sql_type in BLOB_TYPES:
            heading._attributes[name] = attr._replace(codec=blob, type="<blob>")
        elif sql_type.startswith("decimal"):
            heading._attributes[name] = attr._replace(codec=decimal, type=f"<{LegacyDecimalCodec.name}>")


def _make_read_only(table_class, schema_name: str) -> None:
    def refuse(self, *args, **kwargs):
        raise LegacyReadOnlyError(f"{schema_name}.{type(self).__name__} belongs to an attached legacy nda schema, "
                                  f"which nda_ext never modifies; copy scans into the mirror with "
                                  f"nda_ext.sources.legacy_nda.copy_scans to work on a writable copy")

    for method in WRITE_METHODS:
        setattr(table_class, method, refuse)

