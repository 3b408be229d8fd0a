"""Tests of the release directory format (ours and fnn) and the fnn backend adapter."""

import json
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from nda_ext.model.fnn_backend import FNN_SIZE, require_fnn, to_fnn_inputs, zscore_behaviour
from nda_ext.model.network import TwinConfig, TwinModel
from nda_ext.model.release import FnnReleaseError, export_release, load_release, release_kind
from nda_ext.model.train import predict

TINY = TwinConfig(height=18, width=32, channels=(8,), kernels=(5,), strides=(2,), hidden=8, perspective_hidden=4,
                  modulation_hidden=4)
UNIT_IDS = {(4, 7): np.array([3, 8, 9, 15, 40]), (5, 6): np.array([1, 2, 7])}


def random_model(seed=0):
    torch.manual_seed(seed)
    model = TwinModel(TINY)
    for (session, scan_idx), ids in UNIT_IDS.items():
        model.add_scan(session, scan_idx, len(ids), fps=6.3, unit_ids=ids,
                       behaviour_mean=np.arange(4.0), behaviour_std=np.arange(1.0, 5.0),
                       response_scale=np.linspace(0.5, 2, len(ids)))
    with torch.no_grad():  # move every parameter off its initial value (zero-initialised layers included)
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.eval()


@pytest.fixture
def release(tmp_path):
    model = random_model()
    export_release(model, tmp_path / "rel")
    return model, tmp_path / "rel"


def test_round_trip_gives_identical_predictions_and_mapping(release):
    model, directory = release
    loaded, units, scans, config = load_release(directory)
    assert config == TINY and release_kind(directory) == "nda_ext"
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (12, 30, 50), dtype=np.uint8)
    behaviour = rng.normal(size=(12, 4))
    for key in UNIT_IDS:
        a = predict(model, key, frames, behaviour, burnin=2)
        b = predict(loaded, key, frames, behaviour, burnin=2)
        assert torch.equal(torch.as_tensor(a), torch.as_tensor(b))
        np.testing.assert_array_equal(loaded.scan(key).unit_ids, UNIT_IDS[key])
    assert list(units.columns) == ["session", "scan_idx", "unit_id", "readout_id"]
    rows = units[(units.session == 4) & (units.scan_idx == 7)].sort_values("readout_id")
    np.testing.assert_array_equal(rows.unit_id, UNIT_IDS[(4, 7)])
    assert dict(zip(zip(scans.session, scans.scan_idx), scans.units)) == {(4, 7): 5, (5, 6): 3}
    core = torch.load(directory / "params_core.pt", weights_only=True)
    scan = torch.load(directory / "params_4_7.pt", weights_only=True)
    assert core and all(k.startswith("core.") for k in core)
    assert "readout.position" in scan and not any(k.startswith(("core.", "scans.")) for k in scan)


def test_export_takes_an_explicit_units_table(tmp_path):
    model = random_model()
    table = pd.concat([pd.DataFrame({"session": s, "scan_idx": i, "unit_id": ids + 1000,
                                     "readout_id": np.arange(len(ids))}) for (s, i), ids in UNIT_IDS.items()])
    export_release(model, tmp_path, table)
    _, units, _, _ = load_release(tmp_path)
    assert units.unit_id.min() > 1000
    with pytest.raises(ValueError, match="readout_id"):
        export_release(model, tmp_path / "bad", table.iloc[1:])


def test_missing_scan_file_is_named(release):
    _, directory = release
    (directory / "params_5_6.pt").unlink()
    with pytest.raises(FileNotFoundError, match="params_5_6.pt"):
        load_release(directory)


def test_missing_core_file_is_named(release):
    _, directory = release
    (directory / "params_core.pt").unlink()
    with pytest.raises(FileNotFoundError, match="params_core.pt"):
        load_release(directory)


def test_units_csv_disagreeing_with_unit_count(release):
    _, directory = release
    units = pd.read_csv(directory / "units.csv")
    units.iloc[:-1].to_csv(directory / "units.csv", index=False)  # drop the last readout of 5-6
    with pytest.raises(ValueError, match=r"units\.csv.*5-6"):
        load_release(directory)


def test_state_dict_disagreeing_with_scans_csv(release):
    _, directory = release
    scans = pd.read_csv(directory / "scans.csv")
    units = pd.read_csv(directory / "units.csv")
    scans.loc[scans.session == 4, "units"] = 4
    scans.to_csv(directory / "scans.csv", index=False)
    units[~((units.session == 4) & (units.readout_id == 4))].to_csv(directory / "units.csv", index=False)
    with pytest.raises(ValueError, match=r"params_4_7\.pt.*5 units.*4"):
        load_release(directory)


