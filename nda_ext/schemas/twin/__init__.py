"""Digital twin: model registry, training, readouts, prediction quality and in-silico tuning.

A model is registered once (``twin.Model``, see :mod:`nda_ext.twin`): trained here from a ``ParamSet`` on a set
of scans, or imported from a release directory (ours or the official MICrONS ``fnn`` release). Its readouts
(``Model.Readout``) map each output column (``readout_id``) to an nda unit. ``Training`` trains the shared core
and the per-scan readouts jointly and stores the checkpoint; ``Performance`` and ``Tuning`` evaluate any ready
model per scan. Angles in degrees, our convention (0 = rightward motion, counter-clockwise positive); pref_ori in
[0, 180), pref_dir in [0, 360). torch is imported when a make runs, not when the schemas are activated.
"""

import datajoint as dj

from nda_ext.dj.insert import bulk_insert
from nda_ext.dj.make import FingerprintedMake
from nda_ext.model.params import DEFAULT_PARAMS, paramset_row
from nda_ext.schemas import nda  # rebound by activate(nda=...)

schema = dj.Schema()


@schema
class ParamSet(dj.Lookup):
    """Hyper-parameters of a trained twin (model architecture and training), Elements-style.

    Attributes:
        paramset_idx: Number of the parameter set.
        params: ``{"config": TwinConfig fields, "train": nda_ext.model.train.train keyword arguments}``.
        params_hash: MD5 of the canonical JSON of ``params`` (the same settings are never stored twice).
        description: What the settings are for.
    """

    definition = """
    paramset_idx: int16
    ---
    params: json
    params_hash: char(32)
    description: varchar(255)
    unique index (params_hash)
    """
    contents = [paramset_row(0, DEFAULT_PARAMS, "demo default: trains on 2 scans x 300 units x 10 min in minutes")]

    @classmethod
    def insert_new(cls, params: dict, description: str = "") -> int:
        """Insert ``params`` unless an identical set exists; returns its ``paramset_idx``."""
        row = paramset_row(0, params, description)
        existing = (cls & {"params_hash": row["params_hash"]}).to_arrays("paramset_idx")
        if len(existing):
            return int(existing[0])
        indices = cls().to_arrays("paramset_idx")
        row["paramset_idx"] = int(max(indices) + 1) if len(indices) else 0
        cls.insert1(row)
        return row["paramset_idx"]


@schema
class PerformanceMethod(dj.Lookup):
    """How prediction quality is measured on the oracle clips.

    Attributes:
        performance_method: Name of the settings.
        burnin: Scan frames dropped at the start of every clip.
        use_behaviour: Feed the recorded behaviour (else the scan's mean behaviour).
        n_repeats: Presentations that make a clip an oracle clip.
    """

    definition = """
    performance_method: varchar(32)
    ---
    burnin: int16
    use_behaviour: bool
    n_repeats: int16
    description: varchar(255)
    """
    contents = [("default", 2, True, 10, "recorded behaviour, 2 scan frames (~0.3 s) burn-in per clip")]


@schema
class InSilicoMethod(dj.Lookup):
    """Synthetic direction stimuli the twin watches (``nda_ext.model.insilico.direction_noise_stimuli``).

    Attributes:
        insilico_method: Name of the settings.
        n_dirs: Directions, evenly spaced from 0 deg.
        seconds: Video duration, s (burn-in included).
        burnin_s: Leading seconds dropped before averaging, s.
        repeats: Noise seeds averaged.
        speed: Drift speed, image widths per s.
        kappa: Orientation concentration of the noise (0 = isotropic).
        contrast: Standard deviation of the video, fraction of the 0..255 half-range.
        seed: First noise seed.
    """

    definition = """
    insilico_method: varchar(32)
    ---
    n_dirs: int16
    seconds: float64
    burnin_s: float64
    repeats: int16
    speed: float64
    kappa: float64
    contrast: float64
    seed: int32
    description: varchar(255)
    """
    contents = [("default", 16, 4.0, 1.0, 4, 0.2, 2.5, 0.35, 0, "16 directions of Monet2-like oriented noise")]


@schema
class Model(dj.Manual):
    """A registered digital twin.

    Attributes:
        model: Registry name.
        backend: ``nda_ext`` (our TwinModel) or ``fnn`` (official MICrONS network via the fnn package).
        source: ``training`` (trained by ``Training`` from ``paramset_idx``) or ``release`` (a release directory).
        paramset_idx: Hyper-parameters (training models only).
        release_path: Absolute path of the release directory (release models only).
        release_checksum: SHA-256 over the release files at registration; checked before every use.
        description: Free text.
    """

    definition = """
    model: varchar(64)
    ---
    backend: enum('nda_ext', 'fnn')
    source: enum('training', 'release')
    -> [nullable] ParamSet
    release_path = null: varchar(1024)
    release_checksum = null: char(64)
    description = '': varchar(255)
    """

    class Scan(dj.Part):
        """A scan the model predicts (training: the scans it is trained on)."""

        definition = """
        -> master
        -> nda.Scan
        """

    class Readout(dj.Part):
        """Output column ``readout_id`` (0..U-1 within the scan) of the model predicts this unit.

        Attributes:
            readout_id: Column of the model output for the scan.
        """

        definition = """
        -> master.Scan
        -> nda.ScanUnit
        ---
        readout_id: int32
        unique index (model, session, scan_idx, readout_id)
        """


