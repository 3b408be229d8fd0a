"""Sensorium folder writer and reader: layout, round trip, atomicity, errors, and loading with neuralpredictors."""

import shutil

import numpy as np
import pandas as pd
import pytest

from nda_ext.sources.sensorium import SensoriumFormatError, read_static_dataset, read_video_dataset
from nda_ext.sources.sensorium.tree import STATISTICS, STATISTICS_SOURCES
from nda_ext.sources.sensorium.write import write_static_dataset, write_video_dataset, zip_dataset

N_NEURONS = 6


@pytest.fixture
def neurons():
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "unit_ids": np.arange(N_NEURONS) + 10,
        "area": ["V1"] * 4 + ["LM"] * 2,
        "layer": "L2/3",
        "animal_ids": 17797,
        "sessions": 4,
        "scan_idx": 7,
        "cell_motor_coordinates": list(rng.normal(0, 100, size=(N_NEURONS, 3))),
    })


@pytest.fixture
def static_arrays():
    rng = np.random.default_rng(2)
    n = 24
    trials = pd.DataFrame({
        "trial_idx": rng.permutation(n),
        "tier": ["train"] * 16 + ["validation"] * 4 + ["test"] * 4,
        "image_id": np.r_[np.arange(16), np.arange(4) + 100, [200, 200, 201, 201]],
    })
    return dict(images=rng.uniform(0, 255, size=(n, 36, 64)), responses=rng.gamma(2.0, 1.5, size=(n, N_NEURONS)),
                behavior=rng.normal(size=(n, 3)), pupil_center=rng.normal(size=(n, 2)), trials=trials)


@pytest.fixture
def video_arrays():
    rng = np.random.default_rng(3)
    frames = [70, 70, 64, 70, 70, 70]
    videos = [rng.uniform(0, 255, size=(36, 64, t)) for t in frames]
    return dict(
        videos=videos,
        responses=[rng.gamma(2.0, 1.0, size=(N_NEURONS, t)) for t in frames],
        behavior=[rng.normal(size=(2, t)) for t in frames],
        pupil_center=[rng.normal(size=(2, t)) for t in frames],
        trials=pd.DataFrame({"trial_idx": np.arange(6), "tier": ["train"] * 4 + ["oracle"] * 2,
                             "condition_hashes": list("abcdef")}),
    )


def write_static(tmp_path, neurons, arrays, name="static17797-4-7-GrayImageNet-x", **kwargs):
    return write_static_dataset(tmp_path / name, arrays["images"], arrays["responses"], arrays["behavior"],
                                arrays["pupil_center"], neurons, arrays["trials"], **kwargs)


def write_video(tmp_path, neurons, arrays):
    return write_video_dataset(tmp_path / "dynamic17797-4-7-Video-x", arrays["videos"], arrays["responses"],
                               arrays["behavior"], arrays["pupil_center"], neurons, arrays["trials"])


def test_static_layout_and_round_trip(tmp_path, neurons, static_arrays):
    path = write_static(tmp_path, neurons, static_arrays)
    n = len(static_arrays["trials"])
    for key in ("images", "responses", "behavior", "pupil_center"):
        assert sorted(p.name for p in (path / "data" / key).iterdir()) == sorted(f"{i}.npy" for i in range(n))
        for source in STATISTICS_SOURCES:
            assert {p.stem for p in (path / "meta/statistics" / key / source).iterdir()} == set(STATISTICS)
    assert np.load(path / "data/images/5.npy").shape == (1, 36, 64)
    assert {p.stem for p in (path / "meta/trials").iterdir()} == {"trial_idx", "tiers", "frame_image_id"}
    assert np.load(path / "meta/neurons/cell_motor_coordinates.npy").shape == (N_NEURONS, 3)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]

    for source in (path, zip_dataset(path)):
        dataset = read_static_dataset(source)
        np.testing.assert_allclose(dataset.responses, static_arrays["responses"], rtol=1e-6)
        np.testing.assert_allclose(dataset.pupil_center, static_arrays["pupil_center"], rtol=1e-6)
        assert dataset.trials["tier"].tolist() == static_arrays["trials"]["tier"].tolist()
        assert dataset.trials["image_id"].tolist() == static_arrays["trials"]["image_id"].tolist()
        assert dataset.neurons["area"].tolist() == neurons["area"].tolist()
        np.testing.assert_allclose(dataset.neurons[["cell_motor_x", "cell_motor_y", "cell_motor_z"]].to_numpy(),
                                   np.stack(neurons["cell_motor_coordinates"]), rtol=1e-6)
        np.testing.assert_allclose(dataset.stimuli([7])[0, 0], static_arrays["images"][7], rtol=1e-6)


