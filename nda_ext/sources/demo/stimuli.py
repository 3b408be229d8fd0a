"""Synthetic stimulus conditions: rows of the v8 ``Clip``, ``Monet2`` and ``Trippy`` tables.

All movies are made at ``DemoConfig.condition_fps`` and ``DemoConfig.condition_shape`` (see DemoConfig for why
these are smaller than the real 60 Hz displays). Spatial directions inside this module use our convention
(x to the right, y up, counter-clockwise degrees); only ``Monet2.directions`` is stored in the Monet2 convention,
``monet2 = (90 - ours) % 360`` (its inverse is the same formula).

* Clip: isotropic pink-noise textures panning with a random velocity, one scene cut in half of the clips.
* Monet2: 16 segments per trial, each a fresh pink-noise texture whose wave-vectors are concentrated along the
  motion direction (``ori_coherence`` is the von Mises concentration), translating at ``speed`` display widths/s.
* Trippy: curvy gratings, cosine of a smooth phase field interpolated from a coarse node movie
  (``packed_phase_movie``) plus a temporal-frequency drift.
"""

import base64
import hashlib

import numpy as np

from nda_ext.compute.resample import resize_matrix

CLIP_KINDS = ("Cinematic", "sports1m", "Rendered")
MONET2_PARAMS = dict(blue_green_saturation=0.0, pattern_width=72, pattern_aspect=1.7, temp_kernel="hamming",
                     temp_bandwidth=4.0, ori_coherence=2.5, ori_fraction=1.0, ori_mix=1.0, n_dirs=16, speed=0.2)
TRIPPY_PARAMS = dict(xnodes=12, ynodes=6, up_factor=24, temp_freq=4.0, temp_kernel_length=61, spatial_freq=0.08)


def condition_hash(*parts):
    """20-character condition id, first 20 chars of the base64 MD5 of the parts (nda style)."""
    digest = hashlib.md5("|".join(map(str, parts)).encode()).digest()
    return base64.b64encode(digest).decode()[:20]


def _frequencies(shape):
    """Spatial frequency grids (cycles/px) of an FFT of ``shape``: (fx to the right, fy up)."""
    fy = -np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.fftfreq(shape[1])[None, :]
    return np.broadcast_to(fx, shape), np.broadcast_to(fy, shape)


def pink_spectrum(shape, rng, *, orientation=None, coherence=0.0):
    """Fourier transform of a random zero-mean 1/f texture, optionally with wave-vectors along ``orientation``.

    Args:
        shape: (height, width) px.
        rng: numpy Generator.
        orientation: wave-vector orientation, degrees (our convention); None for an isotropic texture.
        coherence: von Mises concentration of the wave-vector orientation around ``orientation`` (doubled angle).

    Returns:
        Complex array ``shape``, scaled so that the texture has unit standard deviation.
    """
    fx, fy = _frequencies(shape)
    radius = np.hypot(fx, fy)
    amplitude = np.where(radius > 0, 1.0 / np.maximum(radius, 1.0 / max(shape)), 0.0)
    if orientation is not None:
        angle = np.arctan2(fy, fx)
        amplitude = amplitude * np.exp(coherence * (np.cos(2 * (angle - np.deg2rad(orientation))) - 1))
    spectrum = np.fft.fft2(rng.standard_normal(shape)) * amplitude
    return spectrum / np.std(np.fft.ifft2(spectrum).real)


def drift(spectrum, dx, dy):
    """Frames of a periodic texture translated by ``(dx[t], dy[t])`` px (x right, y up).

    Args:
        spectrum: complex (H, W) Fourier transform of the texture.
        dx, dy: displacement per frame, px, arrays of length T.

    Returns:
        float32 array (T, H, W).
    """
    fx, fy = _frequencies(spectrum.shape)
    phase = np.exp(-2j * np.pi * (fx[None] * np.asarray(dx)[:, None, None] + fy[None] * np.asarray(dy)[:, None, None]))
    return np.fft.ifft2(spectrum[None] * phase, axes=(1, 2)).real.astype(np.float32)


def _to_luminance(frames, contrast, mean=128.0):
    return np.clip(mean + contrast * frames, 0, 255)


def clip_row(rng, cfg, label, kind):
    """One ``Clip`` row: a panning pink texture (T x H x W float32 grey levels 0-255)."""
    n_frames = int(round(cfg.clip_duration_s * cfg.condition_fps))
    speed = rng.uniform(0.05, 0.4) * cfg.condition_shape[1] / cfg.condition_fps
    n_scenes = 1 + int(rng.random() < 0.5)
    scenes = []
    for frames in np.array_split(np.arange(n_frames), n_scenes):
        heading = rng.uniform(0, 2 * np.pi)
        steps = np.arange(frames.size) * speed
        scene = drift(pink_spectrum(cfg.condition_shape, rng), steps * np.cos(heading), steps * np.sin(heading))
        scenes.append(_to_luminance(scene, rng.uniform(30, 55), rng.uniform(100, 150)))
    return dict(
        condition_hash=condition_hash("Clip", cfg.seed, label),
        movie_name=f"Synthetic {kind} {label} (demo)",
        duration=round(n_frames / cfg.condition_fps, 3),
        clip=np.concatenate(scenes).astype(np.float32),
        short_movie_name=kind,
        fps=float(cfg.condition_fps),
    )