def ready_models():
    """Models that can predict: release models and training models whose ``Training`` is done."""
    return Model - ((Model & "source = 'training'").proj() - Training)


@schema
class Training(FingerprintedMake, dj.Computed):
    """Core trained on all scans of the model jointly, each scan with its own readout (oracle clips held out).

    Attributes:
        checkpoint: ``nda_ext.model.checkpoint`` bytes (uint8) of the trained model.
        checksum: SHA-256 of the checkpoint bytes.
        loss: Mean training loss per epoch.
        epoch_seconds: Wall time per epoch, s.
        device: Torch device used.
    """

    definition = """
    -> Model
    ---
    checkpoint: <blob>
    checksum: char(64)
    loss: <blob>
    epoch_seconds: <blob>
    device: varchar(16)
    """

    @property
    def key_source(self):
        return Model & "source = 'training'"

    def make_fetch(self, key):
        from nda_ext.schemas.twin.makes import training_inputs

        return training_inputs(nda, Model, ParamSet, key)

    def make_compute(self, key, params, scans):
        from nda_ext.schemas.twin.makes import train_checkpoint

        return (dict(key, **train_checkpoint(params, scans)),)

    def make_insert(self, key, row):
        self.insert1(row)


@schema
class Performance(FingerprintedMake, dj.Computed):
    """Prediction quality of a model on one scan's oracle clips (docs/metrics.md: "cc_abs", "cc_max", "cc_norm").

    Attributes:
        n_clips: Oracle clips.
        n_repeats: Repeats per clip.
        n_samples: Samples per repeat after burn-in (all clips concatenated).
    """

    definition = """
    -> Model.Scan
    -> PerformanceMethod
    ---
    n_clips: int32
    n_repeats: int32
    n_samples: int32
    """

    class Unit(dj.Part):
        """Prediction quality of one unit (NULL where undefined, e.g. cc_max with negative signal power).

        Attributes:
            readout_id: Model output column.
            cc_abs: Correlation of trial-averaged recording and prediction.
            cc_max: Noise ceiling (variable-repeat form).
            cc_norm: cc_abs / cc_max (not clipped).
        """

        definition = """
        -> master
        -> nda.ScanUnit
        ---
        readout_id: int32
        cc_abs = null: float64
        cc_max = null: float64
        cc_norm = null: float64
        """

    @property
    def key_source(self):
        clips = nda.Scan & (nda.Trial & {"type": "stimulus.Clip"})
        return (Model.Scan & ready_models()) * PerformanceMethod & clips

    def make_fetch(self, key):
        from nda_ext.schemas.twin.makes import performance_inputs

        return ((PerformanceMethod & key).fetch1(), *performance_inputs(nda, Model, Training, key))

    def make_compute(self, key, method, traces, trials, data, model_row, unit_ids, checkpoint):
        from nda_ext.schemas.twin.makes import performance_rows

        return performance_rows(key, method, traces, trials, data, model_row, unit_ids, checkpoint)

    def make_insert(self, key, master, units):
        self.insert1(master)
        bulk_insert(self.Unit(), units)


@schema
class Tuning(FingerprintedMake, dj.Computed):
    """In-silico direction tuning of every unit of a scan (behaviour at its mean), and readout locations.

    Attributes:
        directions: Stimulus directions, deg (n_dirs,).
        n_frames: Frames per video.
        fps: Frame rate the videos were shown at, Hz.
    """

    definition = """
    -> Model.Scan
    -> InSilicoMethod
    ---
    directions: <blob>
    n_frames: int32
    fps: float64
    """

    class Unit(dj.Part):
        """Tuning of one unit (NULL where the curve or its fit does not allow an index).

        Attributes:
            readout_id: Model output column.
            responses: Mean response per direction (n_dirs,), model output units.
            gosi, gdsi: Vector (global) selectivity of the curve.
            osi, dsi: Fit-based indices (bi-von Mises, cajal/foundation).
            pref_ori, pref_dir: Preferred orientation / direction from the bi-von Mises fit, deg.
            readout_loc_x, readout_loc_y: Readout position in [-1, 1], (-1, -1) bottom-left of the stimulus.
        """

        definition = """
        -> master
        -> nda.ScanUnit
        ---
        readout_id: int32
        responses: <blob>
        gosi = null: float64
        gdsi = null: float64
        osi = null: float64
        dsi = null: float64
        pref_ori = null: float64
        pref_dir = null: float64
        readout_loc_x: float64
        readout_loc_y: float64
        """

    @property
    def key_source(self):
        return (Model.Scan & ready_models()) * InSilicoMethod

    def make_fetch(self, key):
        from nda_ext.schemas.twin.makes import scan_twin_inputs

        return ((InSilicoMethod & key).fetch1(), *scan_twin_inputs(Model, Training, key))

    def make_compute(self, key, method, model_row, unit_ids, checkpoint):
        from nda_ext.schemas.twin.makes import tuning_rows

        return tuning_rows(key, method, model_row, unit_ids, checkpoint)

    def make_insert(self, key, master, units):
        self.insert1(master)
        bulk_insert(self.Unit(), units)
