"""The nda v8 mirror: all 29 tables of ``microns_phase3_nda`` (plus ``Condition``), same names, keys and
attributes, one schema declared over four modules (:mod:`~nda_ext.schemas.nda.imaging` explains the types)."""

from nda_ext.schemas.nda.anatomy import Coregistration, Registration, Stack, StackUnit
from nda_ext.schemas.nda.behavior import ManualPupil, RawManualPupil, RawTreadmill, Treadmill
from nda_ext.schemas.nda.imaging import (
    Activity,
    AreaMembership,
    Field,
    Fluorescence,
    MaskClassification,
    MeanIntensity,
    MotionCorrection,
    Oracle,
    RasterCorrection,
    Scan,
    ScanInclude,
    ScanTimes,
    ScanUnit,
    Segmentation,
    SummaryImages,
    UnitHash,
    schema,
)
from nda_ext.schemas.nda.stimulus import Clip, Condition, Monet2, Stimulus, Trial, Trippy

__all__ = [
    "schema", "Scan", "ScanInclude", "Field", "ScanTimes", "RasterCorrection", "MotionCorrection",
    "MeanIntensity", "SummaryImages", "Segmentation", "MaskClassification", "Fluorescence", "ScanUnit",
    "UnitHash", "Activity", "AreaMembership", "Oracle", "Stack", "Registration", "StackUnit", "Coregistration",
    "Condition", "Stimulus", "Trial", "Clip", "Monet2", "Trippy", "RawManualPupil", "ManualPupil", "RawTreadmill",
    "Treadmill",
]
