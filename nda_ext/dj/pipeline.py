"""Populate, deploy, work and report over every auto-populated table of the bound schemas."""

from __future__ import annotations

import inspect
import logging
import time
from types import ModuleType

import datajoint as dj
import pandas as pd
from datajoint.jobs import Job

logger = logging.getLogger(__name__)


def auto_tables(schemas: dict[str, ModuleType]) -> dict[str, type]:
    """Imported and Computed master tables, ``{"schema.Table": class}``, in dependency (declaration) order."""
    found = {}
    for short, module in schemas.items():
        schema = getattr(module, "schema", None)
        if schema is None:
            continue
        for cls, _context in schema.declare_list:
            if inspect.isclass(cls) and issubclass(cls, (dj.Imported, dj.Computed)):
                found[f"{short}.{cls.__name__}"] = cls
    return found


def select(schemas: dict[str, ModuleType], names: list[str] | None) -> dict[str, type]:
    """The auto tables named in ``names`` (``Table`` or ``schema.Table``); all when ``names`` is empty.

    Raises:
        KeyError: A name that matches no auto-populated table, listing the valid names.
    """
    tables = auto_tables(schemas)
    if not names:
        return tables
    chosen = {}
    for name in names:
        matches = {k: v for k, v in tables.items() if k == name or k.split(".", 1)[1] == name}
        if not matches:
            raise KeyError(f"no auto-populated table {name!r}; choose from {sorted(tables)}")
        chosen.update(matches)
    return {k: v for k, v in tables.items() if k in chosen}


def deploy(schemas: dict[str, ModuleType]) -> list[str]:
    """Declare every job table once (schemas and tables are declared by ``activate``).

    Run this before starting workers on a shared server: PostgreSQL DDL is not safe under concurrent first use.
    """
    declared = []
    for name, table in auto_tables(schemas).items():
        jobs = Job(table())
        if not jobs.is_declared:
            jobs.declare()
            declared.append(name)
    return declared


def populate(schemas: dict[str, ModuleType], names: list[str] | None = None, *, reserve_jobs: bool = False,
             processes: int = 1, display_progress: bool = True, suppress_errors: bool = True) -> dict[str, dict]:
    """Populate the chosen tables in dependency order; returns the populate result of each table."""
    results = {}
    for name, table in select(schemas, names).items():
        results[name] = table.populate(reserve_jobs=reserve_jobs, processes=processes,
                                       display_progress=display_progress, suppress_errors=suppress_errors)
        for key, message in results[name]["error_list"]:
            logger.error("%s %s: %s", name, key, message)
    return results


def work(schemas: dict[str, ModuleType], names: list[str] | None = None, *, max_idle_passes: int = 1,
         sleep_s: float = 0.0, display_progress: bool = False) -> int:
    """Cluster worker loop: reserve and make jobs until a full pass over all tables makes nothing.

    Safe to run on many nodes at once (atomic job reservation). Returns the number of keys this worker made.
    """
    made, idle = 0, 0
    while idle < max_idle_passes:
        results = populate(schemas, names, reserve_jobs=True, display_progress=display_progress)
        done = sum(r["success_count"] for r in results.values())
        made += done
        idle = 0 if done else idle + 1
        if not done and sleep_s:
            time.sleep(sleep_s)
    return made


def status(schemas: dict[str, ModuleType], names: list[str] | None = None) -> pd.DataFrame:
    """Done / total / errors per table with the latest error messages."""
    rows = []
    for name, table in select(schemas, names).items():
        instance = table()
        jobs = Job(instance)
        errors = jobs.errors.to_dicts() if jobs.is_declared else []
        reserved = len(jobs.reserved) if jobs.is_declared else 0
        rows.append({"table": name, "done": len(instance), "total": len(instance.key_source), "reserved": reserved,
                     "errors": len(errors),
                     "error_messages": "; ".join(sorted({e["error_message"] for e in errors}))[:500]})
    return pd.DataFrame(rows, columns=["table", "done", "total", "reserved", "errors", "error_messages"])
