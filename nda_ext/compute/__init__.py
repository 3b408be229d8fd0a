"""Pure computation on plain arrays and DataFrames: no database, no torch, no plotting, no network.

Every metric here has its definition and source in ``docs/metrics.md``; the ``schemas`` makes fetch, call these, and
insert. ``lint-imports`` keeps this package free of DataJoint, torch, matplotlib and caveclient.
"""
