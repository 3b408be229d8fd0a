"""Population-rate PSD (automind recipe): planted rhythm, Nyquist limit, agreement with scipy.signal.welch."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from scipy import signal

from nda_ext.compute.psd import (
    bin_spike_trains,
    population_rate,
    psd_columns,
    psd_frequencies,
    psd_summary_frame,
    welch_psd,
)
from nda_ext.plot.psd import plot_psd


def rhythmic_traces(n_units, fs, duration, freq, amplitude, rng):
    """Independent noise per unit plus one population-wide sinusoid at ``freq`` Hz, shape (n_units, T)."""
    t = np.arange(int(duration * fs)) / fs
    return 1.0 + amplitude * np.sin(2 * np.pi * freq * t) + rng.normal(size=(n_units, t.size))


def test_planted_population_rhythm_is_the_peak():
    rng = np.random.default_rng(0)
    fs = 1000.0
    traces = rhythmic_traces(30, fs, 20.0, freq=37.0, amplitude=0.3, rng=rng)
    freqs, power = welch_psd(population_rate(traces), fs)
    assert freqs[np.argmax(power)] == 37.0
    assert power[freqs == 37.0][0] > np.median(power) + 2  # > 100x the background density


def test_spike_binning_and_rate_units():
    rng = np.random.default_rng(1)
    fs, duration, rate_hz = 1000.0, 10.0, 20.0
    spikes = [np.sort(rng.uniform(0, duration, rng.poisson(rate_hz * duration))) for _ in range(50)]
    t, counts = bin_spike_trains(spikes, 0.0, duration, dt=1 / fs)
    assert counts.shape == (50, 10001) and t[1] - t[0] == pytest.approx(1e-3)
    assert counts.sum() == sum(len(s) for s in spikes)
    assert population_rate(counts, fs=fs).mean() == pytest.approx(rate_hz, rel=0.1)
    _, counts = bin_spike_trains([[0.0004, 0.0006, 0.0012, 0.003]], 0.0, 0.002, dt=0.001)  # edges at t - dt/2
    assert counts.tolist() == [[1, 2, 0]]


def test_frequency_grid_respects_nyquist():
    assert psd_frequencies(1000.0)[[0, -1]].tolist() == [0.5, 495.0] and len(psd_frequencies(1000.0)) == 990
    grid = psd_frequencies(6.3009)
    assert grid[-1] <= 6.3009 / 2 and grid[-1] == 3.0
    rng = np.random.default_rng(2)
    fs = 8.61754  # MICrONS scan rate
    freqs, power = welch_psd(rng.normal(size=int(600 * fs)), fs)
    assert freqs.max() <= fs / 2 and power.shape == freqs.shape and np.isfinite(power).all()
    with pytest.raises(ValueError, match="Nyquist"):
        psd_frequencies(0.8)
    with pytest.raises(ValueError, match="unknown keys"):
        welch_psd(np.zeros(100), 10.0, {"nperseg": 4})
    with pytest.raises(ValueError, match="nperseg"):
        welch_psd(np.zeros(100), 10.0, {"nperseg_s": 20.0})


def test_agreement_with_scipy_welch():
    rng = np.random.default_rng(3)
    fs = 1000.0
    rate = rng.normal(size=30000)
    params = {"nperseg_s": 2.0, "overlap": 0.75, "analysis_window": (0.1, None)}
    freqs, power = welch_psd(rate, fs, params)
    f_ref, p_ref = signal.welch(rate[100:], fs=fs, nperseg=2000, noverlap=1500)
    on_grid = np.isin(f_ref, freqs)
    np.testing.assert_allclose(f_ref[on_grid], freqs)
    np.testing.assert_allclose(power, np.log10(p_ref[on_grid]), rtol=1e-10)

    # off-grid resolution (1 s segments -> 1 Hz): linear interpolation of the density between native bins
    freqs, power = welch_psd(rate, fs, {"nperseg_s": 1.0, "log_power": False, "analysis_window": (0, None)})
    f_ref, p_ref = signal.welch(rate, fs=fs, nperseg=1000, noverlap=750)
    np.testing.assert_allclose(power, np.interp(freqs, f_ref, p_ref), rtol=1e-10)


def test_summary_frame_per_area_and_plot():
    rng = np.random.default_rng(4)
    fs = 200.0
    v1 = rhythmic_traces(20, fs, 30.0, freq=12.0, amplitude=0.4, rng=rng)
    lm = rhythmic_traces(10, fs, 30.0, freq=30.0, amplitude=0.4, rng=rng)
    frame = psd_summary_frame(np.r_[v1, lm], fs, ["V1"] * 20 + ["LM"] * 10,
                              key={"mouse": 17797, "session": 4, "scan_idx": 7}, include_all=True)
    assert frame.columns[:5].tolist() == ["mouse", "session", "scan_idx", "area", "n_units"]
    assert frame["area"].tolist() == ["LM", "V1", "all"] and frame["n_units"].tolist() == [10, 20, 30]
    columns, freqs = psd_columns(frame)
    assert columns[:2] == ["psd_0.5", "psd_1.0"] and freqs[-1] == 100.0
    peaks = freqs[np.argmax(frame[columns].to_numpy(), axis=1)]
    assert peaks[:2].tolist() == [30.0, 12.0]
    ax = plot_psd(frame, title="scan 4-7")
    assert [line.get_label() for line in ax.get_lines()] == ["LM", "V1", "all"]
    np.testing.assert_allclose(ax.get_lines()[1].get_xydata()[:, 1], frame.loc[1, columns].to_numpy(dtype=float))
