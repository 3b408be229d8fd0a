"""A trained ``TwinModel`` as one byte string (stored in ``twin.Training.checkpoint``) and back.

The bytes are a ``torch.save`` of ``{"format", "hyperparameters", "scans", "state_dict"}`` where ``scans`` holds
each scan module's session, scan_idx, fps and unit_ids (readout order); tensors are saved on the CPU, so a
checkpoint written on a GPU loads anywhere. The checksum is the SHA-256 of the bytes.
"""

from __future__ import annotations

import hashlib
import io

import numpy as np
import torch

from nda_ext.model.network import TwinConfig, TwinModel

FORMAT = "nda_ext.model.checkpoint/1"


def to_bytes(model: TwinModel) -> np.ndarray:
    """Serialise ``model`` (core, every scan module and its metadata) to a uint8 array."""
    scans = {name: {"session": m.session, "scan_idx": m.scan_idx, "fps": m.fps, "n_units": m.n_units,
                    "unit_ids": None if m.unit_ids is None else m.unit_ids.tolist()}
             for name, m in model.scans.items()}
    payload = {"format": FORMAT, "hyperparameters": model.config.to_dict(), "scans": scans,
               "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy()


def checksum(data: np.ndarray) -> str:
    """SHA-256 hex digest of checkpoint bytes."""
    return hashlib.sha256(np.ascontiguousarray(data, dtype=np.uint8).tobytes()).hexdigest()


def from_bytes(data: np.ndarray, expected_checksum: str | None = None, device=None) -> TwinModel:
    """Rebuild the model written by ``to_bytes`` (eval mode, on ``device``, default CPU).

    Raises:
        ValueError: the checksum differs from ``expected_checksum`` or the bytes are not a checkpoint.
    """
    data = np.ascontiguousarray(data, dtype=np.uint8)
    if expected_checksum is not None and checksum(data) != expected_checksum:
        raise ValueError(f"checkpoint checksum {checksum(data)} differs from the stored {expected_checksum}")
    payload = torch.load(io.BytesIO(data.tobytes()), map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"not a twin checkpoint: expected format {FORMAT!r}")
    model = TwinModel(TwinConfig.from_dict(payload["hyperparameters"]))
    for meta in payload["scans"].values():
        model.add_scan(meta["session"], meta["scan_idx"], meta["n_units"], fps=meta["fps"], unit_ids=meta["unit_ids"])
    model.load_state_dict(payload["state_dict"])
    return model.to(device or "cpu").eval()
