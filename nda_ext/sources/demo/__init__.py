"""Realistic synthetic nda v8 dataset (pure numpy, no database).

``generate(DemoConfig(...))`` returns a :class:`DemoDataset` whose ``tables`` hold rows of every nda v8 table
except ``Oracle`` (computed by the loader), and whose ``truth`` holds the planted response model of every unit.
Modules: ``config`` (settings, random streams), ``stimuli`` (Clip/Monet2/Trippy conditions), ``schedule``
(trials), ``movie`` (Stimulus.movie), ``anatomy`` (fields, stack, registration), ``segmentation`` (masks,
images, QC traces), ``behavior`` (pupil, treadmill), ``responses`` (planted model), ``dataset`` (assembly).
"""

from nda_ext.sources.demo.config import DemoConfig
from nda_ext.sources.demo.dataset import TABLES, TRUTH_COLUMNS, DemoDataset, generate

__all__ = ["DemoConfig", "DemoDataset", "TABLES", "TRUTH_COLUMNS", "generate"]
