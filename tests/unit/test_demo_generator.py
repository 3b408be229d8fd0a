"""The demo dataset generator: v8 table shapes, nda recipes and recovery of the planted ground truth."""

import base64
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from nda_ext.compute.resample import resize_frames
from nda_ext.compute.selectivity import orientation_difference
from nda_ext.sources.demo import TABLES, DemoConfig, generate

SPEC = json.loads(((Path(__file__).parents[1] / "data") / "nda_v8_tables.json").read_text())
TINY = dict(n_units=8, scans=((4, 7),), n_oracle_clips=2, clip_duration_s=1.0, monet2_duration_s=4.0,
            monet2_min_trials=2, trippy_duration_s=2.0, duration_s=80.0, field_shape=(44, 25))


@pytest.fixture(scope="module")
def dataset():
    return generate(DemoConfig(seed=3, n_units=80))


def _of_scan(rows, scan):
    return [r for r in rows if (r["session"], r["scan_idx"]) == scan]


def _check_value(table, name, kind, nullable, value):
    where = f"{table}.{name}"
    if value is None:
        assert nullable, f"{where} is None but not nullable"
    elif "int" in kind:
        assert isinstance(value, int) and not isinstance(value, bool), where
        bits = {"tinyint": 8, "smallint": 16, "int": 32}[kind.split()[0]]
        low = 0 if "unsigned" in kind else -(2 ** (bits - 1))
        assert low <= value < 2 ** (bits - (0 if "unsigned" in kind else 1)), where
    elif kind in ("float", "double") or kind.startswith("decimal"):
        assert isinstance(value, float), where
    elif "char" in kind:
        assert isinstance(value, str) and len(value) <= int(re.search(r"\d+", kind).group()), where
    else:
        assert kind in ("blob", "longblob") and isinstance(value, (np.ndarray, dict)), where


def test_tables_have_v8_attributes_and_types(dataset):
    assert set(dataset.tables) == set(SPEC) - {"Oracle"} == set(TABLES)
    for table, rows in dataset.tables.items():
        spec = SPEC[table]
        attributes = [(n, t, False) for n, t in spec["primary_key"]] + [tuple(a) for a in spec["secondary"]]
        assert rows, table
        keys = [tuple(r[n] for n, _ in spec["primary_key"]) for r in rows]
        assert len(set(keys)) == len(keys), f"duplicate primary keys in {table}"
        for row in rows:
            assert set(row) == {a[0] for a in attributes}, table
            for name, kind, nullable in attributes:
                _check_value(table, name, kind, nullable, row[name])


def test_array_shapes_and_dtypes(dataset):
    t = dataset.tables
    cfg = dataset.config
    n, (height, width) = cfg.nframes, cfg.field_shape
    assert all(r["trace"].dtype == np.float32 and r["trace"].shape == (n,) for r in t["Activity"] + t["Fluorescence"])
    assert all(r["frame_times"].dtype == np.float64 and r["frame_times"].shape == (n,) for r in t["ScanTimes"])
    assert all(r["frame_times"][0] == 0 and np.all(np.diff(r["frame_times"]) > 0) for r in t["ScanTimes"])
    assert all(r["movie"].dtype == np.uint8 and r["movie"].shape == (90, 160, n) for r in t["Stimulus"])
    for r in t["SummaryImages"]:
        assert r["correlation"].shape == r["average"].shape == (height, width)
        assert r["average"].dtype == r["correlation"].dtype == np.float32
    for r in t["Segmentation"]:
        assert r["weights"].dtype == np.float32 and r["pixels"].shape == r["weights"].shape
        assert r["pixels"].min() >= 1 and r["pixels"].max() <= height * width
    for r in t["Clip"]:
        assert r["clip"].dtype == np.float32 and r["clip"].shape[0] == round(r["duration"] * r["fps"])
        assert r["short_movie_name"] in ("Cinematic", "sports1m", "Rendered")
    for r in t["Monet2"]:
        assert r["movie"].dtype == np.uint8 and r["movie"].ndim == 4 and r["movie"].shape[2] == 1
        assert r["movie"].shape[3] == round(r["duration"] * r["fps"])
        assert r["directions"].dtype == r["onsets"].dtype == np.float64
        np.testing.assert_array_equal(np.sort(r["directions"]), np.arange(16) * 22.5)
    assert all(r["movie"].dtype == np.uint8 and r["movie"].ndim == 3 for r in t["Trippy"])
    for r in t["Clip"] + t["Monet2"] + t["Trippy"] + t["Trial"]:
        assert len(r["condition_hash"]) == 20 and base64.b64decode(r["condition_hash"][:16])
    for r in t["ManualPupil"]:
        assert all(r[k].shape == (n,) for k in ("pupil_min_r", "pupil_maj_r", "pupil_x", "pupil_y"))
        assert 0 < np.isnan(r["pupil_maj_r"]).mean() < 0.1
    assert all(np.isfinite(r["treadmill_velocity"]).all() for r in t["Treadmill"])
    assert {r["transform_id"] for r in t["Coregistration"]} == set(range(1, 9))


