"""Sensorium 2022 static datasets imported into the database, their reliability and prediction scores.

Filled by :func:`nda_ext.sources.sensorium.ingest` (Dataset, Neuron, Trial) and
:func:`nda_ext.sources.sensorium.ingest.add_predictions` (Prediction); ``Oracle`` and ``Score`` are computed by
``populate`` with the Sensorium metrics of :mod:`nda_ext.compute.sensorium.metrics`. Responses are stored as the
files hold them (Sensorium standardises them per neuron by its training-set std).
"""

from dataclasses import dataclass

import datajoint as dj
import numpy as np
import pandas as pd

from nda_ext.compute.sensorium.metrics import repeat_reliability, score_predictions
from nda_ext.dj.insert import bulk_insert
from nda_ext.dj.make import FingerprintedMake

schema = dj.Schema()

REPEAT_TIERS = ("test", "oracle", "validation", "train")


@schema
class Dataset(dj.Manual):
    """One imported Sensorium recording.

    Attributes:
        dataset: ``<animal>-<session>-<scan>`` (the Sensorium data key) or the given name.
        kind: ``static`` (Sensorium 2022 images).
        animal_id, session, scan_idx: Recording, from ``meta/neurons`` or the folder name.
        source_path: Folder or zip it was read from.
        n_trials, n_neurons: Data files and neurons.
        ingested_at, nda_ext_version: Provenance.
    """

    definition = """
    dataset: varchar(64)
    ---
    kind: varchar(8)
    animal_id: int64
    session: int32
    scan_idx: int32
    source_path: varchar(1024)
    n_trials: int32
    n_neurons: int32
    ingested_at: datetime
    nda_ext_version: varchar(32)
    """


@schema
class Neuron(dj.Manual):
    """One neuron in response order (``neuron`` = column of the response vectors).

    Attributes:
        unit_id: Sensorium ``unit_ids``.
        area, layer: Brain area and layer ('' where the dataset has none).
        motor_x, motor_y, motor_z: ``cell_motor_coordinates``, um (NULL where absent).
    """

    definition = """
    -> Dataset
    neuron: int32
    ---
    unit_id: int64
    area: varchar(16)
    layer: varchar(16)
    motor_x = null: float64
    motor_y = null: float64
    motor_z = null: float64
    """


@schema
class Trial(dj.Manual):
    """One data file (``trial`` = file number) with its responses and behaviour.

    Attributes:
        trial_idx: ``meta/trials/trial_idx`` as text (hashed strings for the competition mice).
        tier: train, validation, test or final_test.
        image_id: ``frame_image_id`` (repeats share it).
        responses: (n_neurons,) float32; behavior: (3,) pupil dilation, its derivative, running speed;
            pupil_center: (2,) horizontal, vertical.
    """

    definition = """
    -> Dataset
    trial: int32
    ---
    trial_idx: varchar(64)
    tier: varchar(16)
    image_id: int64
    responses: <blob>
    behavior: <blob>
    pupil_center: <blob>
    """


@schema
class Oracle(FingerprintedMake, dj.Computed):
    """Jackknife (leave-one-out) oracle and fraction of explainable variance per neuron over repeated images.

    Attributes:
        tier: Tier whose repeated images were used (the first of test, oracle, validation, train with repeats).
        n_images, n_trials: Repeated images and their trials.
    """

    definition = """
    -> Dataset
    ---
    tier: varchar(16)
    n_images: int32
    n_trials: int32
    """

    class Neuron(dj.Part):
        """Reliability of one neuron.

        Attributes:
            oracle: Jackknife oracle correlation.
            fev: Fraction of explainable variance (may be negative for unreliable neurons).
        """

        definition = """
        -> master
        -> Neuron
        ---
        oracle: float64
        fev: float64
        """

    def make_fetch(self, key):
        tiers, images, responses = (Trial & key).to_arrays("tier", "image_id", "responses", order_by="trial")
        return np.asarray(tiers).astype(str), np.asarray(images), np.stack(list(responses))

    def make_compute(self, key, tiers, images, responses):
        try:
            found = repeat_reliability(tiers, images, responses, REPEAT_TIERS)
        except ValueError as error:
            raise ValueError(f"dataset {key['dataset']}: {error}") from None
        parts = [dict(key, neuron=i, oracle=float(o), fev=float(f))
                 for i, (o, f) in enumerate(zip(found["oracle"], found["fev"]))]
        return dict(key, tier=found["tier"], n_images=found["n_images"], n_trials=found["n_trials"]), parts

    def make_insert(self, key, master, parts):
        self.insert1(master)
        bulk_insert(self.Neuron(), parts)


