"""Sensorium competition datasets (Willeke et al. 2022, Turishcheva et al. 2023) as files on disk.

* :mod:`~nda_ext.sources.sensorium.tree`: the folder / zip layout and its constants.
* :mod:`~nda_ext.sources.sensorium.read`: :func:`read_static_dataset`, :func:`read_video_dataset`.
* :mod:`~nda_ext.sources.sensorium.write`: writing a dataset folder (used by :func:`nda_ext.export.sensorium`).
* :mod:`~nda_ext.sources.sensorium.ingest`: :func:`ingest` a static dataset into the ``sensorium`` schema.
"""

from nda_ext.sources.sensorium.ingest import add_predictions, ingest, score
from nda_ext.sources.sensorium.read import SensoriumDataset, read_static_dataset, read_video_dataset
from nda_ext.sources.sensorium.tree import SensoriumFormatError

__all__ = ["SensoriumDataset", "SensoriumFormatError", "add_predictions", "ingest", "read_static_dataset",
           "read_video_dataset", "score"]