def test_generation_is_deterministic_by_seed():
    first, second = generate(DemoConfig(seed=5, **TINY)), generate(DemoConfig(seed=5, **TINY))
    other = generate(DemoConfig(seed=6, **TINY))
    for table, rows in first.tables.items():
        for a, b in zip(rows, second.tables[table]):
            for name, value in a.items():
                if isinstance(value, np.ndarray):
                    np.testing.assert_array_equal(value, b[name], err_msg=f"{table}.{name}")
    assert first.truth.equals(second.truth)
    assert not np.array_equal(first.tables["Activity"][0]["trace"], other.tables["Activity"][0]["trace"])


def test_unit_hash_recipe(dataset):
    for row in dataset.tables["UnitHash"]:
        text = json.dumps({"session": row["session"], "scan_idx": row["scan_idx"], "unit_id": row["unit_id"]})
        assert row["hash"] == hashlib.sha256(text.encode()).hexdigest()[:12]
        assert row["str_key"] == f"{row['session']:02d}_{row['scan_idx']:02d}_{row['unit_id']:06d}"


def test_oracle_clips_found_by_the_ten_repeat_rule(dataset):
    for scan in dataset.config.scans:
        trials = sorted(_of_scan(dataset.tables["Trial"], scan), key=lambda r: r["trial_idx"])
        hashes = [t["condition_hash"] for t in trials]
        oracle = sorted({h for h in hashes if hashes.count(h) == 10}, key=hashes.index)
        assert len(oracle) == 6
        assert {t["type"] for t in trials if t["condition_hash"] in oracle} == {"stimulus.Clip"}
        firsts = [i for i, h in enumerate(hashes) if h == oracle[0]]
        assert len(firsts) == 10
        assert all(sorted(hashes[i:i + 6]) == sorted(oracle) for i in firsts)


def test_trial_timing(dataset):
    for scan in dataset.config.scans:
        frame_times = _of_scan(dataset.tables["ScanTimes"], scan)[0]["frame_times"]
        trials = sorted(_of_scan(dataset.tables["Trial"], scan), key=lambda r: r["trial_idx"])
        for trial, following in zip(trials, trials[1:]):
            assert trial["end_idx"] == following["start_idx"] - 1
            assert following["start_frame_time"] > trial["end_frame_time"]
        for trial in trials:
            assert trial["start_frame_time"] == trial["stim_times"][0]
            assert trial["end_frame_time"] == trial["stim_times"][-1]
            assert trial["start_idx"] == np.argmin(np.abs(frame_times - trial["start_frame_time"]))
        assert trials[-1]["end_idx"] < len(frame_times)


def _direction_labels(dataset, scan):
    """(frame indices, our-convention direction) of each Monet2 segment, from Trial * Monet2 (nda recipe)."""
    frame_times = _of_scan(dataset.tables["ScanTimes"], scan)[0]["frame_times"]
    monet2 = {r["condition_hash"]: r for r in dataset.tables["Monet2"]}
    segments = []
    for trial in _of_scan(dataset.tables["Trial"], scan):
        if trial["type"] == "stimulus.Monet2":
            cond = monet2[trial["condition_hash"]]
            length = cond["duration"] / cond["n_dirs"] * cond["ori_fraction"]
            for direction, onset in zip(cond["directions"], cond["onsets"]):
                start = trial["start_frame_time"] + onset
                frames = np.flatnonzero((frame_times >= start) & (frame_times < start + length))
                segments.append((frames, (90 - direction) % 360))
    return segments