@schema
class Prediction(dj.Manual):
    """Model predictions for one tier of a dataset, in the Sensorium submission layout.

    Attributes:
        model: Name of the model / submission.
        tier: Tier predicted (test for Sensorium 2022 scoring).
        neuron_ids: (n_neurons,) unit ids, the order of every prediction vector.
    """

    definition = """
    -> Dataset
    model: varchar(64)
    ---
    tier: varchar(16)
    neuron_ids: <blob>
    """

    class Trial(dj.Part):
        """Prediction for one trial.

        Attributes:
            trial_indices: The trial's ``trial_idx`` (as text).
            image_id: Image shown, checked against the dataset when scoring.
            prediction: (n_neurons,) predicted responses.
        """

        definition = """
        -> master
        trial_indices: varchar(64)
        ---
        image_id: int64
        prediction: <blob>
        """


@schema
class Score(FingerprintedMake, dj.Computed):
    """Sensorium 2022 scores of a prediction (``compute.sensorium_metrics.score_predictions``).

    Attributes:
        single_trial_correlation, correlation_to_average: Means over neurons.
        feve: Mean FEVE over neurons with FEV >= 0.15 (NULL when none); fev: mean FEV; n_neurons_feve: those neurons.
    """

    definition = """
    -> Prediction
    ---
    single_trial_correlation: float64
    correlation_to_average: float64
    feve = null: float64
    fev: float64
    n_neurons_feve: int32
    """

    class Neuron(dj.Part):
        """Scores of one neuron (by ``unit_id``)."""

        definition = """
        -> master
        unit_id: int64
        ---
        single_trial_correlation: float64
        correlation_to_average: float64
        fev: float64
        feve: float64
        """

    def make_fetch(self, key):
        return load_dataset(key), stored_predictions(key), (Prediction & key).fetch1("tier")

    def make_compute(self, key, dataset, predictions, tier):
        summary, per_neuron = score_predictions(predictions, dataset, tier=tier)
        master = {name: float(summary[name]) for name in ("single_trial_correlation", "correlation_to_average",
                                                            "fev")}
        master["feve"] = None if np.isnan(summary["feve"]) else float(summary["feve"])
        parts = [dict(key, unit_id=int(r.unit_ids), single_trial_correlation=float(r.single_trial_correlation),
                      correlation_to_average=float(r.correlation_to_average), fev=float(r.fev), feve=float(r.feve))
                 for r in per_neuron.itertuples()]
        return dict(key, n_neurons_feve=int(summary["n_neurons_feve"]), **master), parts

    def make_insert(self, key, master, parts):
        self.insert1(master)
        bulk_insert(self.Neuron(), parts)


@dataclass
class StoredDataset:
    """An imported dataset in the shape :func:`~nda_ext.compute.sensorium.metrics.score_predictions` expects."""

    kind: str
    trials: pd.DataFrame
    neurons: pd.DataFrame
    responses: np.ndarray


def load_dataset(key) -> StoredDataset:
    """The trials (``tier``, ``trial_idx``, ``image_id``; index = file number), neurons and responses of a dataset."""
    dataset = {"dataset": key["dataset"]}
    trials = (Trial & dataset).to_pandas(order_by="trial").reset_index().set_index("trial")
    neurons = (Neuron & dataset).to_pandas(order_by="neuron").reset_index().rename(columns={"unit_id": "unit_ids"})
    return StoredDataset(kind=(Dataset & dataset).fetch1("kind"), trials=trials[["tier", "trial_idx", "image_id"]],
                         neurons=neurons[["unit_ids", "area", "layer"]],
                         responses=np.stack(trials["responses"].to_numpy()))


def stored_predictions(key) -> pd.DataFrame:
    """A ``Prediction`` as the submission table: ``trial_indices``, ``image_ids``, ``prediction``, ``neuron_ids``."""
    neuron_ids = (Prediction & key).fetch1("neuron_ids")
    rows = (Prediction.Trial & key).to_pandas().reset_index()
    return pd.DataFrame({"trial_indices": rows["trial_indices"].to_numpy(), "image_ids": rows["image_id"].to_numpy(),
                         "prediction": list(rows["prediction"]), "neuron_ids": [neuron_ids] * len(rows)})
