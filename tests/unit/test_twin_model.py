"""Tests of the digital-twin model, training, readout locations and in-silico stimuli (torch, no database)."""

import numpy as np
import pytest
import torch
from scipy.ndimage import uniform_filter

from nda_ext.compute.selectivity import orientation_difference
from nda_ext.model.data import ScanData
from nda_ext.model.insilico import direction_noise_stimuli, direction_tuning, model_direction_tuning
from nda_ext.model.network import TwinConfig, TwinModel, readout_locations, scan_name
from nda_ext.model.train import poisson_loss, predict, train

TINY = TwinConfig(height=18, width=32, channels=(8,), kernels=(5,), strides=(2,), hidden=8, perspective_hidden=4,
                  modulation_hidden=4)


def planted_scan(n_frames=800, n_units=12, seed=0):
    """Responses = softplus of local mean luminance at a planted pixel per unit (a known function of the frames)."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (n_frames, TINY.height, TINY.width), dtype=np.uint8)
    smooth = uniform_filter(frames.astype(float), size=(1, 9, 9))
    rows, cols = rng.integers(4, TINY.height - 4, n_units), rng.integers(4, TINY.width - 4, n_units)
    responses = np.log1p(np.exp((smooth[:, rows, cols] - 127.5) / 4)).astype(np.float32)
    behaviour = rng.normal(size=(n_frames, 4)).astype(np.float32)
    return frames, behaviour, responses


def test_training_reduces_loss_and_predictions_track_held_out_targets():
    torch.set_num_threads(2)
    frames, behaviour, responses = planted_scan()
    data = ScanData(4, 7, frames[:600], behaviour[:600], responses[:600], np.arange(12) * 5 + 2, fps=6.3)
    model = TwinModel(TINY)
    history = train(model, [data], epochs=6, lr=3e-2, clip_len=16, batch=4, seed=1, progress=False)
    assert [h["epoch"] for h in history] == list(range(6))
    assert history[-1]["loss"] < history[0]["loss"] - 0.05
    pred = predict(model, data.key, frames[600:], behaviour[600:], burnin=5)
    target = responses[605:]
    scale = data.response_scale()
    # the model beats the best constant (per-unit training mean) predictor on held-out frames
    model_loss = poisson_loss(torch.as_tensor(pred / scale), torch.as_tensor(target / scale)).item()
    mean_rate = torch.as_tensor(np.broadcast_to(data.responses.mean(0) / scale, target.shape).copy())
    assert model_loss < poisson_loss(mean_rate, torch.as_tensor(target / scale)).item() - 0.02
    cc = [np.corrcoef(pred[:, i], target[:, i])[0, 1] for i in range(target.shape[1])]
    assert np.mean(cc) > 0.25


def test_outputs_non_negative_and_chunking_invariant():
    model = TwinModel(TINY)
    model.add_scan(1, 2, 30, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        model.scans["1_2"].readout.bias.fill_(-50.0)  # drive far below zero: elu + 1 must stay >= 0
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (2, 20, 36, 64), dtype=np.uint8)  # larger than the model input: resized
    behaviour = rng.normal(scale=100, size=(2, 20, 4))
    a = predict(model, (1, 2), frames, behaviour, chunk=64)
    b = predict(model, {"session": 1, "scan_idx": 2, "other": 0}, frames, behaviour, chunk=7)
    assert a.shape == (2, 20, 30) and (a >= 0).all()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert predict(model, "1-2", frames[0], None, burnin=5).shape == (15, 30)


def test_state_dict_layout_core_and_scan_keys():
    model = TwinModel(TINY)
    model.add_scan(4, 7, 5)
    keys = list(model.state_dict())
    assert all(k.startswith("core.") or k.startswith("scans.4_7.") for k in keys)
    scan_keys = set(model.scans["4_7"].state_dict())
    assert {"readout.position", "readout.features", "readout.bias", "readout.scale"} <= scan_keys
    assert not any(k.startswith("core.") for k in scan_keys)


def test_readout_locations_follow_sampled_position():
    """A unit whose readout samples a map equal to the x (or y) coordinate returns its reported location."""
    model = TwinModel(TINY)
    module = model.add_scan(4, 7, 3)
    wanted = np.array([[0.5, 0.5], [-0.3, 0.7], [0.0, -0.6]])  # (x, y), y up
    with torch.no_grad():
        module.readout.position.copy_(torch.atanh(torch.tensor(wanted * [1, -1], dtype=torch.float32)))
    x, y = readout_locations(model, (4, 7))
    np.testing.assert_allclose(np.c_[x, y], wanted, atol=1e-6)
    h, w = 64, 64
    cols = (np.arange(w) + 0.5) / w * 2 - 1
    rows_up = -((np.arange(h) + 0.5) / h * 2 - 1)  # y up at each row centre
    channels = TINY.core_channels
    core = torch.zeros(2, channels, h, w)
    core[0, 0] = torch.tensor(np.broadcast_to(cols, (h, w)).copy())
    core[1, 0] = torch.tensor(np.broadcast_to(rows_up[:, None], (h, w)).copy())
    with torch.no_grad():
        module.readout.features.zero_()
        module.readout.features[:, 0] = 1.0
        sampled = module.readout(core).numpy()
    np.testing.assert_allclose(sampled[0], wanted[:, 0], atol=1e-5)
    np.testing.assert_allclose(sampled[1], wanted[:, 1], atol=1e-5)


def phase_correlation_shift(a, b):
    """Integer (dx, dy_rows) translation taking image a to image b."""
    cross = np.fft.fft2(b) * np.conj(np.fft.fft2(a))
    peak = np.unravel_index(np.argmax(np.fft.ifft2(cross / (np.abs(cross) + 1e-12)).real), a.shape)
    dy, dx = [p - n if p > n // 2 else p for p, n in zip(peak, a.shape)]
    return dx, dy


def test_direction_noise_moves_in_labelled_direction():
    directions, videos = direction_noise_stimuli(16, n_frames=6, height=64, width=96, fps=10, speed=0.3)
    assert videos.shape == (16, 6, 64, 96) and videos.dtype == np.uint8
    np.testing.assert_allclose(directions, np.arange(16) * 22.5)
    for d, video in zip(directions, videos):
        dx, dy = phase_correlation_shift(video[0].astype(float), video[5].astype(float))
        estimated = np.rad2deg(np.arctan2(-dy, dx)) % 360  # rows grow downwards; our y is up
        assert abs((estimated - d + 180) % 360 - 180) < 8, (d, estimated)
        assert np.hypot(dx, dy) == pytest.approx(0.3 * 96 / 10 * 5, abs=1.5)
        # spatial-frequency energy is concentrated along the motion axis (structure orthogonal to motion)
        power = np.abs(np.fft.fft2(video[0] - video[0].mean())) ** 2
        ky, kx = np.meshgrid(np.fft.fftfreq(64), np.fft.fftfreq(96), indexing="ij")
        axis = np.rad2deg(np.angle((power * np.exp(2j * np.arctan2(-ky, kx))).sum())) / 2 % 180
        assert orientation_difference(axis, d) < 8


def test_direction_tuning_drops_burnin_and_transposes():
    videos = np.zeros((4, 10, 8, 8), np.uint8)

    def respond(v):
        out = np.broadcast_to(np.arange(4.0)[:, None, None], (4, 10, 3)).copy()
        out[:, :3] = 1000.0  # burn-in frames must not count
        out[:, :, 2] *= 2
        return out

    curves = direction_tuning(respond, videos, burnin=3)
    np.testing.assert_array_equal(curves, [[0, 1, 2, 3], [0, 1, 2, 3], [0, 2, 4, 6]])


def test_model_direction_tuning_shape_and_sign():
    model = TwinModel(TINY)
    model.add_scan(4, 7, 6, fps=5.0)
    directions, curves = model_direction_tuning(model, (4, 7), seconds=2.0, burnin_seconds=0.6)
    assert directions.shape == (16,) and curves.shape == (6, 16) and (curves >= 0).all()


def test_input_validation_names_argument():
    with pytest.raises(ValueError, match="responses"):
        ScanData(1, 1, np.zeros((5, 4, 4), np.uint8), None, np.zeros((4, 2)), [1, 2], 6.0)
    with pytest.raises(ValueError, match="behaviour"):
        ScanData(1, 1, np.zeros((5, 4, 4), np.uint8), np.zeros((5, 3)), np.zeros((5, 2)), [1, 2], 6.0)
    with pytest.raises(ValueError, match="scan_key"):
        scan_name("four-seven")
    with pytest.raises(KeyError, match="4_7"):
        TwinModel(TINY).scan((4, 7))
