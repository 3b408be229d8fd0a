"""Video and trace resampling shared by the twin model and its backends.

Frames are greyscale uint8 arrays shaped (..., T, H, W); traces are float arrays shaped (T, k).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def resize_frames(frames: np.ndarray | torch.Tensor, size: tuple[int, int]) -> np.ndarray | torch.Tensor:
    """Resize frames spatially with antialiased bilinear interpolation.

    Args:
        frames: (..., H, W) uint8 numpy array or float tensor.
        size: target (height, width) in pixels.

    Returns:
        Frames shaped (..., height, width); uint8 numpy in, uint8 numpy out (rounded and clipped to [0, 255]);
        a tensor in gives a float tensor out.
    """
    height, width = (int(s) for s in size)
    as_numpy = isinstance(frames, np.ndarray)
    x = torch.as_tensor(frames, dtype=torch.float32) if as_numpy else frames.float()
    if x.ndim < 2:
        raise ValueError(f"frames must have at least 2 dimensions (H, W), got shape {tuple(x.shape)}")
    if tuple(x.shape[-2:]) != (height, width):
        lead = x.shape[:-2]
        x = F.interpolate(x.reshape(-1, 1, *x.shape[-2:]), size=(height, width), mode="bilinear",
                          align_corners=False, antialias=True).reshape(*lead, height, width)
    if as_numpy:
        return x.round().clamp(0, 255).to(torch.uint8).numpy()
    return x


def hold_indices(n_in: int, fps_in: float, fps_out: float) -> np.ndarray:
    """Indices of the input frame on screen at each output time (sample-and-hold, as a monitor displays).

    Args:
        n_in: number of input frames.
        fps_in: input frame rate (Hz).
        fps_out: output frame rate (Hz).

    Returns:
        int array (n_out,) with n_out = floor(n_in * fps_out / fps_in).
    """
    if fps_in <= 0 or fps_out <= 0:
        raise ValueError(f"frame rates must be positive, got fps_in={fps_in}, fps_out={fps_out}")
    n_out = int(np.floor(n_in * fps_out / fps_in + 1e-9))
    return np.minimum(np.floor(np.arange(n_out) * fps_in / fps_out + 1e-9).astype(int), n_in - 1)


def interpolate_traces(traces: np.ndarray, fps_in: float, fps_out: float, n_out: int | None = None) -> np.ndarray:
    """Linearly interpolate traces sampled at fps_in onto an fps_out clock starting at the same time.

    Args:
        traces: (T, k) float array; NaNs propagate to neighbouring output samples.
        fps_in: input sampling rate (Hz).
        fps_out: output sampling rate (Hz).
        n_out: number of output samples (default floor(T * fps_out / fps_in)).

    Returns:
        (n_out, k) float64 array; times past the last input sample hold the last value.
    """
    traces = np.asarray(traces, dtype=float)
    if traces.ndim != 2:
        raise ValueError(f"traces must be 2-D (T, k), got shape {traces.shape}")
    n_in = traces.shape[0]
    n_out = int(np.floor(n_in * fps_out / fps_in + 1e-9)) if n_out is None else int(n_out)
    t_in = np.arange(n_in) / fps_in
    t_out = np.arange(n_out) / fps_out
    return np.stack([np.interp(t_out, t_in, traces[:, j]) for j in range(traces.shape[1])], axis=1) \
        if traces.shape[1] else np.zeros((n_out, 0))
