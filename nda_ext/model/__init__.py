"""Our digital-twin network and the official ``fnn`` backend: torch code, no tables.

The ``twin`` schema (:mod:`nda_ext.schemas.twin`) trains and evaluates these models; :mod:`nda_ext.twin` is
the user-facing API. Importing this package does not import torch; its modules do.
"""