def test_statistics_come_from_the_training_tier(tmp_path, neurons, static_arrays):
    dataset = read_static_dataset(write_static(tmp_path, neurons, static_arrays))
    train = static_arrays["trials"]["tier"].to_numpy() == "train"
    stats = dataset.statistics["responses"]["all"]
    np.testing.assert_allclose(stats["std"], static_arrays["responses"][train].std(axis=0), rtol=1e-5)
    np.testing.assert_allclose(stats["median"], np.median(static_arrays["responses"][train], axis=0), rtol=1e-5)
    np.testing.assert_allclose(dataset.statistics["images"]["stimulus_frame"]["mean"],
                               static_arrays["images"][train].mean(), rtol=1e-5)


def test_video_layout_pads_with_nan_and_round_trips(tmp_path, neurons, video_arrays):
    path = write_video(tmp_path, neurons, video_arrays)
    assert np.load(path / "data/videos/0.npy").shape == (36, 64, 70)
    short = np.load(path / "data/responses/2.npy")
    assert short.shape == (N_NEURONS, 70) and np.isnan(short[:, 64:]).all() and not np.isnan(short[:, :64]).any()
    assert np.load(path / "meta/trials/tiers.npy").tolist() == ["train"] * 4 + ["oracle"] * 2
    std = np.load(path / "meta/statistics/responses/all/std.npy")
    assert std.shape == (N_NEURONS, 1)
    train = np.concatenate(video_arrays["responses"][:4], axis=1)
    np.testing.assert_allclose(std[:, 0], train.std(axis=1), rtol=1e-5)

    dataset = read_video_dataset(path)
    assert dataset.responses.shape == (6, N_NEURONS, 70)
    np.testing.assert_allclose(dataset.responses[2, :, :64], video_arrays["responses"][2], rtol=1e-6)
    assert dataset.trials["condition_hashes"].tolist() == list("abcdef")
    assert dataset.stimuli([1]).shape == (1, 36, 64, 70)


