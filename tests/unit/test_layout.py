"""The package's shape: public names that users and notebooks call, a light import, and no import cycles."""

import importlib
import subprocess
import sys

import pytest

#: Entry points named by the design contract and the README (later issues add download_release, predict, funconn).
PUBLIC_NAMES = {
    "nda_ext": ["activate", "__version__"],
    "nda_ext.schemas": ["activate", "SCHEMA_NAMES", "modules"],
    "nda_ext.schemas.nda": ["schema", "Scan", "ScanUnit", "Activity", "Oracle", "Stimulus", "Trial", "Condition"],
    "nda_ext.schemas.tuning": ["schema", "DirectionTuning"],
    "nda_ext.schemas.em": ["schema", "Materialization", "Nucleus", "Coregistration", "Connectivity"],
    "nda_ext.schemas.twin": ["schema", "Model", "Training", "Performance", "Tuning"],
    "nda_ext.schemas.export": ["schema", "PopulationPsd"],
    "nda_ext.schemas.sensorium": ["schema"],
    "nda_ext.schemas.demo": ["schema", "Dataset"],
    "nda_ext.sources.cave": ["CaveSource", "SnapshotSource", "get_client", "set_client_factory"],
    "nda_ext.sources.cave.testing": [],
    "nda_ext.em": ["import_version", "connectivity", "unit_table", "filter_neurons", "adjacency_matrix"],
    "nda_ext.twin": ["import_release", "export_release", "properties"],
    "nda_ext.sources.legacy_nda": ["copy_scans", "attach"],
    "nda_ext.export": ["sensorium", "psd_csv", "psd_summary"],
    "nda_ext.sources.sensorium": ["ingest", "read_static_dataset", "read_video_dataset"],
    "nda_ext.demo": ["ensure_demo", "run_demo"],
    "nda_ext.cli": ["main", "build_parser"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC_NAMES))
def test_public_names_resolve(module):
    imported = importlib.import_module(module)
    missing = [name for name in PUBLIC_NAMES[module] if not hasattr(imported, name)]
    assert not missing, f"{module} lacks {missing}"


def test_import_loads_no_heavy_dependency():
    code = "import sys, nda_ext, nda_ext.compute.selectivity; print(sorted(m for m in ('torch', 'datajoint', " \
           "'pandas', 'matplotlib', 'caveclient') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", loaded
    bare = subprocess.run([sys.executable, "-c", "import sys, nda_ext; print(sorted(sys.modules))"],
                          capture_output=True, text=True, check=True).stdout
    assert not any(name in bare for name in ("'torch'", "'datajoint'", "'pandas'", "'numpy'")), bare


def test_no_import_cycles():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("nda_ext")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                cycles.append(" -> ".join((module, *chain)))
    assert not cycles, "\n".join(cycles)
