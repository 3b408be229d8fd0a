"""Sensorium export of demo scans: layout, tiers, values against an independent resampling, and loading with
neuralpredictors (FileTreeDataset / MovieFileTreeDataset and their normalisers)."""

import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

from nda_ext import export

SCAN = {"session": 4, "scan_idx": 7}


@pytest.fixture(scope="module")
def exported(demo_loaded, tmp_path_factory):
    out = tmp_path_factory.mktemp("sensorium")
    return {kind: export.sensorium(SCAN, out, kind, schemas=demo_loaded) for kind in ("video", "static")}


def _scan_arrays(nda):
    units = (nda.ScanUnit * nda.Activity & SCAN).to_pandas(order_by="unit_id")
    frame_times = np.asarray((nda.ScanTimes & SCAN).fetch1("frame_times"), float)
    return units, frame_times


def test_video_export_values_and_tiers(demo_loaded, exported):
    nda = demo_loaded["nda"]
    folder = exported["video"]
    assert folder.name == "dynamic17797-4-7-Video-video_default"
    trials = (nda.Trial & SCAN).to_pandas(order_by="trial_idx").reset_index()
    tiers = np.load(folder / "meta/trials/tiers.npy")
    hashes = trials["condition_hash"].to_numpy()
    counts = {h: (hashes == h).sum() for h in hashes}
    expected = ["oracle" if counts[h] >= 10 else "train" for h in hashes]
    np.testing.assert_array_equal(tiers, expected)
    assert (tiers == "oracle").sum() == 60  # 6 oracle clips x 10 repeats
    units, frame_times = _scan_arrays(nda)
    np.testing.assert_array_equal(np.load(folder / "meta/neurons/unit_ids.npy"),
                                  units.index.get_level_values("unit_id"))
    i = 5
    trial = trials.iloc[i]
    responses = np.load(folder / f"data/responses/{i}.npy")
    assert np.load(folder / f"data/videos/{i}.npy").shape == (36, 64, responses.shape[1]) <= (36, 64, 300)
    n = int(np.isfinite(responses).all(axis=0).sum())  # trials shorter than the longest are NaN-padded
    expected_frames = min(300, int(np.floor((trial["end_frame_time"] - trial["start_frame_time"]) * 30)) + 1)
    assert n == expected_frames
    responses = responses[:, :n]
    target = trial["start_frame_time"] + np.arange(n) / 30.0
    unit = units.iloc[17]
    independent = np.interp(target, frame_times + unit["ms_delay"] / 1000.0, unit["trace"])  # upsampling: no filter
    np.testing.assert_allclose(responses[17], independent, rtol=1e-4, atol=1e-5)
    movie = (nda.Stimulus & SCAN).fetch1("movie").astype(float)
    video = np.load(folder / f"data/videos/{i}.npy")[:, :, :n]
    np.testing.assert_allclose(video.mean(axis=(0, 1)), np.interp(target, frame_times, movie.mean(axis=(0, 1))),
                               rtol=1e-4)  # area resizing keeps the frame mean
    assert np.isfinite(np.load(folder / f"data/behavior/{i}.npy")[:, :n]).all()
    logged = (demo_loaded["export"].SensoriumExport & SCAN & {"sensorium_params": "video_default"}).fetch1()
    assert logged["n_trials"] == len(trials) and logged["tiers"]["oracle"] == 60


def test_video_export_loads_with_moviefiletreedataset(exported, neuralpredictors):
    datasets, transforms = neuralpredictors("data.datasets"), neuralpredictors("data.transforms")
    dataset = datasets.MovieFileTreeDataset(str(exported["video"]), "videos", "responses", "behavior", "pupil_center")
    assert set(dataset.tiers) == {"train", "oracle"}
    train = np.flatnonzero(dataset.tiers == "train")
    raw = [np.load(exported["video"] / f"data/responses/{i}.npy") for i in train]
    std = np.nanstd(np.concatenate(raw, axis=1), axis=1)
    stats = dataset.statistics["videos"]["all"]
    if "in_name" in inspect.signature(transforms.NeuroNormalizer).parameters:  # neuralpredictors >= 0.3.x movies
        normalizer = transforms.NeuroNormalizer(dataset, in_name="videos")
    else:  # 0.3.0 knows images/inputs only: normalise responses and behaviour, leave the videos as stored
        normalizer = transforms.NeuroNormalizer(dataset, exclude=["videos"], inputs_mean=stats["mean"][()],
                                                inputs_std=stats["std"][()])
    dataset.transforms.extend([normalizer, transforms.ToTensor(False)])
    point = dataset[int(train[0])]
    assert tuple(point.videos.shape[:2]) == (36, 64)
    video = np.load(exported["video"] / f"data/videos/{train[0]}.npy")
    assert float(stats["std"][()]) > 0 and np.isfinite(video[..., :10]).all()
    np.testing.assert_allclose(point.responses.numpy(), raw[0] / std[:, None], rtol=1e-4)


def test_static_export_presentations(demo_loaded, exported, neuralpredictors):
    datasets, transforms = neuralpredictors("data.datasets"), neuralpredictors("data.transforms")
    nda = demo_loaded["nda"]
    folder = exported["static"]
    trial_info = {k: np.load(folder / f"meta/trials/{k}.npy") for k in ("tiers", "frame_image_id", "frame_trial_ts")}
    test = trial_info["tiers"] == "test"
    _, repeats = np.unique(trial_info["frame_image_id"][test], return_counts=True)
    assert test.any() and (repeats == 10).all()
    assert set(trial_info["tiers"]) == {"train", "validation", "test"}
    units, frame_times = _scan_arrays(nda)
    k, unit = 7, units.iloc[3]
    start = trial_info["frame_trial_ts"][k]
    grid = start + 0.1 + (np.arange(8) + 0.5) / 8 * 0.5
    expected = np.interp(grid, frame_times + unit["ms_delay"] / 1000.0, unit["trace"]).mean()
    np.testing.assert_allclose(np.load(folder / f"data/responses/{k}.npy")[3], expected, rtol=1e-4)
    dataset = datasets.FileTreeDataset(str(folder), "images", "responses", "behavior", "pupil_center")
    dataset.transforms.extend([transforms.NeuroNormalizer(dataset), transforms.ToTensor(False)])
    point = dataset[k]
    assert tuple(point.images.shape) == (1, 36, 64) and tuple(point.behavior.shape) == (3,)
    assert np.isfinite(point.responses.numpy()).all()


def test_export_rejects_bad_arguments(demo_loaded, tmp_path):
    with pytest.raises(ValueError, match="kind='movie'"):
        export.sensorium(SCAN, tmp_path, "movie", schemas=demo_loaded)
    with pytest.raises(ValueError, match="is a video setting"):
        export.sensorium(SCAN, tmp_path, "static", params="video_default", schemas=demo_loaded)


def test_cli_exports_static(demo_loaded, backend, tmp_path):
    command = [sys.executable, "-m", "nda_ext.cli", "export", "sensorium", "--scan", "5", "6",
               "--kind", "static", "--out", str(tmp_path)]
    result = subprocess.run(command, env={**os.environ, **backend.env}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "static17797-5-6-GrayImageNet-static_default" / "meta" / "trials" / "tiers.npy").exists()