def test_writer_rejects_bad_input_and_leaves_nothing(tmp_path, neurons, video_arrays, static_arrays):
    bad = dict(video_arrays, behavior=video_arrays["behavior"][:2] + [np.zeros((2, 3))] + video_arrays["behavior"][3:])
    with pytest.raises(ValueError, match=r"behavior\[2\]: 3 frames"):
        write_video(tmp_path, neurons, bad)
    bad = dict(static_arrays, trials=static_arrays["trials"].assign(tier="training"))
    with pytest.raises(ValueError, match="unknown tiers"):
        write_static(tmp_path, neurons, bad)
    with pytest.raises(ValueError, match="missing column 'image_id'"):
        write_static(tmp_path, neurons, dict(static_arrays, trials=static_arrays["trials"].drop(columns="image_id")))
    with pytest.raises(ValueError, match=r"responses\[0\]"):
        write_static(tmp_path, neurons.iloc[:3], static_arrays)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_is_explicit_and_atomic(tmp_path, neurons, static_arrays):
    path = write_static(tmp_path, neurons, static_arrays)
    with pytest.raises(FileExistsError):
        write_static(tmp_path, neurons, static_arrays)
    doubled = dict(static_arrays, responses=2 * static_arrays["responses"])
    write_static(tmp_path, neurons, doubled, overwrite=True)
    np.testing.assert_allclose(read_static_dataset(path).responses, doubled["responses"], rtol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_reader_errors_name_the_file(tmp_path, neurons, static_arrays):
    path = write_static(tmp_path, neurons, static_arrays)
    truncated = path / "data/responses/3.npy"
    truncated.write_bytes(truncated.read_bytes()[:-8])
    with pytest.raises(SensoriumFormatError, match="data/responses/3.npy"):
        read_static_dataset(path)

    path = write_static(tmp_path, neurons, static_arrays, name="b")
    (path / "data/behavior/23.npy").unlink()
    with pytest.raises(SensoriumFormatError, match="inconsistent trial counts.*'behavior': 23"):
        read_static_dataset(path)

    path = write_static(tmp_path, neurons, static_arrays, name="c")
    (path / "meta/trials/frame_image_id.npy").unlink()
    with pytest.raises(SensoriumFormatError, match="frame_image_id.npy: file is missing"):
        read_static_dataset(path)

    path = write_static(tmp_path, neurons, static_arrays, name="d")
    (path / "meta/neurons/unit_ids.npy").unlink()
    with pytest.raises(SensoriumFormatError, match="unit_ids.npy: file is missing"):
        read_static_dataset(path)

    path = write_static(tmp_path, neurons, static_arrays, name="e")
    np.save(path / "meta/trials/tiers.npy", np.array(["train"] * 5))
    with pytest.raises(SensoriumFormatError, match="tiers.npy: 5 entries, but the data have 24"):
        read_static_dataset(path)


# --- loading with the real neuralpredictors package ------------------------------------------------------------


def test_static_export_loads_with_filetreedataset(tmp_path, neurons, static_arrays, neuralpredictors):
    datasets, transforms = neuralpredictors("data.datasets"), neuralpredictors("data.transforms")
    archive = zip_dataset(write_static(tmp_path, neurons, static_arrays))
    shutil.rmtree(archive.with_suffix(""))
    dataset = datasets.FileTreeDataset(str(archive), "images", "responses", "behavior", "pupil_center")
    assert len(dataset) == 24
    np.testing.assert_array_equal(dataset.neurons.unit_ids, neurons["unit_ids"])
    np.testing.assert_array_equal(dataset.trial_info.frame_image_id, static_arrays["trials"]["image_id"])
    dataset.transforms.extend([transforms.NeuroNormalizer(dataset), transforms.ToTensor(False)])
    point = dataset[21]
    train = static_arrays["trials"]["tier"].to_numpy() == "train"
    images, responses = static_arrays["images"], static_arrays["responses"]
    np.testing.assert_allclose(point.responses.numpy(), responses[21] / responses[train].std(axis=0), rtol=1e-5)
    np.testing.assert_allclose(point.images.numpy()[0], (images[21] - images[train].mean()) / images[train].std(),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(point.behavior.numpy(),
                               static_arrays["behavior"][21] / static_arrays["behavior"][train].std(axis=0), rtol=1e-5)


def test_video_export_loads_with_moviefiletreedataset(tmp_path, neurons, video_arrays, neuralpredictors):
    datasets, transforms = neuralpredictors("data.datasets"), neuralpredictors("data.transforms")
    dataset = datasets.MovieFileTreeDataset(str(write_video(tmp_path, neurons, video_arrays)),
                                            "videos", "responses", "behavior", "pupil_center")
    assert len(dataset) == 6 and dataset.tiers.tolist() == ["train"] * 4 + ["oracle"] * 2
    assert len(dataset.neurons.cell_motor_coordinates) == N_NEURONS
    point = dataset[2]
    assert point.videos.shape == (36, 64, 70) and point.responses.shape == (N_NEURONS, 70)
    if not hasattr(transforms, "CutVideos"):
        pytest.skip("this neuralpredictors release has no movie transforms (CutVideos, ChangeChannelsOrder)")
    keys = ["videos", "responses", "behavior", "pupil_center"]
    reorder = [transforms.ChangeChannelsOrder((1, 0), in_name=k) for k in keys[1:]]
    dataset.transforms.extend([
        transforms.NeuroNormalizer(dataset, in_name="videos"),
        transforms.CutVideos(max_frame=None, frame_axis={k: -1 for k in keys}, target_groups=keys),
        transforms.ChangeChannelsOrder((2, 0, 1), in_name="videos"), *reorder,
        transforms.Subsequence(frames=50, channel_first=(), offset=0), *reorder,
        transforms.ExpandChannels("videos"), transforms.AddBehaviorAsChannels("videos"), transforms.ToTensor(False),
    ])
    point = dataset[2]
    assert tuple(point.videos.shape) == (3, 50, 36, 64) and tuple(point.responses.shape) == (N_NEURONS, 50)
    train_std = np.concatenate(video_arrays["responses"][:4], axis=1).std(axis=1)
    np.testing.assert_allclose(point.responses.numpy(), video_arrays["responses"][2][:, :50] / train_std[:, None],
                               rtol=1e-5)
