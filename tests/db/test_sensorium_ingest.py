"""Sensorium 2022 static datasets into the ``sensorium`` schema: import, oracle by populate, prediction scores,
and clear errors for malformed inputs (nothing written)."""

import shutil

import numpy as np
import pandas as pd
import pytest

from nda_ext.compute.sensorium.metrics import score_predictions
from nda_ext.sources.sensorium import SensoriumFormatError, ingest, read_static_dataset
from nda_ext.sources.sensorium.ingest import add_predictions, score
from nda_ext.sources.sensorium.write import write_static_dataset, zip_dataset

N_NEURONS, N_TRAIN, N_TEST, REPEATS = 10, 40, 6, 10
NAME = "21067-10-18"


def planted_dataset(folder):
    """Responses = gain x image drive + noise; noise grows with the neuron index (neuron 0 most reliable)."""
    rng = np.random.default_rng(7)
    images = np.r_[np.arange(N_TRAIN), np.repeat(1000 + np.arange(N_TEST), REPEATS)]
    drive = rng.gamma(2.0, 1.0, size=(images.max() + 1, N_NEURONS))[images]
    noise_sd = np.linspace(0.1, 3.0, N_NEURONS)
    responses = drive + rng.normal(size=drive.shape) * noise_sd
    n = len(images)
    neurons = pd.DataFrame({"unit_ids": 100 + np.arange(N_NEURONS), "area": "V1", "layer": "L2/3",
                            "animal_ids": 21067, "sessions": 10, "scan_idx": 18,
                            "cell_motor_coordinates": list(rng.normal(0, 100, (N_NEURONS, 3)))})
    trials = pd.DataFrame({"trial_idx": rng.permutation(n) + 5000, "image_id": images,
                           "tier": ["train"] * N_TRAIN + ["test"] * (N_TEST * REPEATS)})
    path = write_static_dataset(folder / f"static{NAME}-GrayImageNet-abc", rng.uniform(0, 255, (n, 36, 64)),
                                responses, rng.normal(size=(n, 3)), rng.normal(size=(n, 2)), neurons, trials)
    return path, drive, responses, trials


@pytest.fixture(scope="module")
def imported(pipeline, tmp_path_factory):
    folder, drive, responses, trials = planted_dataset(tmp_path_factory.mktemp("sensorium_in"))
    archive = zip_dataset(folder)
    name = ingest(archive, schemas=pipeline)
    yield pipeline["sensorium"], name, folder, drive, responses, trials
    (pipeline["sensorium"].Dataset & {"dataset": name}).delete(prompt=False)


def test_ingest_zip(imported):
    sensorium, name, _folder, _drive, responses, trials = imported
    assert name == NAME
    row = (sensorium.Dataset & {"dataset": name}).fetch1()
    assert (row["animal_id"], row["session"], row["scan_idx"]) == (21067, 10, 18)
    assert (row["n_trials"], row["n_neurons"]) == (len(trials), N_NEURONS)
    units = (sensorium.Neuron & row).to_arrays("unit_id", order_by="neuron")
    np.testing.assert_array_equal(units, 100 + np.arange(N_NEURONS))
    stored = (sensorium.Trial & row).to_pandas(order_by="trial")
    np.testing.assert_allclose(np.stack(stored["responses"]), responses, rtol=1e-6)
    np.testing.assert_array_equal(stored["tier"].to_numpy(), trials["tier"].to_numpy())
    assert ingest(_folder, schemas={"sensorium": sensorium}) == name  # already there: skipped
    assert len(sensorium.Trial & row) == len(trials)


def naive_oracle(responses, images):
    """Leave-one-out oracle per neuron by explicit loops (independent of the vectorised metric)."""
    pairs = [[], []]
    for image in np.unique(images):
        block = responses[images == image]
        for i in range(len(block)):
            pairs[0].append(block[i])
            pairs[1].append(np.delete(block, i, axis=0).mean(axis=0))
    a, b = np.array(pairs[0]), np.array(pairs[1])
    return np.array([np.corrcoef(a[:, j], b[:, j])[0, 1] for j in range(a.shape[1])])


def test_oracle_by_populate(imported):
    sensorium, name, _folder, _drive, responses, trials = imported
    sensorium.Oracle.populate({"dataset": name})
    master = (sensorium.Oracle & {"dataset": name}).fetch1()
    assert (master["tier"], master["n_images"], master["n_trials"]) == ("test", N_TEST, N_TEST * REPEATS)
    oracle, fev = (sensorium.Oracle.Neuron & {"dataset": name}).to_arrays("oracle", "fev", order_by="neuron")
    test = trials["tier"].to_numpy() == "test"
    np.testing.assert_allclose(oracle, naive_oracle(responses[test], trials["image_id"].to_numpy()[test]), atol=1e-6)
    assert fev[0] > 0.8 and fev[0] > fev[-1]  # planted: neuron 0 least noisy


def test_predictions_are_scored(imported):
    sensorium, name, folder, drive, responses, trials = imported
    test = trials[trials["tier"] == "test"]
    predictions = pd.DataFrame({"trial_indices": test["trial_idx"].to_numpy(), "image_ids": test["image_id"].to_numpy(),
                                "prediction": list(drive[test.index]),
                                "neuron_ids": [100 + np.arange(N_NEURONS)] * len(test)})
    add_predictions(name, "oracle_model", predictions, schemas={"sensorium": sensorium})
    summary = score(name, "oracle_model", schemas={"sensorium": sensorium})
    expected, _ = score_predictions(predictions, read_static_dataset(folder))  # straight from the files
    for column in ("single_trial_correlation", "correlation_to_average", "feve", "fev"):
        assert summary[column] == pytest.approx(expected[column], rel=1e-6)
    direct = np.mean([np.corrcoef(drive[test.index][:, j], responses[test.index][:, j])[0, 1]
                      for j in range(N_NEURONS)])
    assert summary["single_trial_correlation"] == pytest.approx(direct, rel=1e-5)
    assert summary["correlation_to_average"] > 0.9  # the planted drive is the noise-free mean (6 images)


@pytest.mark.parametrize("damage, message", [
    ("truncate", r"data/responses/3\.npy: unreadable \.npy"),
    ("drop_file", r"inconsistent trial counts"),
    ("drop_meta", r"meta/neurons/unit_ids\.npy: file is missing"),
    ("behavior", r"data/behavior holds per-trial shape \(2,\), expected \(3,\)"),
])
def test_malformed_dataset_names_the_problem_and_writes_nothing(imported, tmp_path, damage, message):
    sensorium, _name, folder, *_ = imported
    broken = shutil.copytree(folder, tmp_path / "static99999-1-1-GrayImageNet-x")
    if damage == "truncate":
        data = (broken / "data/responses/3.npy").read_bytes()
        (broken / "data/responses/3.npy").write_bytes(data[: len(data) // 2])
    elif damage == "drop_file":
        (broken / f"data/responses/{N_TRAIN + 5}.npy").unlink()
    elif damage == "drop_meta":
        (broken / "meta/neurons/unit_ids.npy").unlink()
    else:
        for path in (broken / "data/behavior").iterdir():
            np.save(path, np.zeros(2, np.float32))
    before = len(sensorium.Dataset())
    with pytest.raises(SensoriumFormatError, match=message):
        ingest(broken, name="broken", schemas={"sensorium": sensorium})
    assert len(sensorium.Dataset()) == before