def _displacement(first, last):
    """(dx right, dy up) px of the phase-correlation peak between two frames."""
    product = np.fft.fft2(last - last.mean()) * np.conj(np.fft.fft2(first - first.mean()))
    peak = np.unravel_index(np.argmax(np.abs(np.fft.ifft2(product))), first.shape)
    dy, dx = ((p + s // 2) % s - s // 2 for p, s in zip(peak, first.shape))
    return dx, -dy


def test_monet2_frame_labels_match_the_motion_in_the_movie(dataset):
    scan = dataset.config.scans[0]
    movie = _of_scan(dataset.tables["Stimulus"], scan)[0]["movie"].astype(float)
    segments = _direction_labels(dataset, scan)
    counts = np.unique([d for _, d in segments], return_counts=True)[1]
    assert counts.size == 16 and counts.min() >= 10
    errors = []
    for frames, direction in segments:
        dx, dy = _displacement(movie[:, :, frames[0]], movie[:, :, frames[-1]])
        errors.append(abs((np.rad2deg(np.arctan2(dy, dx)) - direction + 180) % 360 - 180))
    assert np.mean(np.array(errors) < 22.5) > 0.9


def test_stimulus_movie_shows_the_clip_frames(dataset):
    scan = dataset.config.scans[0]
    frame_times = _of_scan(dataset.tables["ScanTimes"], scan)[0]["frame_times"]
    movie = _of_scan(dataset.tables["Stimulus"], scan)[0]["movie"].astype(float)
    clips = {r["condition_hash"]: r for r in dataset.tables["Clip"]}
    trial = next(t for t in _of_scan(dataset.tables["Trial"], scan) if t["type"] == "stimulus.Clip")
    clip = clips[trial["condition_hash"]]
    frame = trial["start_idx"] + 10
    shown = int(round((frame_times[frame] - trial["start_frame_time"]) * clip["fps"]))
    expected = resize_frames(clip["clip"][shown], (90, 160))
    assert np.corrcoef(expected.ravel(), movie[:, :, frame].ravel())[0, 1] > 0.8
    assert movie[:, :, 0].max() == 0


def test_anatomy_is_consistent(dataset):
    t = dataset.tables
    stack = t["Stack"][0]
    units = {(r["session"], r["scan_idx"], r["unit_id"]): r for r in t["ScanUnit"]}
    for row in t["StackUnit"]:
        unit = units[row["session"], row["scan_idx"], row["unit_id"]]
        assert row["field"] == unit["field"]
        motor = np.array([row["motor_x"], row["motor_y"], row["motor_z"]])
        assert np.all(np.abs(motor - [unit["um_x"], unit["um_y"], unit["um_z"]]) < 40)
        local = motor - [stack["motor_x"], stack["motor_y"], stack["motor_z"]] + np.array(
            [stack["um_width"], stack["um_height"], stack["um_depth"]]) / 2
        np.testing.assert_allclose([row["stack_x"], row["stack_y"], row["stack_z"]], local, atol=0.006)
    for scan_times in t["ScanTimes"]:
        depths = {f["field_z"] for f in _of_scan(t["Field"], (scan_times["session"], scan_times["scan_idx"]))}
        assert scan_times["ndepths"] == len(depths) > 1
    assert {r["brain_area"] for r in t["AreaMembership"]} <= {"V1", "LM", "AL", "RL"}
    assert "V1" in {r["brain_area"] for r in t["AreaMembership"]}


def test_mask_centroids_match_scan_units(dataset):
    height, width = dataset.config.field_shape
    masks = {(r["session"], r["scan_idx"], r["field"], r["mask_id"]): r for r in dataset.tables["Segmentation"]}
    for unit in dataset.tables["ScanUnit"]:
        mask = masks[unit["session"], unit["scan_idx"], unit["field"], unit["mask_id"]]
        image = np.zeros(height * width)
        image[mask["pixels"] - 1] = mask["weights"]
        image = image.reshape((height, width), order="F")
        rows, cols = np.nonzero(image)
        weights = image[rows, cols]
        assert abs(np.average(cols, weights=weights) - unit["px_x"]) < 1.5
        assert abs(np.average(rows, weights=weights) - unit["px_y"]) < 1.5


def test_direction_tuning_recovers_planted_orientation(dataset):
    truth = dataset.truth
    recovered, planted = [], []
    for scan in dataset.config.scans:
        activity = np.stack([r["trace"] for r in sorted(_of_scan(dataset.tables["Activity"], scan),
                                                           key=lambda r: r["unit_id"])])
        responses = {}
        for frames, direction in _direction_labels(dataset, scan):
            responses.setdefault(direction, []).append(activity[:, frames].mean(1))
        directions = np.array(sorted(responses))
        curve = np.stack([np.mean(responses[d], axis=0) for d in directions], axis=1)
        vector = (curve * np.exp(2j * np.deg2rad(directions))).sum(1)
        recovered.append(np.rad2deg(np.angle(vector)) / 2 % 180)
        planted.append(truth[(truth.session == scan[0]) & (truth.scan_idx == scan[1])].sort_values("unit_id"))
    recovered = np.concatenate(recovered)
    planted = np.concatenate([p[["pref_ori", "planted_gosi"]].to_numpy() for p in planted])
    selective = planted[:, 1] > 0.25
    error = orientation_difference(recovered, planted[:, 0])
    assert selective.sum() >= 20
    assert np.mean(error[selective] < 10) >= 0.95
    assert np.median(error[planted[:, 1] < 0.05]) > 20


def test_stimulus_movie_does_not_depend_on_chunking(monkeypatch):
    from nda_ext.sources.demo import movie, schedule

    cfg = DemoConfig(**TINY)
    rng = np.random.default_rng(0)
    movies = [rng.uniform(0, 255, (n, 6, 8)).astype(np.float32) for n in (30, 60, 30, 45)]
    plan = schedule.display_plan(rng, [len(m) for m in movies], cfg)
    frame_times = np.arange(cfg.nframes) / cfg.fps
    monkeypatch.setattr(movie, "CHUNK_FRAMES", 37)
    chunked = movie.stimulus_movie(plan, movies, frame_times)
    monkeypatch.setattr(movie, "CHUNK_FRAMES", 10 ** 6)
    np.testing.assert_array_equal(chunked, movie.stimulus_movie(plan, movies, frame_times))


def test_config_errors_name_the_setting():
    with pytest.raises(ValueError, match="duration_s"):
        generate(DemoConfig(duration_s=100.0))
    with pytest.raises(ValueError, match="n_fields"):
        DemoConfig(n_fields=9)
    with pytest.raises(ValueError, match="soma_fraction"):
        DemoConfig(soma_fraction=1.5)
