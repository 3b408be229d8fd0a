"""Planted, stimulus-computable response model of the demo units.

Each unit sees ``Stimulus.movie`` (area-averaged to ``DemoConfig.model_shape``, grey levels centred at 128 and
scaled by 1/64) through

* an oriented motion-energy unit (Adelson-Bergen): a quadrature pair of Gabors at (rf_x, rf_y) (stimulus px,
  x right, y down the rows) with envelope sd ``rf_sigma`` and carrier wavelength ``wavelength`` along
  ``pref_dir``, combined over 4 scan-frame lags with a temporal kernel drifting at the unit's temporal frequency
  (tuned to the Monet2 speed); ``E+`` is the energy for motion along pref_dir, ``E-`` for the opposite;
* an untuned drive ``U``: envelope-weighted energy of frame-to-frame luminance changes.

Both drives are divided by their mean over the scan. With ``ori_weight`` w and ``dir_weight`` d (both in [0, 1]):

    drive(t) = w * ((1 + d) / 2 * E+ + (1 - d) / 2 * E-) + (1 - w) * U
    rate(t)  = baseline + gain * exp(beta_pupil * pupil(t) + beta_running * running(t)) * drive(t)

``Activity`` is Gamma-distributed around the rate with coefficient of variation ``noise_sd`` (non-negative,
rate-like); ``Fluorescence`` is ``brightness * (1 + 0.3 * calcium) + noise`` with ``calcium`` the Activity
convolved with a 1 s exponential kernel and a slow 5 % bleaching drift. The per-unit ``ms_delay`` is recorded in
ScanUnit but not applied (smaller than one frame).
"""

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from nda_ext.compute.resample import resize_frames
from nda_ext.sources.demo.config import MOVIE_SHAPE
from nda_ext.sources.demo.stimuli import MONET2_PARAMS

LAG_WEIGHTS = np.array([0.5, 1.0, 0.7, 0.3])
"""Temporal kernel over scan-frame lags 0..3 (peak at one frame, ~160 ms at 6.3 Hz)."""
CALCIUM_TAU_S = 1.0
UNIT_CHUNK = 512


def unit_parameters(cfg, rng, units):
    """Planted parameters of every unit (DataFrame aligned with ``units``).

    Columns: pref_dir, pref_ori (degrees, our convention), ori_weight, dir_weight, rf_x, rf_y, rf_sigma,
    wavelength (stimulus px), temporal_freq (Hz), gain, baseline, beta_pupil, beta_running, noise_sd,
    brightness. Receptive fields follow a coarse retinotopic map of the motor position; artifact masks and an
    ``untuned_fraction`` of somas have ori_weight 0; artifacts respond weakly and ignore behaviour.
    """
    n = len(units)
    soma = units["is_soma"].to_numpy()
    tuned = soma & (rng.random(n) >= cfg.untuned_fraction)
    pref_dir = rng.uniform(0, 360, n)
    x = units["um_x"].to_numpy() - units["um_x"].mean()
    y = units["um_y"].to_numpy() - units["um_y"].mean()
    height, width = MOVIE_SHAPE
    wavelength = rng.uniform(30, 55, n)
    gain = np.where(soma, rng.lognormal(0, 0.4, n), 0.3)
    return pd.DataFrame(dict(
        pref_dir=pref_dir,
        pref_ori=pref_dir % 180,
        ori_weight=np.where(tuned, rng.uniform(0.4, 1.0, n), 0.0),
        dir_weight=np.where(tuned, rng.uniform(0.0, 1.0, n), 0.0),
        rf_x=np.clip(width / 2 + 0.09 * x + rng.normal(0, 6, n), 0.15 * width, 0.85 * width),
        rf_y=np.clip(height / 2 + 0.045 * y + rng.normal(0, 4, n), 0.15 * height, 0.85 * height),
        rf_sigma=rng.uniform(0.35, 0.5, n) * wavelength,
        wavelength=wavelength,
        temporal_freq=MONET2_PARAMS["speed"] * width / wavelength,
        gain=gain,
        baseline=gain * rng.uniform(0.05, 0.3, n),
        beta_pupil=np.where(soma, rng.normal(0.15, 0.1, n), 0.0),
        beta_running=np.where(soma, rng.normal(0.15, 0.1, n), 0.0),
        noise_sd=rng.uniform(0.5, 1.0, n),
        brightness=rng.uniform(100, 600, n),
    ))


