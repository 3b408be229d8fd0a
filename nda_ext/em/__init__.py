"""EM connectomics on top of the ``em`` schema: import CAVE materializations, fetch connectivity and the
combined unit table, select cells and connections, and turn them into matrices.

* :func:`import_version`, :func:`connectivity`, :func:`unit_table`, :func:`scan_rates` (database).
* :func:`filter_neurons`, :func:`filter_connections`, :func:`synapses_by_id` (pandas).
* :func:`remap`, :func:`adjacency_matrix` (``A[post, pre]``), :func:`rate_matrix`: ``currents = A @ R``.
* :func:`like_to_like`, :func:`assign_layers`, :func:`pia_frame_um`.
"""

from nda_ext.compute.em.adjacency import adjacency_matrix, id_map, rate_matrix, remap
from nda_ext.compute.em.filters import filter_connections, filter_neurons, neuron_mask, synapses_by_id
from nda_ext.compute.em.layers import LAYERS, MINNIE65_BOUNDARIES_UM, assign_layers
from nda_ext.compute.em.like_to_like import like_to_like
from nda_ext.compute.em.positions import pia_frame_um
from nda_ext.compute.selectivity import orientation_difference
from nda_ext.em.api import connectivity, import_version, scan_rates, unit_table
from nda_ext.sources.cave.materialization import set_retry_policy

__all__ = ["import_version", "connectivity", "unit_table", "scan_rates", "filter_neurons", "filter_connections",
           "neuron_mask", "synapses_by_id", "remap", "id_map", "adjacency_matrix", "rate_matrix", "like_to_like",
           "orientation_difference", "assign_layers", "LAYERS", "MINNIE65_BOUNDARIES_UM", "pia_frame_um",
           "set_retry_policy"]
