"""The nda v8 mirror: every table's heading against the reference, joins, clean values, bad input."""

import json
from pathlib import Path

import numpy as np
import pytest

from nda_ext.sources.mirror import MirrorInputError, insert_tables

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "nda_v8_tables.json"
LOCAL_REFERENCE = Path(__file__).parents[1] / "data" / "nda_v8_tables.json"

#: nda v8 MySQL type -> accepted mirror types as DataJoint reports them on (MySQL, PostgreSQL).
EQUIVALENT = {
    "tinyint": {"tinyint", "smallint"}, "smallint": {"smallint"}, "int": {"int", "integer"},
    "int unsigned": {"bigint"}, "float": {"float", "real"}, "double": {"double", "double precision"},
    "longblob": {"<blob>"}, "blob": {"<blob>"},
}


def reference_tables() -> dict:
    return json.loads(LOCAL_REFERENCE.read_text())


def mirror_type(attribute) -> str:
    return "<blob>" if attribute.codec is not None else attribute.type.lower()


def accepted(v8_type: str) -> set[str]:
    if v8_type in EQUIVALENT:
        return EQUIVALENT[v8_type]
    if v8_type.startswith(("char", "varchar")):
        size = v8_type[v8_type.index("("):]
        return {f"char{size}", f"varchar{size}", f"character{size}", f"character varying{size}"}
    if v8_type.startswith("decimal"):
        return {"double", "double precision"}
    raise AssertionError(f"type {v8_type} missing from the equivalence table")


def test_reference_copy_is_current():
    if REFERENCE.exists():
        assert json.loads(REFERENCE.read_text()) == reference_tables()


def test_every_table_heading_matches_v8(pipeline):
    nda = pipeline["nda"]
    for name, spec in reference_tables().items():
        table = getattr(nda, name)()
        heading = table.heading
        assert table.primary_key == [a for a, _ in spec["primary_key"]], name
        expected = dict(spec["primary_key"]) | {a: t for a, t, _ in spec["secondary"]}
        assert sorted(heading.names) == sorted(expected), name
        for attr, v8_type in expected.items():
            found = heading.attributes[attr]
            assert mirror_type(found) in accepted(v8_type), (name, attr, found.type)
        for attr, _, nullable in spec["secondary"]:
            assert heading.attributes[attr].nullable == nullable, (name, attr)
        tier = "Lookup" if name == "ScanInclude" else "Manual"
        assert type(table).__mro__[1].__name__ == tier, name
        parents = {p.split(".")[-1].strip("`\"").lstrip("#_") for p in table.parents()}
        for parent in spec["parents"]:
            assert any(p.replace("_", "") == parent.lower() for p in parents), (name, parent, parents)


def _minimal_scan(nframes=5):
    scan = {"session": 1, "scan_idx": 2}
    tables = {
        "Scan": [dict(scan, nframes=nframes, nfields=1, fps=6.3)],
        "ScanTimes": [dict(scan, frame_times=np.arange(nframes) / 6.3, ndepths=1)],
        "Field": [dict(scan, field=1, px_width=4, px_height=4, um_width=10, um_height=10, field_x=0, field_y=0,
                       field_z=100)],
        "Segmentation": [dict(scan, field=1, mask_id=1, pixels=np.arange(1, 4), weights=np.ones(3, np.float32))],
        "MaskClassification": [dict(scan, field=1, mask_id=1, mask_type="soma")],
        "Fluorescence": [dict(scan, field=1, mask_id=1, trace=np.ones(nframes, np.float32))],
        "ScanUnit": [dict(scan, unit_id=1, field=1, mask_id=1, um_x=0, um_y=0, um_z=100, px_x=1, px_y=1,
                          ms_delay=3)],
        "AreaMembership": [dict(scan, unit_id=1, brain_area="V1")],
        "Activity": [dict(scan, unit_id=1, trace=np.zeros(nframes, np.float32))],
        "Stimulus": [dict(scan, movie=np.zeros((90, 160, nframes), np.uint8))],
        "Trial": [dict(scan, trial_idx=0, type="stimulus.Monet2", start_idx=0, end_idx=4, start_frame_time=0.0,
                       end_frame_time=0.6, stim_times=np.linspace(0, 0.6, 4), condition_hash="A" * 20)],
        "Monet2": [dict(condition_hash="A" * 20, fps=60.0, duration=15.0, rng_seed=1.0, blue_green_saturation=0.0,
                        pattern_width=72, pattern_aspect=1.7, temp_kernel="hamming", temp_bandwidth=4.0,
                        ori_coherence=2.5, ori_fraction=1.0, ori_mix=1.0, n_dirs=16, speed=0.2,
                        directions=np.arange(16) * 22.5, onsets=np.arange(16) * 0.9375,
                        movie=np.zeros((9, 16, 1, 3), np.uint8))],
    }
    return tables


def test_standard_joins_and_clean_values(pipeline):
    nda = pipeline["nda"]
    insert_tables(nda, _minimal_scan(), progress=False)
    try:
        joined = (nda.Trial * nda.Monet2 & {"session": 1}).to_dicts()
        assert len(joined) == 1 and joined[0]["n_dirs"] == 16
        assert isinstance(joined[0]["fps"], float)
        areas = (nda.AreaMembership & {"session": 1}).to_pandas()
        assert (areas.brain_area == "V1").all()
        assert len(nda.ScanUnit * nda.Fluorescence * nda.MaskClassification & {"session": 1}) == 1
    finally:
        (nda.Scan & {"session": 1}).delete(prompt=False)
        (nda.Condition & {"condition_hash": "A" * 20}).delete(prompt=False)


@pytest.mark.parametrize("table, column, bad, message", [
    ("Activity", "trace", np.zeros(7, np.float32), "Scan.nframes"),
    ("Stimulus", "movie", np.zeros((90, 161, 5), np.uint8), "height x width"),
    ("Stimulus", "movie", np.zeros((90, 160, 5), np.float32), "uint8"),
])
def test_bad_input_names_key_and_writes_nothing(pipeline, table, column, bad, message):
    nda = pipeline["nda"]
    tables = _minimal_scan()
    tables[table][0][column] = bad
    with pytest.raises(MirrorInputError, match=message) as err:
        insert_tables(nda, tables, progress=False)
    assert column in str(err.value) and "session=1" in str(err.value)
    assert len(nda.Scan & {"session": 1}) == 0


def test_failed_insert_rolls_back_everything(pipeline):
    nda = pipeline["nda"]
    tables = _minimal_scan()
    tables["Activity"][0]["unit_id"] = 99  # no such ScanUnit: the FK fails after earlier tables were written
    with pytest.raises(Exception):  # noqa: B017  (the driver's foreign-key error class differs by backend)
        insert_tables(nda, tables, progress=False)
    assert len(nda.Scan & {"session": 1}) == 0
    assert len(nda.Condition & {"condition_hash": "A" * 20}) == 0
