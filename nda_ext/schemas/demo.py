"""Planted ground truth of the demo dataset, so tests and notebooks can check what analyses recover."""

import datajoint as dj

from nda_ext.schemas import nda  # noqa: F401  (`-> nda.X` in definitions; rebound by activate(nda=...))

schema = dj.Schema()


@schema
class Dataset(dj.Manual):
    """One generated demo dataset: its seed and generator configuration (JSON)."""

    definition = """
    dataset: varchar(32)            # name, 'default' for `nda-ext demo`
    ---
    seed: int32
    config: json                    # DemoConfig as a dict
    generation_s: float32           # wall time of generation, s
    """


@schema
class UnitTruth(dj.Manual):
    """Planted response model of each demo unit (angles in degrees, our convention: 0 = rightward motion,
    counter-clockwise positive)."""

    definition = """
    -> nda.ScanUnit
    ---
    pref_dir: float64               # planted preferred direction, deg [0, 360)
    pref_ori: float64               # planted preferred orientation, deg [0, 180)
    planted_gosi: float64           # gOSI of the noise-free 16-direction curve
    planted_gdsi: float64           # gDSI of the noise-free 16-direction curve
    rf_x: float64                   # receptive-field centre, stimulus px (0..159)
    rf_y: float64                   # receptive-field centre, stimulus px (0..89)
    gain: float64                   # behavioural gain
    noise_sd: float64               # noise standard deviation of the activity trace
    is_soma: bool
    """
