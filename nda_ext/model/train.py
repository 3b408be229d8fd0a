"""Training (Poisson loss, core shared across scans) and inference for ``TwinModel``."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from nda_ext.model.data import ScanData
from nda_ext.model.network import TwinModel, default_device, scan_name
from nda_ext.model.readout_init import locate_readouts
from nda_ext.model.video import resize_frames


def poisson_loss(rate: torch.Tensor, target: torch.Tensor, eps: float = 1e-8,
                 weight: torch.Tensor | None = None) -> torch.Tensor:
    """Poisson negative log-likelihood without the target-only term: mean of ``rate - target * log(rate + eps)``.

    ``weight`` (broadcastable to ``rate``, e.g. (B, T, 1) of 0/1) makes it a weighted mean (0 when all weights are 0).
    """
    loss = rate - target * torch.log(rate + eps)
    if weight is None:
        return loss.mean()
    weight = weight.expand_as(loss)
    return (loss * weight).sum() / weight.sum().clamp_min(1.0)


class _ScanTensors:
    """One scan's training arrays on the device: resized uint8 frames, raw behaviour, scaled responses."""

    def __init__(self, model: TwinModel, data: ScanData, device: torch.device, clip_len: int):
        module = model.scan(data)
        self.name = scan_name(data)
        size = (model.config.height, model.config.width)
        self.frames = torch.as_tensor(resize_frames(data.frames, size), device=device)
        self.behaviour = None if data.behaviour is None else torch.as_tensor(data.behaviour, device=device)
        self.responses = torch.as_tensor(data.responses, device=device) / module.readout.scale
        mask = np.ones(data.frames.shape[0], bool) if data.train_mask is None else data.train_mask
        self.weight = torch.as_tensor(mask, dtype=torch.float32, device=device)
        self.n_frames = data.frames.shape[0]
        self.n_train = int(mask.sum())
        valid = np.convolve(mask.astype(float), np.ones(clip_len), mode="valid") / clip_len >= 0.5
        self.starts = np.flatnonzero(valid) if valid.any() else np.arange(valid.size)  # clips >= half training

    def clips(self, starts: np.ndarray, clip_len: int):
        """Frames (B, L, h, w), behaviour (B, L, 4) or None, scaled responses (B, L, U), loss weights (B, L, 1)."""
        index = torch.as_tensor(starts[:, None] + np.arange(clip_len), device=self.frames.device)
        behaviour = None if self.behaviour is None else self.behaviour[index]
        return self.frames[index].float(), behaviour, self.responses[index], self.weight[index][..., None]


def _ensure_scan(model: TwinModel, data: ScanData, generator: torch.Generator) -> None:
    """Add a readout for ``data`` unless the model already has one of the right size."""
    name = scan_name(data)
    if name in model.scans:
        if model.scans[name].n_units != data.n_units:
            raise ValueError(f"scan {name}: model readout has {model.scans[name].n_units} units, data has "
                             f"{data.n_units}")
        return
    mean, std = data.behaviour_stats()
    model.add_scan(data.session, data.scan_idx, data.n_units, fps=float(data.fps), unit_ids=data.unit_ids,
                   behaviour_mean=mean, behaviour_std=std, response_scale=data.response_scale(),
                   generator=generator)


