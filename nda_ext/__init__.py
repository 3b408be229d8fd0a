"""nda_ext: the MICrONS nda v8 mirror and its extensions (tuning, EM connectivity, digital twin, exports).

Importing the package never connects to a database; :func:`activate` does.

Example:
    >>> import nda_ext
    >>> schemas = nda_ext.activate()          # embedded PostgreSQL unless DJ_HOST / datajoint.json say otherwise
    >>> nda = schemas["nda"]
    >>> (nda.Scan * nda.ScanTimes).to_pandas()
"""

import warnings

warnings.filterwarnings("ignore", message="No datajoint.json found")

from nda_ext.schemas import activate  # noqa: E402

__version__ = "0.1.0"
__all__ = ["activate", "__version__"]
