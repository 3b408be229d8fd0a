"""Where data come from, outside the pipeline's own tables: CAVE and snapshot folders (``cave``), the synthetic
demo (``demo``), a legacy nda server (``legacy_nda``), Sensorium files (``sensorium``) and validated nda rows
(``mirror``). Sources may use the DataJoint plumbing (``dj``) but never the schema modules.
"""
