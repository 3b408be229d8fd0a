"""Direction tuning from recorded Monet2 trials and oracle / noise-ceiling scores, one make per scan.

Angles in degrees, our convention (0 = rightward motion, counter-clockwise positive); pref_ori in [0, 180),
pref_dir in [0, 360). Formulas: ``docs/metrics.md``; the math lives in :mod:`nda_ext.compute`.
"""

import datajoint as dj

from nda_ext.compute.scan_tuning import direction_tuning, oracle_scores
from nda_ext.dj.insert import bulk_insert
from nda_ext.dj.make import FingerprintedMake
from nda_ext.nda.scan_data import fetch_monet2_trials, fetch_oracle_trials, fetch_scan_traces
from nda_ext.schemas import nda  # rebound by activate(nda=...)

schema = dj.Schema()


@schema
class DirectionMethod(dj.Lookup):
    """How direction tuning is computed from Monet2 segments.

    Attributes:
        direction_method: Name of the settings.
        latency_s: Response latency added to both edges of every segment window, s.
        precision_deg: Directions are rounded to multiples of this before grouping, deg (0.01 keeps Monet2's
            22.5-deg grid; 1 deg would turn it into 0, 22, 45, 68, ...).
        clip_negative: Clip activity at 0 before tuning, as cajal/foundation does (gOSI / gDSI are defined for
            non-negative responses; a curve with a negative mean gets NULL indices).
        n_permutations: Shuffles of direction labels for the gOSI / gDSI p-values.
        min_directions: Fewer distinct directions with finite responses leave the fit NULL.
        seed: Seed of the permutation test.
    """

    definition = """
    direction_method: varchar(32)
    ---
    latency_s: float64
    precision_deg: float64
    n_permutations: int32
    min_directions: int32
    seed: int32
    clip_negative: bool
    description: varchar(255)
    """
    contents = [
        ("default", 0.1, 0.01, 1000, 5, 0, True, "100 ms latency, 0.01 deg precision, activity clipped at 0, "
                                                "1000 permutations"),
        ("fast", 0.1, 0.01, 0, 5, 0, True, "as default without the permutation test"),
    ]


@schema
class DirectionTuning(FingerprintedMake, dj.Computed):
    """Direction tuning of every unit of a scan from its Monet2 trials.

    Attributes:
        n_trials: Monet2 trials used.
        n_segments: Direction segments used (n_trials x n_dirs).
        directions: Sorted unique directions, deg (n_dir,).
        segment_counts: Segments per direction (n_dir,).
    """

    definition = """
    -> nda.Scan
    -> DirectionMethod
    ---
    n_trials: int32
    n_segments: int32
    directions: <blob>
    segment_counts: <blob>
    """

    class Unit(dj.Part):
        """Tuning of one unit (NULL indices and fit where the responses do not allow them; see fit_reason).

        Attributes:
            mean_responses: Mean response per direction, activity units (n_dir,).
            gosi, gdsi: Global (vector-sum) selectivity, 0..1.
            pref_ori, pref_dir: Vector-sum preferred orientation / direction, deg.
            osi, dsi: Fit-based indices of cajal/foundation at the fitted preferred direction ``mu``:
                ``(R_pref - R_orth) / (R_pref + R_orth)`` with each R averaged over both directions of its
                orientation, and ``1 - f(mu + 180) / f(mu)`` (docs/metrics.md, "Fit-based OSI and DSI").
            mu, phi, kappa, scale, bias, mse: Bi-von Mises fit (mu = preferred direction, deg; phi >= 0.5).
            fit_success: Solver converged.
            fit_reason: '' or why the fit is NULL / unconverged (nan, zero, flat, too_few_directions, not_converged).
            gosi_p, gdsi_p: Permutation p-values (NULL with 0 permutations).
        """

        definition = """
        -> master
        -> nda.ScanUnit
        ---
        mean_responses: <blob>
        gosi = null: float64
        gdsi = null: float64
        pref_ori = null: float64
        pref_dir = null: float64
        osi = null: float64
        dsi = null: float64
        mu = null: float64
        phi = null: float64
        kappa = null: float64
        scale = null: float64
        bias = null: float64
        mse = null: float64
        fit_success: bool
        fit_reason: varchar(32)
        gosi_p = null: float64
        gdsi_p = null: float64
        """

    @property
    def key_source(self):
        return (nda.Scan & (nda.Trial & {"type": "stimulus.Monet2"})) * DirectionMethod

    def make_fetch(self, key):
        method = (DirectionMethod & key).fetch1()
        return fetch_scan_traces(nda, key), fetch_monet2_trials(nda, key), method

    def make_compute(self, key, traces, trials, method):
        master, units = direction_tuning(traces, trials, method)
        return dict(key, **master), [dict(key, **unit) for unit in units]

    def make_insert(self, key, master, units):
        self.insert1(master)
        bulk_insert(self.Unit(), units)


@schema
class Oracle(FingerprintedMake, dj.Computed):
    """Leave-one-out oracle correlation and noise ceiling over the repeated clips of a scan.

    Oracle clips are the conditions shown exactly ``n_repeats`` times (nda's rule). Responses are sampled at the
    scan rate from each trial's first flip for the clip's duration, on each unit's own clock.

    Attributes:
        n_clips: Oracle clips found.
        n_repeats: Repeats per clip.
        n_samples: Samples per repeat (all clips concatenated).
    """

    definition = """
    -> nda.Scan
    ---
    n_clips: int32
    n_repeats: int32
    n_samples: int32
    """

    class Unit(dj.Part):
        """Reliability of one unit.

        Attributes:
            pearson: Leave-one-out oracle: one Pearson correlation per unit over every (repeat, clip, frame)
                sample, between the response and the mean of the other repeats at that clip frame (pooled, as
                neuralpredictors' ``oracle_corr_jackknife``; not a mean of per-repeat correlations).
            cc_max: Noise ceiling (Schoppe et al. 2016, variable-repeat form), NULL where the signal power < 0.
            trials: Trials used (clips x repeats).
        """

        definition = """
        -> master
        -> nda.ScanUnit
        ---
        pearson = null: float64
        cc_max = null: float64
        trials: int32
        """

    @property
    def key_source(self):
        return nda.Scan & (nda.Trial & {"type": "stimulus.Clip"})

    def make_fetch(self, key):
        return fetch_scan_traces(nda, key), fetch_oracle_trials(nda, key)

    def make_compute(self, key, traces, trials):
        master, units = oracle_scores(traces, trials)
        return dict(key, **master), [dict(key, **unit) for unit in units]

    def make_insert(self, key, master, units):
        self.insert1(master)
        bulk_insert(self.Unit(), units)
