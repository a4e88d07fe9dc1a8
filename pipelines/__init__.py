"""Dagster wiring only: the one ``Definitions``, IO manager, jobs."""
