"""Population-rate PSDs per scan and area (export.PopulationPsd) and their automind-style CSV."""

import numpy as np
import pandas as pd
import pytest
from scipy import signal

from nda_ext import export

SCAN = {"session": 4, "scan_idx": 7}


@pytest.fixture(scope="module")
def psd(demo_loaded):
    table = demo_loaded["export"].PopulationPsd
    table.populate()
    return demo_loaded


def test_psd_per_area_matches_scipy_welch(psd):
    nda, table = psd["nda"], psd["export"].PopulationPsd
    assert len(table & {"psd_params": "default"}) == len(nda.Scan & nda.AreaMembership)
    key = {**SCAN, "psd_params": "default"}
    fs, freqs = (table & key).fetch1("fs", "freqs")
    assert freqs[0] == pytest.approx(0.05) and freqs[-1] <= fs / 2 and np.allclose(np.diff(freqs), 0.05)
    areas = set((table.Area & key).to_arrays("brain_area"))
    assert areas == set(np.char.strip((nda.AreaMembership & SCAN).to_arrays("brain_area").astype(str))) | {"all"}
    soma = (nda.ScanUnit * nda.AreaMembership * nda.Activity & SCAN
            & (nda.MaskClassification & {"mask_type": "soma"}) & {"brain_area": "V1"})
    traces = np.stack(soma.to_arrays("trace"))
    row = (table.Area & key & {"brain_area": "V1"}).fetch1()
    assert row["n_units"] == len(traces)
    rate = traces.mean(axis=0)[int(round(0.1 * fs)):]
    nperseg = int(round(20.0 * fs))
    f, density = signal.welch(rate, fs=fs, nperseg=nperseg, noverlap=int(0.75 * nperseg))
    np.testing.assert_allclose(row["power"], np.log10(np.interp(freqs, f, density)), rtol=1e-6, atol=1e-9)


def test_psd_csv_layout(psd, tmp_path):
    path = export.psd_csv(tmp_path / "nda_summary.csv", "automind", schemas=psd)
    frame = pd.read_csv(path)
    assert list(frame.columns[:6]) == ["mouse", "session", "scan_idx", "area", "n_units", "fs"]
    psd_columns = [c for c in frame.columns if c.startswith("psd_")]
    assert psd_columns == [f"psd_{f}" for f in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)]  # 0.5 Hz grid below fs / 2 = 3.15
    assert (frame["mouse"] == 17797).all() and len(frame) == len(psd["export"].PopulationPsd.Area
                                                                 & {"psd_params": "automind"})
    assert np.isfinite(frame[psd_columns].to_numpy()).all()


def test_psd_summary_without_rows_says_populate(psd):
    with pytest.raises(ValueError, match="populate it first"):
        export.psd_summary("default", {"session": 99}, schemas=psd)
