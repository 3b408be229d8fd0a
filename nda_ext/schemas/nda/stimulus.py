"""nda v8 mirror: Conditions, stimulus movies, trials and the Clip / Monet2 / Trippy parameters."""

import datajoint as dj

from nda_ext.schemas.nda.imaging import Scan, schema  # noqa: F401  (parent named in definitions)


@schema
class Condition(dj.Manual):
    """Stimulus condition shown in a trial (not an nda v8 table: it gives `condition_hash` one lineage, so
    `Trial * Monet2`, `Trial * Clip` and `Trial * Trippy` join by name as they do in nda). stimulus_type is
    the Trial.type of the condition: stimulus.Clip, stimulus.Monet2 or stimulus.Trippy."""

    definition = """
    condition_hash: char(20)
    ---
    stimulus_type: varchar(16)
    """


@schema
class Stimulus(dj.Manual):
    """Whole-scan stimulus resampled to field-1 frame times: uint8 array 90 x 160 x nframes (H x W x T)."""

    definition = """
    -> Scan
    ---
    movie: <blob>
    """


@schema
class Trial(dj.Manual):
    """One stimulus trial. type = stimulus.Clip / stimulus.Monet2 / stimulus.Trippy; start_idx/end_idx = scan-
    frame indices; *_frame_time and stim_times in s from scan start (stimulus clock). condition_hash is not an
    FK: join to Clip/Monet2/Trippy by name."""

    definition = """
    -> Stimulus
    trial_idx: int16
    ---
    -> Condition
    type: varchar(16)
    start_idx: int64
    end_idx: int64
    start_frame_time: float64
    end_frame_time: float64
    stim_times: <blob>
    """


@schema
class Clip(dj.Manual):
    """Natural-movie condition. clip = greyscale frames shown (T x H x W); short_movie_name = Cinematic, sports1m
    or Rendered; fps = original clip frame rate (new in v8); duration ~10 s."""

    definition = """
    -> Condition
    ---
    movie_name: varchar(250)
    duration: float64
    clip: <blob>
    short_movie_name: varchar(15)
    fps: float32
    """


@schema
class Monet2(dj.Manual):
    """Pink noise with coherent-motion epochs. blue_green_saturation has default 0.000. Typical: fps 60, duration
    15 s, n_dirs 16. directions in degrees, onsets in s (onsets is blob, not longblob); movie = uint8 H x W x
    1 x T."""

    definition = """
    -> Condition
    ---
    fps: float64
    duration: float64
    rng_seed: float64
    blue_green_saturation = 0.0: float64
    pattern_width: int16
    pattern_aspect: float32
    temp_kernel: varchar(16)
    temp_bandwidth: float64
    ori_coherence: float64
    ori_fraction: float32
    ori_mix: float32
    n_dirs: int16
    speed: float32
    directions: <blob>
    onsets: <blob>
    movie: <blob>
    """


@schema
class Trippy(dj.Manual):
    """Randomised curvy drifting gratings. Typical: fps 60, duration 15 s, tex 90 x 160; movie = H x W x T."""

    definition = """
    -> Condition
    ---
    fps: float64
    rng_seed: float64
    packed_phase_movie: <blob>
    tex_ydim: int16
    tex_xdim: int16
    duration: float32
    xnodes: int8
    ynodes: int8
    up_factor: int8
    temp_freq: float32
    temp_kernel_length: int16
    spatial_freq: float32
    movie: <blob>
    """
