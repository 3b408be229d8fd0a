"""nda_ext.compute.resample against scipy and analytic signals."""

import numpy as np
import pytest
from scipy import interpolate, signal

from nda_ext.compute.resample import hamming_lowpass, hamming_taps, resample, resize_frames, resize_matrix

SOURCE_RATE, TARGET_RATE = 100.0, 6.3


def _sine(times, freq=0.5, phase=0.3):
    return np.sin(2 * np.pi * freq * times + phase)


def test_taps_follow_the_nda_recipe():
    taps = hamming_taps(SOURCE_RATE, TARGET_RATE)
    assert taps.size == 201 and taps.size % 2 == 1
    assert hamming_taps(20.0, 6.3).size == 41
    assert hamming_taps(30.0, 6.3).size == 61
    np.testing.assert_allclose(taps, taps[::-1])
    _, response = signal.freqz(taps, worN=[0.0, 1.0, 10.0], fs=SOURCE_RATE)
    assert abs(abs(response[0]) - 1) < 1e-3 and abs(abs(response[1]) - 1) < 0.01 and abs(response[2]) < 0.01


def test_lowpass_matches_scipy_convolution_in_the_interior():
    rng = np.random.default_rng(0)
    times = np.arange(0, 20, 1 / SOURCE_RATE)
    x = _sine(times) + rng.normal(0, 0.5, times.size)
    expected = signal.convolve(x, signal.firwin(201, TARGET_RATE / 2, window="hamming", fs=SOURCE_RATE), "same")
    got = hamming_lowpass(x, SOURCE_RATE, TARGET_RATE)
    np.testing.assert_allclose(got[100:-100], expected[100:-100], atol=1e-10)


def test_resample_agrees_with_scipy_and_the_sine():
    source = np.arange(0, 60, 1 / SOURCE_RATE)
    target = np.arange(0.05, 59, 1 / TARGET_RATE)
    x = _sine(source) + 0.5 * _sine(source, freq=20.0)
    filtered = signal.convolve(x, signal.firwin(201, TARGET_RATE / 2, window="hamming", fs=SOURCE_RATE), "same")
    reference = interpolate.interp1d(source, filtered)(target)
    got = resample(x, source, target)
    interior = (target > 2) & (target < 57)
    np.testing.assert_allclose(got[interior], reference[interior], atol=1e-9)
    assert np.max(np.abs(got[interior] - _sine(target[interior]))) < 0.01


def test_resample_nan_outside_source_and_around_gaps():
    source = np.arange(0, 10, 0.05)
    x = _sine(source)
    x[100:110] = np.nan
    target = np.arange(-1, 11, 0.2)
    got = resample(x, source, target)
    assert np.all(np.isnan(got[(target < 0) | (target > source[-1])]))
    gap = (target > source[99]) & (target < source[110])
    assert np.all(np.isnan(got[gap]))
    finite = ~gap & (target >= 0) & (target <= source[-1])
    assert np.all(np.isfinite(got[finite]))


def test_resample_axis_and_dtype():
    rng = np.random.default_rng(1)
    source = np.arange(0, 5, 1 / 30)
    target = np.arange(0, 5, 1 / 6.3)
    x = rng.normal(size=(source.size, 3, 2)).astype(np.float32)
    got = resample(x, source, target, axis=0)
    assert got.shape == (target.size, 3, 2) and got.dtype == np.float32
    np.testing.assert_allclose(got[:, 2, 1], resample(x[:, 2, 1], source, target), rtol=1e-5, atol=1e-6)
    plain = resample(x[:, 0, 0].astype(float), source, target, lowpass=False)
    np.testing.assert_allclose(plain, np.interp(target, source, x[:, 0, 0].astype(float)))


def test_resample_validates_times():
    with pytest.raises(ValueError, match="source_times"):
        resample(np.zeros(3), [0, 2, 1], [0, 1])
    with pytest.raises(ValueError, match="samples"):
        resample(np.zeros(4), [0, 1, 2], [0, 1])


def test_resize_matrix_area_and_linear():
    shrink = resize_matrix(90, 18)
    np.testing.assert_allclose(shrink.sum(1), 1)
    column = np.arange(90.0)
    np.testing.assert_allclose(shrink @ column, column.reshape(18, 5).mean(1))
    odd = resize_matrix(7, 3)
    np.testing.assert_allclose(odd.sum(1), 1)
    grow = resize_matrix(36, 90)
    ramp = grow @ np.arange(36.0)
    np.testing.assert_allclose(np.diff(ramp[3:-3]), 36 / 90)
    frames = np.ones((2, 36, 64), dtype=np.float32)
    out = resize_frames(frames, (90, 160))
    assert out.shape == (2, 90, 160) and out.dtype == np.float32
    np.testing.assert_allclose(out, 1, rtol=1e-6)
