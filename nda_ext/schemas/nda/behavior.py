"""nda v8 mirror: Pupil and treadmill recordings."""

import datajoint as dj

from nda_ext.schemas.nda.imaging import Scan, schema  # noqa: F401  (parent named in definitions)


@schema
class RawManualPupil(dj.Manual):
    """Semi-automatic left-eye ellipse fits at the eye-camera rate (~20 Hz): radii and centre in px (NaN where no
    fit); pupil_times in s from scan start (behaviour clock)."""

    definition = """
    -> Scan
    ---
    pupil_min_r: <blob>
    pupil_maj_r: <blob>
    pupil_x: <blob>
    pupil_y: <blob>
    pupil_times: <blob>
    """


@schema
class ManualPupil(dj.Manual):
    """Pupil traces resampled to field-1 scan frame times (length nframes): Hamming low-pass then linear
    interpolation."""

    definition = """
    -> RawManualPupil
    ---
    pupil_min_r: <blob>
    pupil_maj_r: <blob>
    pupil_x: <blob>
    pupil_y: <blob>
    """


@schema
class RawTreadmill(dj.Manual):
    """Treadmill velocity (cm/s, ~100 Hz encoder) and timestamps (s from scan start)."""

    definition = """
    -> Scan
    ---
    treadmill_velocity: <blob>
    treadmill_timestamps: <blob>
    """


@schema
class Treadmill(dj.Manual):
    """Treadmill velocity resampled to scan frame times (length nframes), same method as ManualPupil."""

    definition = """
    -> RawTreadmill
    ---
    treadmill_velocity: <blob>
    """
