"""Copy chosen scans from a legacy nda server into the local nda mirror: chunked, resumable, verified.

For each scan the copy takes every nda table's rows that belong to it: the scan's own rows (fields, units,
traces, behaviour, trials, ...), the stimulus conditions its trials show (Clip, Monet2, Trippy by
``condition_hash``) and the stack rows its fields are registered to (Stack, Coregistration). Keys already in the
mirror are skipped, so an interrupted copy resumes where it stopped; each chunk (about ``chunk_bytes`` of row data)
is inserted in its own transaction through :func:`nda_ext.sources.mirror.insert_tables`. At the end the row counts
of every table are compared between source and mirror.

The source is reached through its own ``dj.Instance`` (connection and config), independent of the configured
destination (the embedded PostgreSQL by default, or a shared server).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pandas as pd
from tqdm.auto import tqdm

from nda_ext.dj import active
from nda_ext.dj.insert import row_nbytes
from nda_ext.sources.legacy_nda.attach import NDA_TABLES, attach
from nda_ext.sources.mirror import insert_tables

DEFAULT_SCHEMA = "microns_phase3_nda"
#: Row data per inserted chunk (bytes): large enough to amortise round trips, far below packet limits.
DEFAULT_CHUNK_BYTES = 16 << 20
CONDITION_TABLES = ("Clip", "Monet2", "Trippy")
STACK_TABLES = ("Stack", "Coregistration")


class CopyVerificationError(RuntimeError):
    """Row counts differ between the legacy source and the mirror after a copy; the message names the tables."""


@dataclass
class TableCopy:
    """What one table of one scan needs: its restriction and the source keys not yet in the mirror."""

    table: str
    restriction: object
    source_rows: int
    missing: list[dict]


def source_module(url: str, schema: str | None = None):
    """Attach the legacy schema of ``url`` through a separate ``dj.Instance`` (the configured DB is untouched).

    Args:
        url: ``mysql://user:password@host:port[/schema]``.
        schema: Legacy schema name; default the URL path, else ``microns_phase3_nda``.
    """
    import datajoint as dj

    from nda_ext.db import LOOPBACK, parse_url

    settings = parse_url(url)
    schema = schema or urlsplit(url).path.strip("/") or DEFAULT_SCHEMA
    instance = dj.Instance(host=settings["host"], user=settings["user"], password=settings["password"],
                           port=settings["port"], backend=settings["backend"],
                           use_tls=False if settings["host"] in LOOPBACK else None)
    return attach(schema, connection=instance.connection)


def scan_restrictions(source, scan: dict) -> dict[str, object]:
    """Restriction of every nda table to the rows scan ``scan`` needs, in foreign-key order (dicts or lists of
    dicts, valid on the source and the mirror alike)."""
    restrictions = dict.fromkeys(NDA_TABLES, scan)  # insertion (foreign-key) order
    stacks = (source.Registration & scan).proj().to_dicts()
    stack_keys = sorted({(int(k["stack_session"]), int(k["stack_idx"])) for k in stacks})
    for name in STACK_TABLES:
        restrictions[name] = [{"stack_session": s, "stack_idx": i} for s, i in stack_keys]
    hashes, types = (source.Trial & scan).to_arrays("condition_hash", "type")
    for name in CONDITION_TABLES:
        used = sorted({str(h) for h, t in zip(hashes, types) if t == f"stimulus.{name}"})
        restrictions[name] = [{"condition_hash": h} for h in used]
    return restrictions


def _key_tuples(expression) -> list[tuple]:
    primary_key = expression.primary_key
    return [tuple(_plain(row[k]) for k in primary_key) for row in expression.keys()]


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def plan_scan(source, mirror, scan: dict) -> list[TableCopy]:
    """Per table: the source rows the scan needs and those missing from the mirror (keys only, no blobs)."""
    plan = []
    for name, restriction in scan_restrictions(source, scan).items():
        source_table, mirror_table = getattr(source, name)() & restriction, getattr(mirror, name)() & restriction
        source_keys = source_table.keys()
        present = set(_key_tuples(mirror_table))
        primary_key = source_table.primary_key
        missing = [k for k in source_keys if tuple(_plain(k[a]) for a in primary_key) not in present]
        plan.append(TableCopy(name, restriction, len(source_keys), missing))
    return plan


def _copy_table(source, mirror, item: TableCopy, chunk_bytes: int, bar) -> tuple[int, int]:
    """Copy the missing rows of one table in byte-sized chunks; returns (rows, bytes)."""
    table = getattr(source, item.table)()
    rows_done = bytes_done = 0
    chunk = 1  # first chunk of one row measures the row size
    position = 0
    while position < len(item.missing):
        keys = item.missing[position:position + chunk]
        rows = (table & keys).to_dicts()
        size = sum(row_nbytes(r) for r in rows)
        insert_tables(mirror, {item.table: rows}, progress=False, skip_duplicates=True)
        position += len(keys)
        rows_done += len(rows)
        bytes_done += size
        bar.update(len(rows))
        bar.set_postfix(table=item.table, MB=f"{bytes_done / 1e6:.1f}")
        chunk = max(1, int(chunk_bytes // max(1, size / max(1, len(rows)))))
    return rows_done, bytes_done


def verify_counts(source, mirror, scan: dict, restrictions: dict[str, object]) -> None:
    """Compare row counts of every table between source and mirror for one scan.

    Raises:
        CopyVerificationError: Naming each table whose counts differ, with both counts.
    """
    differences = []
    for name, restriction in restrictions.items():
        expected = len(getattr(source, name)() & restriction)
        found = len(getattr(mirror, name)() & restriction)
        if expected != found:
            differences.append(f"{name}: source {expected} rows, mirror {found}")
    if differences:
        raise CopyVerificationError(f"scan {scan}: row counts differ after the copy: {'; '.join(differences)}")


def copy_scans(url: str, scans, *, progress: bool = True, nda=None, schema: str | None = None,
               chunk_bytes: int | None = None) -> pd.DataFrame:
    """Copy scans (and their trials, conditions, units, traces, behaviour, fields, stack rows) into the mirror.

    Args:
        url: Legacy server, ``mysql://user:password@host:port[/schema]`` (SELECT rights suffice).
        scans: (session, scan_idx) pairs or dicts with those keys.
        progress: Show a progress bar per scan (rows copied, MB).
        nda: Destination mirror module; default ``nda_ext.activate()["nda"]`` on the configured database.
        schema: Legacy schema name (default from the URL path, else ``microns_phase3_nda``).
        chunk_bytes: Row data per inserted chunk, bytes (default 16 MB).

    Returns:
        One row per (scan, table): ``session, scan_idx, table, source_rows, copied, skipped, mbytes, seconds``.
        ``df.attrs["rows_per_s"]`` and ``df.attrs["mbytes_per_s"]`` give the overall copy rate.

    Raises:
        ValueError: A scan that is not in the source's ``Scan`` table, or ``nda`` is not a mirror.
        CopyVerificationError: Row counts differ at the end (names the table).
    """
    source = source_module(url, schema)
    if nda is None:
        nda = active.bound()["nda"]
    if not hasattr(nda, "Condition"):
        raise ValueError("nda: the destination must be the nda_ext mirror (nda_ext.activate()['nda']), "
                         "not an attached legacy schema")
    keys = [dict(s) if isinstance(s, dict) else {"session": int(s[0]), "scan_idx": int(s[1])} for s in scans]
    absent = [k for k in keys if not len(source.Scan & k)]
    if absent:
        raise ValueError(f"scans {absent} are not in {source.schema.database}.Scan")
    records, started = [], time.perf_counter()
    for scan in keys:
        plan = plan_scan(source, nda, scan)
        label = f"copy {scan['session']}-{scan['scan_idx']}"
        with tqdm(total=sum(len(p.missing) for p in plan), desc=label, unit="row", disable=not progress) as bar:
            for item in plan:
                table_started = time.perf_counter()
                rows, size = _copy_table(source, nda, item, chunk_bytes or DEFAULT_CHUNK_BYTES, bar)
                records.append({**scan, "table": item.table, "source_rows": item.source_rows, "copied": rows,
                                "skipped": item.source_rows - len(item.missing), "mbytes": size / 1e6,
                                "seconds": time.perf_counter() - table_started})
        verify_counts(source, nda, scan, {p.table: p.restriction for p in plan})
    report = pd.DataFrame(records)
    elapsed = time.perf_counter() - started
    report.attrs.update(seconds=elapsed, rows_per_s=report["copied"].sum() / elapsed,
                        mbytes_per_s=report["mbytes"].sum() / elapsed)
    return report
