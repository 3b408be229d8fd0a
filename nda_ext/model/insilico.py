"""In-silico direction tuning: synthetic directional noise videos and model response curves.

Direction convention (package-wide): degrees, 0 = rightward motion, counter-clockwise positive, so 90 = upward
motion on the screen (towards row 0).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nda_ext.model.network import TwinModel
from nda_ext.model.train import predict


def direction_noise_stimuli(n_dirs: int = 16, *, n_frames: int = 30, height: int = 36, width: int = 64,
                            fps: float = 30.0, speed: float = 0.3, kappa: float = 2.0, f_low: float = 2.0,
                            f_high: float | None = None, contrast: float = 0.35,
                            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Oriented pink noise drifting in each of ``n_dirs`` evenly spaced directions.

    One white-noise image (same seed for every direction) is given a 1/f amplitude spectrum between ``f_low`` and
    ``f_high`` and an orientation filter ``exp(kappa * (cos 2(phi - d) - 1))`` on the angle ``phi`` of the
    spatial-frequency vector, so its structure is elongated orthogonally to the motion direction ``d``; it then
    drifts along ``d`` (exact periodic translation by a Fourier phase shift).

    Args:
        n_dirs: number of directions, ``360 * k / n_dirs`` degrees.
        n_frames: frames per video.
        height: frame height (pixels).
        width: frame width (pixels).
        fps: frame rate (Hz) the videos are shown at.
        speed: drift speed in image widths per second.
        kappa: orientation concentration of the filter (0 = isotropic pink noise).
        f_low: low cut-off, cycles per image width.
        f_high: high cut-off, cycles per image width (default width / 4).
        contrast: standard deviation of the video in units of the 0..255 half-range (values clipped to uint8).
        seed: noise seed.

    Returns:
        directions (n_dirs,) in degrees and videos (n_dirs, n_frames, height, width) uint8.
    """
    if n_dirs < 1 or n_frames < 1:
        raise ValueError(f"n_dirs and n_frames must be >= 1, got {n_dirs}, {n_frames}")
    directions = np.arange(n_dirs) * 360.0 / n_dirs
    f_high = width / 4 if f_high is None else f_high
    ky, kx = np.meshgrid(np.fft.fftfreq(height), np.fft.fftfreq(width), indexing="ij")  # cycles per pixel
    radius = np.hypot(kx, ky) * width  # cycles per image width
    amplitude = np.where((radius >= f_low) & (radius <= f_high), 1.0 / np.maximum(radius, 1e-9), 0.0)
    phi = np.arctan2(-ky, kx)  # frequency-vector angle with y pointing up
    noise = np.fft.fft2(np.random.default_rng(seed).standard_normal((height, width)))
    step = speed * width / fps  # pixels per frame
    t = np.arange(n_frames)[:, None, None]
    videos = np.empty((n_dirs, n_frames, height, width), dtype=np.uint8)
    for i, d in enumerate(np.deg2rad(directions)):
        spectrum = noise * amplitude * np.exp(kappa * (np.cos(2 * (phi - d)) - 1))
        dx, dy_rows = step * np.cos(d) * t, -step * np.sin(d) * t
        video = np.fft.ifft2(spectrum * np.exp(-2j * np.pi * (kx * dx + ky * dy_rows))).real
        video = video / video[0].std() * contrast
        videos[i] = np.clip(np.round(127.5 + 127.5 * video), 0, 255).astype(np.uint8)
    return directions, videos


def direction_tuning(respond: Callable[[np.ndarray], np.ndarray], videos: np.ndarray, burnin: int) -> np.ndarray:
    """Mean response per unit and direction video.

    Args:
        respond: maps videos (n_dirs, T, H, W) uint8 to responses (n_dirs, T, U) (any backend).
        videos: (n_dirs, T, H, W) uint8, e.g. from ``direction_noise_stimuli``.
        burnin: leading frames of each video excluded from the mean.

    Returns:
        (U, n_dirs) mean responses.
    """
    if not 0 <= burnin < videos.shape[1]:
        raise ValueError(f"burnin must be in [0, T={videos.shape[1]}), got {burnin}")
    responses = np.asarray(respond(videos))
    if responses.ndim != 3 or responses.shape[:2] != videos.shape[:2]:
        raise ValueError(f"respond must return (n_dirs, T, U) = {videos.shape[:2]} x U, got {responses.shape}")
    return responses[:, burnin:].mean(axis=1).T


def repeated_direction_tuning(respond: Callable[[np.ndarray], np.ndarray], n_dirs: int, *, n_frames: int,
                              burnin: int, height: int, width: int, fps: float, repeats: int = 1, seed: int = 0,
                              **stimulus) -> tuple[np.ndarray, np.ndarray]:
    """Direction tuning averaged over ``repeats`` noise seeds (``seed``, ``seed + 1``, ...).

    Args:
        respond: as in :func:`direction_tuning`.
        n_dirs, n_frames, height, width, fps: the ``direction_noise_stimuli`` videos (frames, pixels, Hz).
        burnin: leading frames dropped before averaging.
        repeats: noise seeds averaged.
        seed: first noise seed.
        **stimulus: further ``direction_noise_stimuli`` arguments (speed, kappa, contrast, ...).

    Returns:
        directions (n_dirs,) in degrees and curves (U, n_dirs).
    """
    curves = []
    for r in range(int(repeats)):
        directions, videos = direction_noise_stimuli(n_dirs, n_frames=n_frames, height=height, width=width, fps=fps,
                                                     seed=seed + r, **stimulus)
        curves.append(direction_tuning(respond, videos, burnin))
    return directions, np.mean(curves, axis=0)


def model_direction_tuning(model: TwinModel, scan_key, *, n_dirs: int = 16, seconds: float = 4.0,
                           burnin_seconds: float = 1.0, fps: float | None = None, repeats: int = 1, seed: int = 0,
                           **stimulus) -> tuple[np.ndarray, np.ndarray]:
    """In-silico direction tuning of every unit of a scan, behaviour fixed at the scan's mean.

    Videos are made at the model's input size and the scan's frame rate; curves are averaged over ``repeats``
    noise seeds (``seed``, ``seed + 1``, ...).

    Args:
        model: trained ``TwinModel``.
        scan_key: which scan (see ``scan_name``).
        n_dirs: number of directions.
        seconds: video duration (s) including burn-in.
        burnin_seconds: leading seconds dropped before averaging.
        fps: frame rate (Hz); default the scan's own (required when the scan has none).
        repeats: noise seeds averaged.
        seed: first noise seed.
        **stimulus: further ``direction_noise_stimuli`` arguments (speed, kappa, contrast, ...).

    Returns:
        directions (n_dirs,) in degrees and curves (U, n_dirs).
    """
    fps = fps or model.scan(scan_key).fps
    if not fps:
        raise ValueError(f"scan {scan_key!r} has no frame rate stored: pass fps")
    return repeated_direction_tuning(lambda v: predict(model, scan_key, v), n_dirs,
                                     n_frames=int(round(seconds * fps)), burnin=int(round(burnin_seconds * fps)),
                                     height=model.config.height, width=model.config.width, fps=fps,
                                     repeats=repeats, seed=seed, **stimulus)
