"""EM import from CAVE, keyed by materialization version (``mat_version``); one schema over three modules:
:mod:`~nda_ext.schemas.em.materialization` (versions, CAVE tables chosen), :mod:`~nda_ext.schemas.em.cells`
(per-table imports) and :mod:`~nda_ext.schemas.em.connectivity` (synapses per cell set)."""

from nda_ext.schemas import nda  # rebound by activate(nda=...)
from nda_ext.schemas.em.cells import BrainArea, CellType, Coregistration, FunctionalProperties, Nucleus, Proofreading
from nda_ext.schemas.em.connectivity import CellSet, Connectivity, SynapseChunk
from nda_ext.schemas.em.materialization import CaveTable, Materialization, TableSelection, schema

__all__ = ["schema", "nda", "Materialization", "CaveTable", "TableSelection", "Nucleus", "CellType", "Proofreading",
           "BrainArea", "Coregistration", "FunctionalProperties", "CellSet", "SynapseChunk", "Connectivity"]
