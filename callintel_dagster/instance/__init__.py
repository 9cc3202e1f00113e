"""What the Dagster instance loads from dagster.yaml: the run launcher that can tell whether a
run's worker process is still alive (so run monitoring fails dead runs and frees their pool
slots)."""