def test_unknown_scan_in_units_csv(release):
    _, directory = release
    units = pd.read_csv(directory / "units.csv")
    extra = pd.DataFrame({"session": [9], "scan_idx": [1], "unit_id": [1], "readout_id": [0]})
    pd.concat([units, extra]).to_csv(directory / "units.csv", index=False)
    with pytest.raises(ValueError, match=r"\(9, 1\).*scans\.csv"):
        load_release(directory)


def test_scans_csv_scan_unknown_to_config(release):
    _, directory = release
    config = json.loads((directory / "config.json").read_text())
    del config["scans"]["5_6"]
    (directory / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"scans\.csv.*5_6"):
        load_release(directory)


def test_fnn_release_is_detected(release, tmp_path):
    _, directory = release
    (directory / "config.json").unlink()
    assert release_kind(directory) == "fnn"
    with pytest.raises(FnnReleaseError, match="backend='fnn'"):
        load_release(directory)
    with pytest.raises(FileNotFoundError, match="params_core.pt"):
        release_kind(tmp_path / "empty")


def test_fnn_inputs_resampled_and_zscored():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (10, 90, 160), dtype=np.uint8)
    frames[3] = 200  # a uniform frame survives resizing unchanged
    behaviour = rng.normal(5, 2, size=(10, 4))
    stimuli, perspectives, modulations = to_fnn_inputs(frames, 10.0, behaviour)
    assert stimuli.shape == (30,) + FNN_SIZE and stimuli.dtype == np.uint8
    assert (stimuli[9:12] == 200).all() and not (stimuli[8] == 200).all()  # frame 3 held for 3 model frames
    z = np.c_[perspectives, modulations]
    np.testing.assert_allclose(z[::3], (behaviour - behaviour.mean(0)) / behaviour.std(0), atol=1e-12)
    p, m = zscore_behaviour(np.array([[1.0, np.nan, 3, 4]]), mean=np.ones(4), std=np.full(4, 2.0))
    np.testing.assert_array_equal(np.c_[p, m], [[0, 0, 1, 1.5]])


def test_missing_fnn_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "fnn", None)
    with pytest.raises(ImportError, match="pip install git\\+https://github.com/cajal/fnn"):
        require_fnn()


def test_fnn_backend_drives_a_real_fnn_network(tmp_path):
    pytest.importorskip("fnn.microns")
    from fnn.microns.build import network

    from nda_ext.model.fnn_backend import FnnScan

    torch.manual_seed(0)
    n_units = 6
    net = network(n_units)
    with torch.no_grad():  # random readout so units differ (fresh builds start at mu = 0, zero features)
        net.readout.position.mu.uniform_(-1, 1)
        for p in net.readout.feature.parameters():
            p.normal_()
    state = net.state_dict()
    torch.save({k: v for k, v in state.items() if k.startswith("core.")}, tmp_path / "params_core.pt")
    torch.save({k: v for k, v in state.items() if not k.startswith("core.")}, tmp_path / "params_4_7.pt")
    pd.DataFrame({"session": 4, "scan_idx": 7, "unit_id": np.arange(n_units) * 3 + 1,
                  "readout_id": np.arange(n_units)}).to_csv(tmp_path / "units.csv", index=False)
    pd.DataFrame({"session": [4], "scan_idx": [7], "units": [n_units], "data_id": ["x"]}).to_csv(
        tmp_path / "scans.csv", index=False)
    assert release_kind(tmp_path) == "fnn"
    scan = FnnScan(tmp_path, {"session": 4, "scan_idx": 7}, cuda=False)
    assert list(scan.units.unit_id) == list(np.arange(n_units) * 3 + 1)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (4, 90, 160), dtype=np.uint8)
    behaviour = rng.normal(size=(4, 4))
    out = scan.predict(frames, fps=10.0, behaviour=behaviour, burnin=2)
    expected = net.eval().predict(*to_fnn_inputs(frames, 10.0, behaviour))[2:]
    assert out.shape == (10, n_units) and (out >= 0).all() and out.std(axis=1).max() > 0
    np.testing.assert_array_equal(out, expected)
    videos = rng.integers(0, 256, (2, 3) + FNN_SIZE, dtype=np.uint8)
    np.testing.assert_allclose(scan.respond(videos)[1], net.predict(videos[1]), rtol=1e-5)
    x, y = scan.readout_locations()
    mu = torch.tanh(net.readout.position.mu).detach().numpy()
    np.testing.assert_allclose(np.c_[x, y], mu * [1, -1])
