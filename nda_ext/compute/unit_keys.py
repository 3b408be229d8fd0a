"""nda's UnitHash values, computed exactly as nda v8 does."""

import hashlib
import json


def unit_hash(session: int, scan_idx: int, unit_id: int) -> str:
    """First 12 hex characters of SHA-256 of ``json.dumps({"session", "scan_idx", "unit_id"})`` (that order)."""
    text = json.dumps({"session": int(session), "scan_idx": int(scan_idx), "unit_id": int(unit_id)})
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def unit_str_key(session: int, scan_idx: int, unit_id: int) -> str:
    """``SS_II_UUUUUU``: session, scan_idx and unit_id zero-padded to 2, 2 and 6 digits (e.g. ``04_07_001262``)."""
    return f"{int(session):02d}_{int(scan_idx):02d}_{int(unit_id):06d}"