def train(model: TwinModel, scans: Sequence[ScanData], *, epochs: int = 10, lr: float = 5e-3, clip_len: int = 16,
          batch: int = 4, seed: int = 0, burnin: int = 3, weight_decay: float = 0.0, locate: bool = True,
          device=None, progress: bool = True) -> list[dict]:
    """Train the shared core on all scans jointly, each with its own readout (added when missing).

    Each step draws ``batch`` random clips of ``clip_len`` frames from one scan (scans interleaved at random,
    in proportion to their length) and minimises the Poisson loss of the standardised responses, ignoring the
    first ``burnin`` frames of each clip (the recurrent state starts from rest) and frames outside each scan's
    ``train_mask`` (held-out trials are seen as context only). Clips start where at least half of their frames
    are training frames; an epoch has about as many training frames as the scans together.

    Args:
        model: the model; moved to ``device``.
        scans: training data, one ``ScanData`` per scan.
        epochs: passes over the data.
        lr: peak Adam learning rate (cosine-annealed to 0 over all steps).
        clip_len: frames per clip (scan frames).
        batch: clips per step.
        seed: seeds readout initialisation, clip sampling and torch.
        burnin: frames at the start of each clip excluded from the loss (< clip_len).
        weight_decay: Adam weight decay.
        locate: before the first and the second epoch, move every readout to the position of the core's output
            grid where the features explain the unit best (``readout_init.locate_readouts``).
        device: torch device (default CUDA when available, else CPU).
        progress: show a progress bar over epochs.

    Returns:
        History: one dict per epoch with ``epoch``, ``loss`` (mean training loss), ``steps`` and ``seconds``.
    """
    if not scans:
        raise ValueError("scans is empty: train needs at least one ScanData")
    if not 0 <= burnin < clip_len:
        raise ValueError(f"burnin must be in [0, clip_len={clip_len}), got {burnin}")
    too_short = [scan_name(s) for s in scans if s.frames.shape[0] < clip_len]
    if too_short:
        raise ValueError(f"scans {too_short} have fewer frames than clip_len={clip_len}")
    device = torch.device(device) if device is not None else default_device()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    model.to(device)
    for data in scans:
        _ensure_scan(model, data, generator)
    model.to(device)
    tensors = [_ScanTensors(model, data, device, clip_len) for data in scans]
    steps = np.array([max(1, t.n_train // (clip_len * batch)) for t in tensors])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs * int(steps.sum())))
    history = []
    model.train()
    for epoch in tqdm(range(epochs), desc="twin training", disable=not progress):
        start, losses = time.perf_counter(), []
        if epoch in (0, 1) and locate:
            for scan in tensors:
                locate_readouts(model, scan.name, scan.frames, scan.behaviour, scan.responses, scan.weight)
        for i in rng.permutation(np.repeat(np.arange(len(tensors)), steps)):
            scan = tensors[i]
            frames, behaviour, target, weight = scan.clips(rng.choice(scan.starts, batch), clip_len)
            rate, _ = model(scan.name, frames, behaviour)
            loss = poisson_loss(rate[:, burnin:], target[:, burnin:], weight=weight[:, burnin:])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), "steps": len(losses),
                        "seconds": time.perf_counter() - start})
    model.eval()
    return history


@torch.inference_mode()
def predict(model: TwinModel, scan_key, frames: np.ndarray, behaviour: np.ndarray | None = None, burnin: int = 0,
            chunk: int = 64) -> np.ndarray:
    """Predicted responses of a scan's units to one or several videos, in the units of the recorded traces.

    Args:
        model: trained model.
        scan_key: which scan (see ``scan_name``).
        frames: (T, H, W) or (N, T, H, W) uint8 frames at the scan's frame rate; any size (resized).
        behaviour: (T, 4) or (N, T, 4) raw behaviour (``BEHAVIOUR_COLUMNS``), or None for the scan's mean.
        burnin: leading frames dropped from the output (the model starts from rest).
        chunk: frames run per call (the recurrent state is carried across chunks; the result does not depend
            on it).

    Returns:
        float32 (T - burnin, U) or (N, T - burnin, U) non-negative predictions.
    """
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim not in (3, 4):
        raise ValueError(f"frames must be uint8 (T, H, W) or (N, T, H, W), got {frames.dtype} {frames.shape}")
    single = frames.ndim == 3
    video = frames[None] if single else frames
    n, t = video.shape[:2]
    if not 0 <= burnin < t:
        raise ValueError(f"burnin must be in [0, T={t}), got {burnin}")
    beh = None
    if behaviour is not None:
        beh = np.asarray(behaviour, dtype=np.float32)
        beh = np.broadcast_to(beh[None] if beh.ndim == 2 else beh, (n, t, beh.shape[-1]))
    model.eval()
    module, device = model.scan(scan_key), model.device
    state, out = None, []
    for s in range(0, t, chunk):
        x = torch.as_tensor(video[:, s:s + chunk], device=device).float()
        b = None if beh is None else torch.tensor(beh[:, s:s + chunk], device=device)
        rate, state = model(scan_key, x, b, state)
        out.append((rate * module.readout.scale).cpu())
    result = torch.cat(out, dim=1)[:, burnin:].numpy()
    return result[0] if single else result
