"""nda_ext: the MICrONS nda v8 mirror and its extensions (tuning, EM connectivity, digital twin, exports).

Importing the package never connects to a database and does not import DataJoint, pandas or torch;
:func:`activate` does the binding.

Example:
    >>> import nda_ext
    >>> schemas = nda_ext.activate()          # embedded PostgreSQL unless DJ_HOST / datajoint.json say otherwise
    >>> nda = schemas["nda"]
    >>> (nda.Scan * nda.ScanTimes).to_pandas()
"""

from nda_ext.dj import active as _active
from nda_ext.version import __version__

__all__ = ["activate", "__version__"]


def activate(prefix=None, nda=None, *, create_tables=None, connection=None):
    """Bind every schema module to the configured database; see :func:`nda_ext.schemas.activate`."""
    from nda_ext.schemas import activate as _activate

    return _activate(prefix, nda, create_tables=create_tables, connection=connection)


_active.set_activator(activate)
