"""Tuning and oracle tables on the demo data: planted truth recovered, nda.Oracle recomputed, nda helpers."""

import numpy as np
import pytest

from nda_ext.compute.selectivity import orientation_difference
from nda_ext.nda.queries import fetch_oracle_raster, field_masks, trial_movie


@pytest.fixture(scope="module")
def tuned(demo_loaded):
    tuning = demo_loaded["tuning"]
    tuning.Oracle.populate(suppress_errors=False)
    tuning.DirectionTuning.populate({"direction_method": "fast"}, suppress_errors=False)
    return demo_loaded


def _tuning_vs_truth(schemas):
    tuning, demo = schemas["tuning"], schemas["demo"]
    truth = demo.UnitTruth.proj(true_ori="pref_ori", true_gosi="planted_gosi", true_gdsi="planted_gdsi")
    return (tuning.DirectionTuning.Unit * truth & {"direction_method": "fast"}).to_pandas()


def test_preferred_orientation_recovered(tuned):
    units = _tuning_vs_truth(tuned)
    clear = units[units.true_gosi > 0.25]
    assert len(clear) > 50
    error = orientation_difference(clear.pref_ori, clear.true_ori)
    assert (error < 10).mean() >= 0.95
    fitted = orientation_difference(clear.mu, clear.true_ori)
    assert (fitted < 10).mean() >= 0.9  # the fit peak is noisier than the vector sum on weakly tuned units


def test_selectivity_tracks_planted(tuned):
    units = _tuning_vs_truth(tuned).dropna(subset=["gosi", "gdsi"])
    assert np.corrcoef(units.gosi, units.true_gosi)[0, 1] > 0.8
    assert np.corrcoef(units.gdsi, units.true_gdsi)[0, 1] > 0.6
    assert units.pref_ori.between(0, 180, inclusive="left").all()
    assert units.pref_dir.between(0, 360, inclusive="left").all()
    assert units.phi.dropna().ge(0.5).all()


def test_oracle_recomputes_nda_oracle(tuned):
    tuning, nda = tuned["tuning"], tuned["nda"]
    ours = (tuning.Oracle.Unit * nda.Oracle.proj(nda_pearson="pearson", nda_trials="trials")).to_pandas()
    assert len(ours) == len(nda.Oracle())
    np.testing.assert_allclose(ours.pearson, ours.nda_pearson, atol=1e-5)
    assert (ours.trials == ours.nda_trials).all() and (ours.trials == 60).all()
    assert ours.cc_max.dropna().between(0, 1.2).all()
    assert ours.pearson.median() > 0.2


def test_oracle_raster_and_trial_movie(tuned):
    nda = tuned["nda"]
    unit_key = nda.ScanUnit.keys(limit=1)[0]
    raster, pearson = fetch_oracle_raster(nda, unit_key)
    assert raster.shape[:2] == (10, 6) and raster.min() >= 0 and raster.max() <= 1
    assert pearson is not None
    trial = (nda.Trial & unit_key).keys(limit=1)[0]
    movie = trial_movie(nda, trial)
    start, end = (nda.Trial & trial).fetch1("start_idx", "end_idx")
    assert movie.shape == (90, 160, end - start + 1) and movie.dtype == np.uint8
    field_key = (nda.Field & unit_key).keys(limit=1)[0]
    masks, mask_ids = field_masks(nda, field_key)
    height, width = (nda.Field & field_key).fetch1("px_height", "px_width")
    assert masks.shape == (height, width, len(mask_ids)) and (masks.reshape(-1, len(mask_ids)).max(0) > 0).all()