def monet2_row(rng, cfg, label):
    """One ``Monet2`` row: 16 directional pink-noise segments in shuffled order (movie uint8 H x W x 1 x T)."""
    params = MONET2_PARAMS
    n_dirs = params["n_dirs"]
    rng_seed = int(rng.integers(1, 2**31))
    local = np.random.default_rng(rng_seed)
    directions = local.permutation(n_dirs) * (360.0 / n_dirs)
    onsets = np.arange(n_dirs) * (cfg.monet2_duration_s / n_dirs)
    n_frames = int(round(cfg.monet2_duration_s * cfg.condition_fps))
    times = np.arange(n_frames) / cfg.condition_fps
    segment = np.minimum(np.searchsorted(onsets, times, side="right") - 1, n_dirs - 1)
    speed = params["speed"] * cfg.condition_shape[1]
    frames = np.empty((n_frames,) + tuple(cfg.condition_shape), dtype=np.float32)
    for j, direction in enumerate(directions):
        ours = (90.0 - direction) % 360.0
        in_segment = segment == j
        travel = (times[in_segment] - onsets[j]) * speed
        texture = pink_spectrum(cfg.condition_shape, local, orientation=ours, coherence=params["ori_coherence"])
        frames[in_segment] = drift(texture, travel * np.cos(np.deg2rad(ours)), travel * np.sin(np.deg2rad(ours)))
    movie = np.round(_to_luminance(frames, 45.0)).astype(np.uint8)
    return dict(
        condition_hash=condition_hash("Monet2", cfg.seed, label),
        fps=float(cfg.condition_fps),
        duration=float(cfg.monet2_duration_s),
        rng_seed=float(rng_seed),
        **params,
        directions=directions.astype(np.float64),
        onsets=onsets.astype(np.float64),
        movie=np.moveaxis(movie, 0, -1)[:, :, None, :],
    )


def trippy_row(rng, cfg, label):
    """One ``Trippy`` row: curvy drifting gratings (movie uint8 H x W x T)."""
    params = TRIPPY_PARAMS
    rng_seed = int(rng.integers(1, 2**31))
    local = np.random.default_rng(rng_seed)
    height, width = cfg.condition_shape
    n_frames = int(round(cfg.trippy_duration_s * cfg.condition_fps))
    n_knots = n_frames // params["up_factor"] + 2
    ny, nx = params["ynodes"], params["xnodes"]
    heading = local.uniform(0, 2 * np.pi) + np.cumsum(local.normal(0, 0.3, n_knots))
    node_y, node_x = np.meshgrid(np.linspace(0, height, ny), np.linspace(0, width, nx), indexing="ij")
    ramp = node_x[None] * np.cos(heading)[:, None, None] + node_y[None] * np.sin(heading)[:, None, None]
    packed = (params["spatial_freq"] * ramp + local.normal(0, 0.5, (n_knots, ny, nx))).astype(np.float32)
    knot_of_frame = np.arange(n_frames) / params["up_factor"]
    time_matrix = np.clip(1 - np.abs(knot_of_frame[:, None] - np.arange(n_knots)[None, :]), 0, None)
    phase = np.einsum("tk,yn,knx,wx->tyw", time_matrix, resize_matrix(ny, height), packed, resize_matrix(nx, width),
                      optimize=True)
    drift_phase = params["temp_freq"] * np.arange(n_frames) / cfg.condition_fps
    movie = np.round(127.5 * (1 + np.cos(2 * np.pi * (phase + drift_phase[:, None, None])))).astype(np.uint8)
    return dict(
        condition_hash=condition_hash("Trippy", cfg.seed, label),
        fps=float(cfg.condition_fps),
        rng_seed=float(rng_seed),
        packed_phase_movie=packed,
        tex_ydim=height,
        tex_xdim=width,
        duration=float(n_frames / cfg.condition_fps),
        **params,
        movie=np.moveaxis(movie, 0, -1),
    )



def condition_frames(table, row):
    """The condition's movie as a (T, H, W) array (a view where possible) for any of Clip, Monet2, Trippy."""
    if table == "Clip":
        return row["clip"]
    if table == "Monet2":
        return np.moveaxis(row["movie"][:, :, 0, :], -1, 0)
    if table == "Trippy":
        return np.moveaxis(row["movie"], -1, 0)
    raise ValueError(f"table must be one of Clip, Monet2, Trippy, got {table!r}")
