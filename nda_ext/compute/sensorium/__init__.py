"""Pure numpy / pandas pieces of the Sensorium formats: trial tables and tiers, dataset statistics, metrics."""