def model_movie(movie, model_shape, chunk=2048):
    """``Stimulus.movie`` (uint8 H x W x T) as the model sees it: float32 (T, h * w), (grey - 128) / 64."""
    out = np.empty((movie.shape[-1], model_shape[0] * model_shape[1]), dtype=np.float32)
    for first in range(0, movie.shape[-1], chunk):
        frames = np.moveaxis(movie[:, :, first:first + chunk], -1, 0).astype(np.float32)
        out[first:first + chunk] = resize_frames(frames, model_shape).reshape(len(frames), -1)
    return (out - 128.0) / 64.0


def spatial_filters(params, model_shape):
    """Even and odd Gabors and the normalised Gaussian envelope of every unit on the model grid, (P, N) float32."""
    rows = (np.arange(model_shape[0]) + 0.5) * MOVIE_SHAPE[0] / model_shape[0] - 0.5
    cols = (np.arange(model_shape[1]) + 0.5) * MOVIE_SHAPE[1] / model_shape[1] - 0.5
    yy, xx = (g.ravel()[:, None] for g in np.meshgrid(rows, cols, indexing="ij"))
    dx = xx - params["rf_x"].to_numpy()[None]
    dy_up = -(yy - params["rf_y"].to_numpy()[None])
    envelope = np.exp(-(dx ** 2 + dy_up ** 2) / (2 * params["rf_sigma"].to_numpy()[None] ** 2))
    theta = np.deg2rad(params["pref_dir"].to_numpy())[None]
    phase = 2 * np.pi * (dx * np.cos(theta) + dy_up * np.sin(theta)) / params["wavelength"].to_numpy()[None]
    even = envelope * np.cos(phase)
    even -= envelope * even.sum(0) / envelope.sum(0)
    odd = envelope * np.sin(phase)
    scale = np.sqrt((even ** 2).sum(0) + (odd ** 2).sum(0))
    return ((even / scale).astype(np.float32), (odd / scale).astype(np.float32),
            (envelope / envelope.sum(0)).astype(np.float32))


def _lagged(x, lag):
    """``x`` delayed by ``lag`` frames along axis 0 (zeros before the start)."""
    if lag == 0:
        return x
    return np.concatenate([np.zeros((lag,) + x.shape[1:], x.dtype), x[:-lag]])


def drives(frames, change, params, model_shape, fps):
    """Mean-normalised oriented and untuned drives of the units in ``params``, each float32 (N, T).

    Args:
        frames: model movie (T, P) from :func:`model_movie`.
        change: squared frame-to-frame change of ``frames`` (T, P).
        params: unit parameters (:func:`unit_parameters`), N rows.
        model_shape: (h, w) of the model grid, h * w = P.
        fps: scan rate, Hz.
    """
    even, odd, envelope = spatial_filters(params, model_shape)
    projected_even, projected_odd = frames @ even, frames @ odd
    omega = 2 * np.pi * params["temporal_freq"].to_numpy() / fps
    energy = {}
    for sign in (1, -1):
        real = np.zeros_like(projected_even)
        imag = np.zeros_like(projected_even)
        for lag, weight in enumerate(LAG_WEIGHTS):
            cos = (weight * np.cos(sign * omega * lag)).astype(np.float32)
            sin = (weight * np.sin(sign * omega * lag)).astype(np.float32)
            lag_even, lag_odd = _lagged(projected_even, lag), _lagged(projected_odd, lag)
            real += cos * lag_even - sin * lag_odd
            imag += sin * lag_even + cos * lag_odd
        energy[sign] = real ** 2 + imag ** 2
    d = params["dir_weight"].to_numpy().astype(np.float32)
    oriented = (1 + d) / 2 * energy[1] + (1 - d) / 2 * energy[-1]
    local_change = change @ envelope
    untuned = sum(w * _lagged(local_change, lag) for lag, w in enumerate(LAG_WEIGHTS)).astype(np.float32)
    return (oriented / oriented.mean(0)).T, (untuned / untuned.mean(0)).T


