"""File access to a Sensorium dataset tree, as a folder or as the released ``.zip`` (read in place, not extracted)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np

# Tier labels, statistics files and column names of the two dataset formats.
VIDEO_TIERS = (
    "train",
    "oracle",
    "live_test_main",
    "live_test_bonus",
    "final_test_main",
    "final_test_bonus",
    "none",
)
STATIC_TIERS = ("train", "validation", "test", "final_test")
STATISTICS = ("mean", "std", "min", "max", "median")
STATISTICS_SOURCES = ("all", "stimulus_frame")
MOTOR_COLUMNS = ("cell_motor_x", "cell_motor_y", "cell_motor_z")
# DataFrame column name -> meta/trials file stem (the reader applies the inverse).
TRIAL_FILE_NAMES = {"tier": "tiers", "image_id": "frame_image_id"}
REQUIRED_NEURON_COLUMNS = ("unit_ids",)


class SensoriumFormatError(ValueError):
    """A Sensorium dataset file or folder is missing, unreadable or inconsistent; the message names it."""


class DatasetTree:
    """Read-only view of ``data/`` and ``meta/`` below a dataset root in a folder or a zip archive.

    Args:
        path: the dataset folder, or a ``.zip`` whose members are ``<top>/data/...`` (as released) or
            ``data/...``.

    Raises:
        SensoriumFormatError: when ``path`` does not exist or holds no ``meta/trials`` folder.
    """

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.exists():
            raise SensoriumFormatError(f"{self.path}: no such dataset folder or zip")
        self.is_zip = self.path.is_file() and zipfile.is_zipfile(self.path)
        if self.is_zip:
            with zipfile.ZipFile(self.path) as archive:
                names = [n for n in archive.namelist() if not n.endswith("/")]
            marker = next((n for n in names if re.search(r"(^|/)meta/trials/[^/]+\.npy$", n)), None)
            if marker is None:
                raise SensoriumFormatError(f"{self.path}: the archive holds no meta/trials/*.npy")
            self._prefix = marker[: marker.index("meta/trials/")]
            self._members = {n[len(self._prefix):] for n in names if n.startswith(self._prefix)}
        elif not (self.path / "meta" / "trials").is_dir():
            raise SensoriumFormatError(f"{self.path}: missing folder meta/trials")

    def describe(self, relative: str) -> str:
        """Human-readable location of a file, used in error messages."""
        return f"{self.path}!{self._prefix}{relative}" if self.is_zip else str(self.path / relative)

    def list(self, folder: str) -> list[str]:
        """Stems of the ``.npy`` files directly in ``folder`` (relative to the root), sorted; [] if absent."""
        if self.is_zip:
            prefix = folder.rstrip("/") + "/"
            stems = [PurePosixPath(m).stem for m in self._members
                     if m.startswith(prefix) and "/" not in m[len(prefix):] and m.endswith(".npy")]
        else:
            root = self.path / folder
            stems = [p.stem for p in root.glob("*.npy")] if root.is_dir() else []
        return sorted(stems)

    def folders(self, folder: str) -> list[str]:
        """Names of the sub-folders directly in ``folder``."""
        if self.is_zip:
            prefix = folder.rstrip("/") + "/"
            rest = [m[len(prefix):] for m in self._members if m.startswith(prefix)]
            return sorted({r.split("/")[0] for r in rest if "/" in r})
        root = self.path / folder
        return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    def exists(self, relative: str) -> bool:
        return relative in self._members if self.is_zip else (self.path / relative).is_file()

    def load(self, relative: str) -> np.ndarray:
        """Load one ``.npy`` file.

        Raises:
            SensoriumFormatError: naming the file when it is missing, truncated or not a valid ``.npy``.
        """
        if not self.is_zip:
            return self._load(relative, None)
        with zipfile.ZipFile(self.path) as archive:
            return self._load(relative, archive)

    def load_many(self, folder: str, count: int) -> list[np.ndarray]:
        """Load ``<folder>/0.npy`` … ``<folder>/<count-1>.npy`` (one archive open for a zip)."""
        if not self.is_zip:
            return [self._load(f"{folder}/{i}.npy", None) for i in range(count)]
        with zipfile.ZipFile(self.path) as archive:
            return [self._load(f"{folder}/{i}.npy", archive) for i in range(count)]

    def _load(self, relative: str, archive: zipfile.ZipFile | None) -> np.ndarray:
        if not self.exists(relative):
            raise SensoriumFormatError(f"{self.describe(relative)}: file is missing")
        try:
            source = io.BytesIO(archive.read(self._prefix + relative)) if archive else self.path / relative
            return np.load(source, allow_pickle=False)
        except (ValueError, EOFError, OSError) as error:
            raise SensoriumFormatError(f"{self.describe(relative)}: unreadable .npy ({error})") from error
