"""Reading the nda tables (the mirror or an attached legacy schema): arrays and queries.

Every function takes the bound ``nda`` schema module as its first argument (``schemas["nda"]``).
"""

from nda_ext.nda.queries import fetch_oracle_raster, field_masks, trial_movie, unit_sample_times
from nda_ext.nda.scan_data import fetch_scan_traces

__all__ = ["fetch_oracle_raster", "fetch_scan_traces", "field_masks", "trial_movie", "unit_sample_times"]
