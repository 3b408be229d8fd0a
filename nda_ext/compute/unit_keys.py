"""The primary keys of nda scans and units, and nda's UnitHash values computed exactly as nda v8 does."""

import hashlib
import json
from collections.abc import Mapping

#: Primary key of a scan in nda (``nda.Scan``).
SCAN_KEY = ["session", "scan_idx"]
#: Primary key of a unit in nda (``nda.ScanUnit``).
UNIT_KEY = ["session", "scan_idx", "unit_id"]


def scan_key(key) -> dict:
    """``{"session": int, "scan_idx": int}`` of a key or row holding them (other attributes dropped) or of a
    ``(session, scan_idx)`` pair."""
    values = [key[name] for name in SCAN_KEY] if isinstance(key, Mapping) else list(key)
    return {name: int(value) for name, value in zip(SCAN_KEY, values, strict=True)}


def unit_hash(session: int, scan_idx: int, unit_id: int) -> str:
    """First 12 hex characters of SHA-256 of ``json.dumps({"session", "scan_idx", "unit_id"})`` (that order)."""
    text = json.dumps({"session": int(session), "scan_idx": int(scan_idx), "unit_id": int(unit_id)})
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def unit_str_key(session: int, scan_idx: int, unit_id: int) -> str:
    """``SS_II_UUUUUU``: session, scan_idx and unit_id zero-padded to 2, 2 and 6 digits (e.g. ``04_07_001262``)."""
    return f"{int(session):02d}_{int(scan_idx):02d}_{int(unit_id):06d}"
