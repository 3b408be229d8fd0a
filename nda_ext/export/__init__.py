"""Exports other tools read: Sensorium dataset folders and automind-style population-rate PSD summaries.

* :func:`sensorium` (:mod:`~nda_ext.export.datasets`): one scan as a Sensorium 2023 video or 2022 static folder.
* :func:`psd_summary`, :func:`psd_csv` (:mod:`~nda_ext.export.psd`).
"""

from nda_ext.export.datasets import dataset_name, sensorium
from nda_ext.export.psd import psd_csv, psd_summary

__all__ = ["dataset_name", "psd_csv", "psd_summary", "sensorium"]