def simulate(rng, params, movie, latent, labels, cfg):
    """Activity, Fluorescence and the planted direction curves of all units, in chunks of units.

    Args:
        rng: numpy Generator (noise).
        params: unit parameters, N rows.
        movie: ``Stimulus.movie`` uint8 (90, 160, T).
        latent: behaviour modulators (``pupil``, ``running``, length T) from ``behavior.behavior``.
        labels: Monet2 direction (degrees, our convention) per frame, NaN elsewhere.
        cfg: DemoConfig (model_shape, fps).

    Returns:
        (activity (N, T) float32, fluorescence (N, T) float32, directions (K,), planted curve (N, K)): the
        planted curve is the noise-free rate without behavioural modulation averaged per labelled direction.
    """
    frames = model_movie(movie, cfg.model_shape)
    change = np.diff(frames, axis=0, prepend=frames[:1]) ** 2
    traces = np.empty((len(params), movie.shape[-1]), dtype=np.float32)
    raw = np.empty_like(traces)
    curves = []
    for first in range(0, len(params), UNIT_CHUNK):
        part = params.iloc[first:first + UNIT_CHUNK]
        oriented, untuned = drives(frames, change, part, cfg.model_shape, cfg.fps)
        directions, curve = direction_curve(rates(part, oriented, untuned), labels)
        curves.append(curve)
        rate = rates(part, oriented, untuned, behavioural_modulation(part, latent))
        traces[first:first + len(part)] = activity(rng, part, rate)
        raw[first:first + len(part)] = fluorescence(rng, part, traces[first:first + len(part)], cfg.fps)
    return traces, raw, directions, np.concatenate(curves)


def behavioural_modulation(params, latent):
    """Multiplicative gain exp(beta_pupil * pupil + beta_running * running), float32 (N, T)."""
    exponent = (params["beta_pupil"].to_numpy()[:, None] * latent["pupil"][None]
                + params["beta_running"].to_numpy()[:, None] * latent["running"][None])
    return np.exp(exponent).astype(np.float32)


def rates(params, oriented, untuned, modulation=1.0):
    """Firing-rate-like drive (N, T) float32 (see module docstring); ``modulation`` 1 gives the noise-free
    curve without behaviour."""
    w = params["ori_weight"].to_numpy(np.float32)[:, None]
    drive = w * oriented + (1 - w) * untuned
    gain = params["gain"].to_numpy(np.float32)[:, None]
    return params["baseline"].to_numpy(np.float32)[:, None] + gain * modulation * drive


def activity(rng, params, rate):
    """Deconvolved-like Activity (N, T) float32: Gamma samples with mean ``rate`` and CV ``noise_sd``."""
    shape = 1.0 / params["noise_sd"].to_numpy()[:, None] ** 2
    return rng.gamma(shape, rate / shape).astype(np.float32)


def fluorescence(rng, params, trace, fps):
    """Raw Fluorescence (N, T) float32 from Activity: calcium kernel, brightness, bleaching and shot noise."""
    rho = np.exp(-1.0 / (CALCIUM_TAU_S * fps))
    calcium = lfilter([1 - rho], [1.0, -rho], trace, axis=1)
    calcium /= np.maximum(calcium.mean(axis=1, keepdims=True), 1e-6)
    brightness = params["brightness"].to_numpy()[:, None]
    bleach = 1 - 0.05 * np.linspace(0, 1, trace.shape[1])[None]
    noisy = brightness * bleach * (1 + 0.3 * calcium) + rng.normal(0, 1, trace.shape) * np.sqrt(brightness)
    return noisy.astype(np.float32)


def direction_curve(rate, labels):
    """Mean of ``rate`` (N, T) over the frames of each labelled direction.

    Args:
        rate: (N, T) responses.
        labels: direction (degrees) per frame, NaN for unlabelled frames.

    Returns:
        (directions (K,) sorted degrees, curve (N, K)).
    """
    labelled = ~np.isnan(labels)
    directions, index = np.unique(labels[labelled], return_inverse=True)
    onehot = np.zeros((labelled.sum(), directions.size), dtype=np.float32)
    onehot[np.arange(index.size), index] = 1
    return directions, (rate[:, labelled] @ onehot) / onehot.sum(0)


def global_selectivity(directions, curve):
    """(gOSI, gDSI) of direction curves (N, K) at ``directions`` (degrees), vector-sum definitions."""
    theta = np.deg2rad(directions)[None]
    total = curve.sum(1)
    gosi = np.abs((curve * np.exp(2j * theta)).sum(1)) / total
    gdsi = np.abs((curve * np.exp(1j * theta)).sum(1)) / total
    return gosi, gdsi
